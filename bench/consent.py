"""Consent machinery at scale: import, preparation, the read path, withdrawal and purge, an export.

Usage::

    .venv/bin/python bench/consent.py                       # 100,000 messages, built once
    .venv/bin/python bench/consent.py --rebuild             # throw the data away, build again
    .venv/bin/python bench/consent.py --messages 20000      # its own database, bench_consent_20k

The data lives in its own database, ``bench_consent`` (``bench_consent_<size>`` for another
``--messages``, or ``--database``). Building it generates a Slack export of ``--messages``
messages with ``bench/slack_export_generator.py`` (8 channels, 40 people, threads, edits,
files, bots) and imports it for the subject (``user0@example.com``, so the case finds their
own identity) with ``handover.imports.pipeline.run_import`` in-process; its speed is printed
then, and on later runs read back from the import's row. A second run reuses the import.

Each run then vacuums the database (earlier runs' purges leave dead rows that would slow
this run's scans), opens a fresh case for the subject (opened by their manager, a successor
named) and goes through the consent machinery once, calling the services in-process as the
worker would (no Celery; tasks the services schedule go to an in-memory broker nobody reads):

1. ``record_consent`` for index, publish, quote and attribute over every conversation;
2. ``prepare_case_messages``: messages/s, and the peak RSS of the step (the kernel's
   high-water mark, reset before it); then the peak ``tracemalloc`` memory of preparing
   ``--traced`` (5,000) of them again, which stays that of one batch;
3. the read path: time to the first row and rows/s of ``iter_consented_messages`` for
   index over all of it, with the peak RSS, once the new copies are analyzed; and the first
   row right after preparing, before that ANALYZE. Outside a transaction Django declares
   its server-side cursor WITH HOLD, so the whole result is computed before the first row,
   and how long that takes depends on what autovacuum's statistics said of the table as it
   filled (0.3 s, up to 2 s seen at 100,000); a second pass under ``tracemalloc`` prints its
   current memory every quarter (it streams in chunks: it stays flat) and its peak; the
   ``EXPLAIN ANALYZE`` of the ``consented_messages`` query for one page of 500 (the plan's
   top line and its times), and of the whole query;
4. a data export of everything held about the subject (all messages and their prepared
   copies) by ``build_data_export``: time, zip size, peak RSS;
5. withdrawal: ``withdraw_consent`` of the last conversation (the transaction after which it
   is not served), ``run_purge_job`` (time, rows/s); then ``withdraw_everything`` and its
   purge. The last one's copies are the last rows of the table, those the purge's batches
   (in primary-key order) reach last.

The export's files go to a temporary ``MEDIA_ROOT`` that is removed at the end. The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATABASE = "bench_consent"
DEFAULT_MESSAGES = 100_000
SUBJECT = "bench-subject"
PAGE = 500


def _label(size: int) -> str:
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def _setup_django(database: str, media_root: Path) -> None:
    os.environ["TACIT_DB_NAME"] = database
    os.environ["MEDIA_ROOT"] = str(media_root)
    # The bench calls the services in-process; what they schedule on commit goes nowhere.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


# --- Memory ------------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (VmHWM); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


class _Step:
    """Wall time, this process's CPU time and peak RSS of one step (the RSS high-water mark
    is reset when it starts). CPU time leaves out PostgreSQL's work and waiting for a core,
    so on a busy machine it tells Python's share apart from the wall time."""

    def __enter__(self) -> _Step:
        import gc

        gc.collect()
        self.reset = _reset_peak_rss()
        self.rss_before_mb = _status_kib("VmRSS") / 1024
        self.started_cpu = time.process_time()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = time.process_time() - self.started_cpu
        self.peak_rss_mb = _status_kib("VmHWM") / 1024


def _traced(call: Callable[[], object]) -> float:
    """Peak Python memory (MiB) that ``call`` allocates, under ``tracemalloc``."""
    tracemalloc.start()
    try:
        call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


# --- Building ----------------------------------------------------------------------------------


