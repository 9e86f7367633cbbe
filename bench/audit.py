"""Audit chain cost: rows written per second (one writer, then several) and verified per second.

Usage::

    .venv/bin/python bench/audit.py                       # 2,000 rows, 4 writers, 50,000 verified
    .venv/bin/python bench/audit.py --rows 500 --writers 8 --verify-rows 200000

The data lives in its own database, ``bench_audit`` (``--database``), whose audit table is
emptied before each run. Each written row is one ``record_audit_event`` in its own
transaction, as a sensitive action writes it: the advisory lock, reading the end of the
chain, the insert and the commit. For comparison, ``plain_insert`` writes the same rows with
a single INSERT each, as the log did before it was chained. Each is measured with one writer,
then with ``--writers`` threads, each on its own connection, writing ``--rows`` rows between
them (the chained writers all wait on the one lock). For the verification the chain left by
the last run is extended to ``--verify-rows`` rows with ``bulk_create`` (digests computed in
Python with the same functions), then ``verify_audit_chain`` walks it; a second walk under
``tracemalloc`` gives its peak Python memory, which stays flat as the log grows.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATABASE = "bench_audit"
BUILD_BATCH = 5000


def _setup_django(database: str) -> None:
    os.environ["TACIT_DB_NAME"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class _Target:
    """What ``record_audit_event`` needs of a target: a type name and a pk."""

    def __init__(self, pk: int) -> None:
        self.pk = pk


def _write(count: int, writer: int) -> None:
    from django.db import transaction

    from core.services import record_audit_event

    for number in range(count):
        with transaction.atomic():
            record_audit_event(
                actor=None,
                action="bench.acted",
                target=_Target(number),
                scope=f"bench:{writer}",
                details={"writer": writer, "number": number, "state": "done"},
                personal={"title": f"Page {number}"},
            )


def _plain_insert(count: int, writer: int) -> None:
    """One INSERT per transaction, as the log was written before it was chained."""
    from django.db import transaction
    from django.utils import timezone

    from core.models import AuditEvent

    for number in range(count):
        with transaction.atomic():
            AuditEvent.objects.create(
                action="bench.plain",
                target_type="_target",
                target_id=str(number),
                scope=f"bench:{writer}",
                details={"writer": writer, "number": number, "state": "done"},
                personal={"title": f"Page {number}"},
                created_at=timezone.now(),
                sequence=writer * count + number + 1,
                prev_digest="",
                digest="",
            )


def _rate(write, rows: int, writers: int) -> float:  # noqa: ANN001 - _write or _plain_insert
    """Rows per second of ``writers`` threads, each on its own connection, writing ``rows``."""
    from django.db import connection

    start = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        try:
            start.wait()
            write(rows // writers, writer)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(writer,)) for writer in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"a writer failed: {errors[0]!r}")
    return (rows // writers) * writers / elapsed


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent RESTART IDENTITY")


def _extend_chain(total: int) -> None:
    """Append rows with correct digests until the chain holds ``total`` rows."""
    from django.utils import timezone

    from core.audit_chain import GENESIS, audit_key, chain_digest
    from core.models import AuditEvent

    key = audit_key()
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "digest").first()
    sequence, prev_digest = last if last else (0, GENESIS)
    moment = timezone.now()
    batch: list[AuditEvent] = []
    while sequence < total:
        sequence += 1
        row = AuditEvent(
            action="bench.built",
            target_type="_target",
            target_id=str(sequence),
            scope=f"bench:{sequence % 50}",
            details={"number": sequence, "ids": [sequence, sequence + 1], "state": "done"},
            personal={"title": f"Page {sequence}"},
            created_at=moment + timedelta(microseconds=sequence),
            sequence=sequence,
            prev_digest=prev_digest,
        )
        row.digest = prev_digest = chain_digest(row, prev_digest=prev_digest, key=key)
        batch.append(row)
        if len(batch) == BUILD_BATCH:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    if batch:
        AuditEvent.objects.bulk_create(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows written in each run")
    parser.add_argument("--writers", type=int, default=4, help="concurrent writers")
    parser.add_argument("--verify-rows", type=int, default=50_000, help="rows verified")
    parser.add_argument("--database", default=DATABASE, help="database name")
    args = parser.parse_args()
    _setup_django(args.database)
    _migrate()

    from core.selectors import verify_audit_chain

    rates = {}
    for name, write in (("plain_insert", _plain_insert), ("record_audit_event", _write)):
        for writers in (1, args.writers):
            _truncate()
            rate = _rate(write, args.rows, writers)
            rates[f"{name}_rows_per_s_{writers}_writers"] = round(rate)
            print(f"{name}, {writers} writer(s): {rate:,.0f} rows/s", flush=True)
    check = verify_audit_chain()
    if not check.ok:
        raise SystemExit(f"the written chain does not verify: {check.broken}")
    print(f"the {check.rows_verified} written rows verify", flush=True)

    _extend_chain(args.verify_rows)
    started = time.perf_counter()
    result = verify_audit_chain()
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"the built chain does not verify: {result.broken}")
    verify_rate = result.rows_verified / elapsed
    print(f"verify_audit_chain: {result.rows_verified:,} rows in {elapsed:.2f} s", flush=True)
    tracemalloc.start()
    verify_audit_chain()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"verify peak Python memory: {peak / 1024:,.0f} KiB", flush=True)
    print(
        json.dumps(
            {
                **rates,
                "verify_rows": result.rows_verified,
                "verify_rows_per_s": round(verify_rate),
                "verify_peak_kib": round(peak / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
