"""Import throughput and memory: generated Slack exports of 100k and 1M messages, and the real ones.

Usage::

    .venv/bin/python bench/importers.py            # 100k, 1M and the real exports
    .venv/bin/python bench/importers.py --sizes 100000   # a quicker run

Each run imports one export with ``handover.pipeline.run_import`` in-process
(parse and store, no embedding) into the dedicated database
``bench_importers``, which the script migrates and empties first. Every run
happens in a child process so its peak RSS is its own. One line per run, then
the last line is a single JSON object::

    {"100k": {"messages": ..., "seconds": ..., "messages_per_s": ..., "peak_rss_mb": ...},
     "1M": {...}, "real": {...}}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DATABASE = "bench_importers"
REAL_EXPORTS = [
    "slack/testarchive.zip",
    "slack/houstondatavis",
    "mbox/bigbang/3GPP_TSG_SA_WG4_EVS.mbox",
    "mbox/bigbang/3GPP_TSG_RAN_WG4_NR-MIMO-OTA.mbox",
    "mbox/bigbang/numpy-discussion-2001-November.txt",
    "mbox/perceval/mbox_complex.mbox",
    "mbox/perceval/mbox_multipart.mbox",
    "mbox/perceval/mbox_unknown_encoding.mbox",
    "telegram/desktop-export",
    "chat-samples/discord/GC_3A_5M.json",
    "chat-samples/telegram/DM_2A_7M.json",
    "chat-samples/whatsapp/4A_11M.zip",
]


def _setup_django() -> None:
    os.environ["TACIT_DB_NAME"] = DATABASE
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def _child(paths: list[str]) -> None:
    """Import ``paths`` one after the other in this process; print one JSON line."""
    import logging
    import resource
    import uuid

    _setup_django()
    logging.disable(logging.WARNING)
    from django.contrib.auth import get_user_model

    from handover.imports import pipeline, services

    owner = get_user_model().objects.create_user(username=f"bench-{uuid.uuid4().hex[:10]}")
    messages = 0
    seconds = 0.0
    for path in paths:
        source = services.create_source(owner=owner, path=path)
        services.start_import(source=source, by=owner, schedule=False)
        started = time.perf_counter()
        finished = pipeline.run_import(source_id=source.pk)
        seconds += time.perf_counter() - started
        if finished is None or finished.status != "succeeded":
            raise SystemExit(f"{path}: {finished.status if finished else 'not run'}")
        messages += finished.messages_done
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "messages": messages,
                "seconds": round(seconds, 2),
                "messages_per_s": round(messages / seconds) if seconds else None,
                "peak_rss_mb": round(peak_kib / 1024, 1),
            }
        )
    )


def _run_child(paths: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the run failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _prepare_database() -> None:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        # Start each benchmark from empty tables so the figures compare.
        cursor.execute(
            "TRUNCATE handover_message, handover_thread, handover_conversation, "
            "handover_personidentity, handover_person, handover_source CASCADE"
        )
    connection.close()


def _label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def main() -> None:
    parser = argparse.ArgumentParser(description="Import throughput and peak memory.")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--no-real", action="store_true", help="Skip the real exports.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child)
        return

    sys.path.insert(0, str(REPO_ROOT))
    from bench.slack_export_generator import generate_slack_export

    _prepare_database()
    results: dict[str, dict] = {}
    for size in arguments.sizes:
        with tempfile.TemporaryDirectory(prefix="tacit-bench-") as folder:
            started = time.perf_counter()
            export = generate_slack_export(Path(folder) / "export", messages=size)
            generated = time.perf_counter() - started
            figures = _run_child([str(export.path)])
        figures["generated_in_s"] = round(generated, 1)
        results[_label(size)] = figures
        print(f"{_label(size)}: {json.dumps(figures)}", flush=True)
    if not arguments.no_real:
        paths = [str(SHARED_DATA / name) for name in REAL_EXPORTS if (SHARED_DATA / name).exists()]
        figures = _run_child(paths)
        figures["exports"] = len(paths)
        results["real"] = figures
        print(f"real: {json.dumps(figures)}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