def _people():  # noqa: ANN202
    from django.contrib.auth import get_user_model

    from core.models import Team

    User = get_user_model()
    subject = User.objects.get(username=SUBJECT)
    return (
        subject,
        User.objects.get(username="bench-manager"),
        User.objects.get(username="bench-successor"),
        Team.objects.get(slug="bench"),
    )


def _stored_import():  # noqa: ANN202
    from handover.models import Message, Source

    source = Source.objects.filter(owner__username=SUBJECT, status=Source.Status.SUCCEEDED).first()
    if source is None:
        return None, 0
    return source, Message.objects.filter(conversation__owner=source.owner).count()


def _build(messages: int) -> dict:
    """Users, team and the imported export; return the import's figures."""
    import logging

    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.slack_export_generator import generate_slack_export
    from core.models import Membership, Team
    from handover.imports import pipeline, services

    User = get_user_model()
    # user0 of the generated export: the case links their identity by e-mail.
    subject = User.objects.create_user(
        username=SUBJECT, email="user0@example.com", first_name="User", last_name="0"
    )
    manager = User.objects.create_user(username="bench-manager", email="manager@example.com")
    successor = User.objects.create_user(username="bench-successor", email="next@example.com")
    team = Team.objects.create(name="Bench", slug="bench")
    Membership.objects.create(team=team, user=manager, role=Membership.Role.MANAGER)
    for member in (subject, successor):
        Membership.objects.create(team=team, user=member, role=Membership.Role.MEMBER)

    with tempfile.TemporaryDirectory(prefix="tacit-bench-consent-") as folder:
        started = time.perf_counter()
        export = generate_slack_export(Path(folder) / "export", messages=messages)
        print(f"generated {export.messages:,} messages in {time.perf_counter() - started:.0f} s")
        source = services.create_source(owner=subject, path=export.path)
        services.start_import(source=source, by=subject, schedule=False)
        logging.disable(logging.WARNING)
        try:
            with _Step() as step:
                finished = pipeline.run_import(source_id=source.pk)
        finally:
            logging.disable(logging.NOTSET)
    if finished is None or finished.status != "succeeded":
        raise SystemExit(f"the import failed: {finished.error if finished else 'not run'}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "messages": finished.messages_done,
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "per_s": finished.messages_done / step.seconds,
        "peak_rss_mb": step.peak_rss_mb,
        "measured": "now",
    }


def _prepare(rebuild: bool, messages: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    source, have = _stored_import()
    if source is not None and have == messages and not rebuild:
        seconds = (source.finished_at - source.started_at).total_seconds()
        print(f"reusing {have:,} imported messages (--rebuild to start over)", flush=True)
        return {
            "messages": have,
            "seconds": seconds,
            "per_s": have / seconds,
            "cpu_s": None,
            "peak_rss_mb": None,
            "measured": "at build",
        }
    if source is not None or rebuild or have:
        print("emptying the benchmark database", flush=True)
        call_command("flush", interactive=False, verbosity=0)
    return _build(messages)


# --- Measuring ---------------------------------------------------------------------------------


def _explain(queryset) -> dict:  # noqa: ANN001
    """EXPLAIN ANALYZE of ``queryset``: the plan's top line and its planning/execution ms."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    figures = {"top": lines[0].strip(), "plan": lines}
    for line in lines:
        if line.startswith("Planning Time:"):
            figures["planning_ms"] = float(line.split()[2])
        if line.startswith("Execution Time:"):
            figures["execution_ms"] = float(line.split()[2])
    return figures


def _purged(job) -> int:  # noqa: ANN001
    return sum(int(result["count"]) for result in job.results.values())


def _run(traced_messages: int, show_plan: bool) -> dict:
    from django.db import connection
    from django.utils import timezone

    from handover.cases.services import open_case
    from handover.consent import services as consent
    from handover.consent.read import consented_messages, iter_consented_messages
    from handover.models import Conversation, DataExport, Message, PreparedMessage, Purpose
    from handover.privacy.services import prepare_case_messages
    from handover.rights.export import build_data_export
    from handover.rights.services import request_data_export

    subject, manager, successor, team = _people()
    # Earlier runs purged their copies; their dead rows would slow this run's scans.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    results: dict[str, dict] = {}
    case = open_case(
        subject=subject,
        team=team,
        by=manager,
        last_day=timezone.localdate() + timedelta(days=14),
        successors=[successor],
    )
    conversation_ids = sorted(
        Conversation.objects.filter(owner=subject).values_list("pk", flat=True)
    )
    total = Message.objects.filter(conversation__owner=subject).count()
    with _Step() as step:
        consent.record_consent(
            case=case,
            by=subject,
            purposes=[Purpose.INDEX, Purpose.PUBLISH, Purpose.QUOTE, Purpose.ATTRIBUTE],
            conversation_ids=conversation_ids,
        )
    results["record_consent"] = {"seconds": step.seconds, "cpu_s": step.cpu_seconds}
    print(f"case {case.pk}: consent over {len(conversation_ids)} conversations, {total:,} messages")

    # 2. Preparation.
    with _Step() as step:
        prepared = prepare_case_messages(case_id=case.pk)
    if prepared != total:
        raise SystemExit(f"prepared {prepared} of {total} messages")
    some = list(
        Message.objects.filter(conversation__owner=subject)
        .order_by("pk")
        .values_list("pk", flat=True)[:traced_messages]
    )
    traced = _traced(lambda: prepare_case_messages(case_id=case.pk, message_ids=some))
    results["prepare"] = {
        "rows": prepared,
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "per_s": prepared / step.seconds,
        "peak_rss_mb": step.peak_rss_mb,
        "rss_growth_mb": step.peak_rss_mb - step.rss_before_mb,
        "traced_peak_mb": traced,
        "traced_rows": len(some),
    }
    print(
        f"prepare: {prepared:,} in {step.seconds:.1f} s; tracemalloc peak {traced:.1f} MiB "
        f"re-preparing {len(some):,}",
        flush=True,
    )

    # 3. The read path. Its first row right after preparing, on whatever statistics
    # autovacuum took of the table as it filled; then the timed passes on fresh ones (as
    # autovacuum has them within a minute; the bench does not wait for it).
    started = time.perf_counter()
    stream = iter_consented_messages(purpose=Purpose.INDEX, case=case)
    next(stream)
    first_row_stale = time.perf_counter() - started
    stream.close()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE handover_preparedmessage")
    with _Step() as step:
        first_row = None
        rows = 0
        for _message in iter_consented_messages(purpose=Purpose.INDEX, case=case):
            if first_row is None:
                first_row = time.perf_counter() - step.started
            rows += 1
    if rows != total:
        raise SystemExit(f"the read path served {rows} of {total} messages")
    quarters: list[float] = []

    def read_traced() -> None:
        for n, _message in enumerate(
            iter_consented_messages(purpose=Purpose.INDEX, case=case), start=1
        ):
            if n % max(rows // 4, 1) == 0:
                quarters.append(tracemalloc.get_traced_memory()[0] / 2**20)

    read_peak = _traced(read_traced)
    page = _explain(consented_messages(purpose=Purpose.INDEX, case=case)[:PAGE])
    whole = _explain(consented_messages(purpose=Purpose.INDEX, case=case))
    results["read"] = {
        "rows": rows,
        "first_row_ms": (first_row or 0) * 1000,
        "first_row_stale_ms": first_row_stale * 1000,
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "per_s": rows / step.seconds,
        "peak_rss_mb": step.peak_rss_mb,
        "rss_growth_mb": step.peak_rss_mb - step.rss_before_mb,
        "traced_peak_mb": read_peak,
        "traced_quarters_mb": quarters,
        "page_plan_top": page["top"],
        "page_execution_ms": page["execution_ms"],
        "page_planning_ms": page["planning_ms"],
        "whole_execution_ms": whole["execution_ms"],
    }
    print(
        f"read: {rows:,} rows in {step.seconds:.1f} s, first after {first_row * 1000:.0f} ms; "
        f"tracemalloc current by quarter "
        + ", ".join(f"{mb:.1f}" for mb in quarters)
        + f" MiB, peak {read_peak:.1f} MiB",
        flush=True,
    )
    print(f"page of {PAGE}: {page['top']}")
    print(
        f"  planning {page['planning_ms']:.1f} ms, execution {page['execution_ms']:.1f} ms; "
        f"whole query execution {whole['execution_ms']:.1f} ms",
        flush=True,
    )
    if show_plan:
        print("\n".join(page["plan"]))

    # 4. A data export of everything held about the subject.
    export = request_data_export(user=subject)
    with _Step() as step:
        built = build_data_export(export_id=export.pk)
    if built is None or built.status != DataExport.Status.READY:
        raise SystemExit(f"the data export failed: {built.error if built else 'not claimed'}")
    results["export"] = {
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "zip_mb": built.size_bytes / 2**20,
        "peak_rss_mb": step.peak_rss_mb,
        "rss_growth_mb": step.peak_rss_mb - step.rss_before_mb,
    }
    print(f"export: {built.size_bytes / 2**20:.1f} MiB zip in {step.seconds:.1f} s", flush=True)
    DataExport.objects.filter(pk=export.pk).delete()

    # 5. Withdrawal of one conversation, its purge; then of everything, and its purge.
    # The last conversation: its copies are the last rows the purge's batches reach.
    one = conversation_ids[-1]
    in_one = Message.objects.filter(conversation_id=one).count()
    with _Step() as step:
        job = consent.withdraw_consent(case=case, by=subject, conversation_ids=[one])
    still = consented_messages(purpose=Purpose.INDEX, case=case)
    if still.filter(message__conversation_id=one).exists() or still.count() != total - in_one:
        raise SystemExit("the withdrawn conversation is still served")
    results["withdraw_one"] = {
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "messages": in_one,
    }
    with _Step() as step:
        done = consent.run_purge_job(job_id=job.pk)
    if done is None:
        raise SystemExit("the purge job did not run")
    removed = _purged(done)
    results["purge_one"] = {
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "rows": removed,
        "per_s": removed / step.seconds,
        "peak_rss_mb": step.peak_rss_mb,
    }
    print(
        f"withdraw one conversation ({in_one:,} messages): "
        f"{results['withdraw_one']['seconds'] * 1000:.0f} ms; purge {removed:,} rows "
        f"in {step.seconds:.1f} s",
        flush=True,
    )
    with _Step() as step:
        job = consent.withdraw_everything(case=case, by=subject)
    if consented_messages(purpose=Purpose.INDEX, case=case).exists():
        raise SystemExit("a withdrawn case still serves messages")
    results["withdraw_all"] = {"seconds": step.seconds, "cpu_s": step.cpu_seconds}
    with _Step() as step:
        done = consent.run_purge_job(job_id=job.pk)
    if done is None:
        raise SystemExit("the purge job did not run")
    removed = _purged(done)
    if PreparedMessage.objects.filter(case=case).exists():
        raise SystemExit("prepared copies survived the purge")
    results["purge_all"] = {
        "seconds": step.seconds,
        "cpu_s": step.cpu_seconds,
        "rows": removed,
        "per_s": removed / step.seconds,
        "peak_rss_mb": step.peak_rss_mb,
    }
    print(
        f"withdraw everything: {results['withdraw_all']['seconds'] * 1000:.0f} ms; "
        f"purge {removed:,} rows in {step.seconds:.1f} s",
        flush=True,
    )
    return results


def _table(imported: dict, results: dict) -> str:
    def row(name: str, figures: dict, rows: int | None = None, note: str = "") -> tuple:
        seconds = figures["seconds"]
        per_s = figures.get("per_s")
        cpu = figures.get("cpu_s")
        peak = figures.get("peak_rss_mb")
        return (
            name,
            f"{seconds:.3f}" if seconds < 1 else f"{seconds:.1f}",
            "" if cpu is None else (f"{cpu:.3f}" if cpu < 1 else f"{cpu:.1f}"),
            "" if rows is None else f"{rows:,}",
            "" if per_s is None else f"{per_s:,.0f}",
            "" if peak is None else f"{peak:,.0f}",
            note,
        )

    prepare, read, export = results["prepare"], results["read"], results["export"]
    lines = [
        ("step", "seconds", "cpu s", "rows", "rows/s", "peak RSS MB", ""),
        row(f"import ({imported['measured']})", imported, imported["messages"]),
        row("record_consent (4 purposes)", results["record_consent"]),
        row(
            "prepare_case_messages",
            prepare,
            prepare["rows"],
            f"tracemalloc peak {prepare['traced_peak_mb']:.1f} MiB "
            f"(preparing {prepare['traced_rows']:,} again)",
        ),
        row(
            "iter_consented_messages",
            read,
            read["rows"],
            f"first row {read['first_row_ms']:.0f} ms ({read['first_row_stale_ms']:.0f} ms "
            f"before ANALYZE); tracemalloc peak {read['traced_peak_mb']:.1f} MiB",
        ),
        row(
            f"consented_messages[:{PAGE}]",
            {"seconds": read["page_execution_ms"] / 1000},
            PAGE,
            f"EXPLAIN ANALYZE execution; planning {read['page_planning_ms']:.1f} ms",
        ),
        row("build_data_export", export, None, f"zip {export['zip_mb']:.1f} MiB"),
        row(
            "withdraw_consent (1 conv.)",
            results["withdraw_one"],
            results["withdraw_one"]["messages"],
            "serving stops at its commit",
        ),
        row("run_purge_job (1 conv.)", results["purge_one"], results["purge_one"]["rows"]),
        row("withdraw_everything", results["withdraw_all"]),
        row("run_purge_job (all)", results["purge_all"], results["purge_all"]["rows"]),
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = []
    for line in lines:
        cells = [
            cell.ljust(widths[i]) if i in (0, 6) else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        text.append("  ".join(cells).rstrip())
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES, help="export size")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--database", help="database name (default bench_consent[_<size>])")
    parser.add_argument(
        "--traced", type=int, default=5000, help="messages prepared again under tracemalloc"
    )
    parser.add_argument("--plan", action="store_true", help="print the page query's whole plan")
    args = parser.parse_args()
    database = args.database or (
        DATABASE if args.messages == DEFAULT_MESSAGES else f"{DATABASE}_{_label(args.messages)}"
    )
    media_root = Path(tempfile.mkdtemp(prefix="tacit-bench-consent-media-"))
    try:
        _setup_django(database, media_root)
        imported = _prepare(args.rebuild, args.messages)
        results = _run(args.traced, args.plan)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)
    print()
    print(_table(imported, results))
    read = results["read"]
    summary = {
        "database": database,
        "messages": imported["messages"],
        "import_messages_per_s": round(imported["per_s"]),
        "prepare_messages_per_s": round(results["prepare"]["per_s"]),
        "prepare_cpu_s": round(results["prepare"]["cpu_s"], 1),
        "prepare_peak_rss_mb": round(results["prepare"]["peak_rss_mb"]),
        "prepare_traced_peak_mb": round(results["prepare"]["traced_peak_mb"], 1),
        "read_first_row_ms": round(read["first_row_ms"]),
        "read_first_row_before_analyze_ms": round(read["first_row_stale_ms"]),
        "read_rows_per_s": round(read["per_s"]),
        "read_peak_rss_mb": round(read["peak_rss_mb"]),
        "read_traced_peak_mb": round(read["traced_peak_mb"], 1),
        "page_execution_ms": read["page_execution_ms"],
        "export_s": round(results["export"]["seconds"], 1),
        "export_zip_mb": round(results["export"]["zip_mb"], 1),
        "export_peak_rss_mb": round(results["export"]["peak_rss_mb"]),
        "withdraw_one_ms": round(results["withdraw_one"]["seconds"] * 1000),
        "purge_one_rows_per_s": round(results["purge_one"]["per_s"]),
        "purge_one_s": round(results["purge_one"]["seconds"], 1),
        "withdraw_all_ms": round(results["withdraw_all"]["seconds"] * 1000),
        "purge_all_rows_per_s": round(results["purge_all"]["per_s"]),
        "purge_all_s": round(results["purge_all"]["seconds"], 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
