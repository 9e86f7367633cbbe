"""Soak: run the product as `make run` does and drive a steady, bounded load for N minutes.

Usage::

    .venv/bin/python bench/soak.py --minutes 30
    .venv/bin/python bench/soak.py --minutes 2 --port 8199 --database soak_trial

It starts ``scripts/run.sh`` (migrate, seed the demo, then gunicorn, a Celery worker and beat
under supervisord, on the embedded PostgreSQL and the embedded broker) in its own database,
``soak`` by default (and so its own broker folder), then, over loopback HTTP as the demo user:

- saves a wiki page every ``--save-every`` seconds (2): each save queues a notification task
  for a teammate who watches the space;
- uploads a Slack export (shared/data/slack/testarchive.zip) every ``--import-every``
  seconds (60): each queues an import task;
- sends a health probe through the broker and reads ``/healthz`` every ``--probe-every``
  seconds (5);
- and beat sends its heartbeat and sweep tasks on its own schedule.

When the time is up it stops beat, waits up to ``--drain`` seconds (120) for what was sent to
be done, and stops everything with SIGINT as Ctrl-C would. A task counts as done when its
effect is in the database (the notification row, the finished import, the answered probe)
or, for beat's tasks, when the worker logged it as succeeded. Progress goes to stderr each
minute; the last line of stdout is one JSON object with ``minutes``, ``tasks_sent``,
``tasks_done``, ``tasks_lost``, ``worker_restarts``, ``web_errors`` (5xx answers and requests
that got no answer), ``unrecoverable_errors`` (CRITICAL or "Unrecoverable error" lines in the
log), and details. The whole log is kept under ``var/soak/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPORT = REPO_ROOT.parent / "shared" / "data" / "slack" / "testarchive.zip"
DEMO_USER, DEMO_PASSWORD = "demo", "tacit-demo"
WATCHER = "ana"  # a member of the demo team, reader of the demo space
SPACE_KEY = "demo"
BEAT_TASKS = {
    "record-worker-heartbeat": "core.tasks.record_worker_heartbeat_task",
    "sweep-stale-imports": "handover.tasks.sweep_stale_imports_task",
}
FATAL_LINE = re.compile(r"Unrecoverable error|\bCRITICAL\b")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Product:
    """scripts/run.sh in its own session, its output kept in a log and read as it comes."""

    def __init__(self, *, port: int, database: str, log_path: Path) -> None:
        self.port = port
        self.database = database
        self.log_path = log_path
        self.lines: list[str] = []
        self.ready = threading.Event()
        env = os.environ.copy()
        env.pop("CELERY_BROKER_URL", None)
        env.pop("DATABASE_URL", None)
        env.update(TACIT_DB_NAME=database, PORT=str(port), PYTHONUNBUFFERED="1")
        data_dir = Path(env.get("TACIT_DATA_DIR", REPO_ROOT / "var")).resolve()
        self.run_dir = data_dir / "run" / database
        self.broker_dir = data_dir / "broker" / database
        env["TACIT_RUN_DIR"] = str(self.run_dir)
        self.process = subprocess.Popen(
            ["./scripts/run.sh"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.log_path.open("w") as log:
            for line in self.process.stdout:
                log.write(line)
                self.lines.append(line.rstrip("\n"))
                if "Tacit is running at" in line:
                    self.ready.set()

    def ctl(self, *args: str) -> str:
        command = [
            str(REPO_ROOT / ".venv" / "bin" / "supervisorctl"),
            "-s",
            f"unix://{self.run_dir}/supervisor.sock",
            *args,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                return self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                return self.process.wait()
        return self.process.returncode


class Client:
    """A small HTTP client that counts what a user would call errors."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None
        self.web_errors: Counter[str] = Counter()
        self.requests = 0
        self.health_failing: Counter[str] = Counter()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict, dict]:
        """Status, JSON body and headers; status 0 when no answer came."""
        # Only ever http://127.0.0.1:<port>, built in main().
        request = urllib.request.Request(self.base + path, data=body, method=method)  # noqa: S310
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers)
        except OSError as error:
            self.web_errors[f"{method} {path.split('?')[0]}: {type(error).__name__}"] += 1
            return 0, {}, {}
        if status >= 500 and path != "/healthz":
            self.web_errors[f"{method} {path.split('?')[0]}: {status}"] += 1
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return status, data, got

    def json(self, method: str, path: str, payload: dict, **headers: str) -> tuple[int, dict, dict]:
        return self.call(
            method,
            path,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **headers},
        )

    def upload(self, path: str, file: Path) -> tuple[int, dict, dict]:
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{file.name}"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        body += file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        return self.call(
            "POST",
            path,
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )


def _setup_django(database: str) -> None:
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ["TACIT_DB_NAME"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def _soak_page(client: Client) -> int:
    """The id of the page the soak saves, created once through the API."""
    title = "Soak page"
    status, data, _ = client.call("GET", f"/api/wiki/spaces/{SPACE_KEY}/pages/?limit=1000")
    for row in data.get("results", []):
        if row.get("title") == title:
            return row["id"]
    status, data, _ = client.json(
        "POST", f"/api/wiki/spaces/{SPACE_KEY}/pages/", {"title": title, "body": "Soak."}
    )
    if status != 201:
        raise SystemExit(f"could not create the soak page: {status} {data}")
    return data["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database", default="soak")
    parser.add_argument("--save-every", type=float, default=2.0)
    parser.add_argument("--probe-every", type=float, default=5.0)
    parser.add_argument("--import-every", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=120.0)
    args = parser.parse_args()

    port = args.port or _free_port()
    log_dir = REPO_ROOT / "var" / "soak"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{args.database}.log"
    print(f"soak: starting the product on port {port}; log in {log_path}", file=sys.stderr)
    product = Product(port=port, database=args.database, log_path=log_path)
    if not product.ready.wait(600):
        product.stop()
        raise SystemExit("the product did not start within 10 minutes; see " + str(log_path))

    _setup_django(args.database)
    from django.contrib.auth import get_user_model

    from core.models import TaskProbe
    from handover.models import Source
    from wiki.models import Notification, Page, Space, Watch

    client = Client(f"http://127.0.0.1:{port}")
    status, data, _ = client.json(
        "POST", "/api/auth/token/", {"username": DEMO_USER, "password": DEMO_PASSWORD}
    )
    if not data.get("token"):
        product.stop()
        raise SystemExit(f"no token for the demo user: {status} {data}")
    client.token = data["token"]
    watcher = get_user_model().objects.get(username=WATCHER)
    Watch.objects.get_or_create(user=watcher, space=Space.objects.get(key=SPACE_KEY), page=None)
    page_id = _soak_page(client)
    # Only the revisions this run saves count (the page's creation notifies too).
    first_number = Page.objects.get(pk=page_id).current_revision.number

    saves = 0
    probe_ids: list[int] = []
    source_ids: list[int] = []
    started = time.monotonic()
    deadline = started + args.minutes * 60
    next_save = next_probe = next_import = started
    next_report = started + 60
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_save:
            next_save += args.save_every
            status, data, headers = client.call("GET", f"/api/wiki/pages/{page_id}/")
            if status == 200:
                status, data, _ = client.json(
                    "PUT",
                    f"/api/wiki/pages/{page_id}/",
                    {"body": f"Soak save {saves + 1} at {time.time():.3f}."},
                    **{"If-Match": headers.get("ETag", "*")},
                )
                if status == 200 and data.get("status") in ("saved", "merged"):
                    saves += 1
        if now >= next_probe:
            next_probe += args.probe_every
            status, data, _ = client.call("POST", "/api/health/probes/")
            if status == 202:
                probe_ids.append(data["id"])
            status, data, _ = client.call("GET", "/healthz")
            for part in data.get("failing", []) if status == 503 else []:
                client.health_failing[part] += 1
        if now >= next_import:
            next_import += args.import_every
            status, data, _ = client.upload("/api/handover/imports/", EXPORT)
            if status == 201:
                source_ids.append(data["id"])
        if now >= next_report:
            next_report += 60
            print(
                f"soak: {(now - started) / 60:.0f} min, {saves} saves, {len(probe_ids)} probes, "
                f"{len(source_ids)} imports, web errors {sum(client.web_errors.values())}",
                file=sys.stderr,
            )
        time.sleep(max(0.0, min(next_save, next_probe, next_import) - time.monotonic()))

    load_minutes = (time.monotonic() - started) / 60
    # Stop beat so that what was sent is a fixed set, then wait for the worker to do it.
    product.ctl("stop", "beat")
    beat_sent_at_stop = _beat_counts(product.lines)[0]

    def done() -> dict[str, int]:
        beat_sent, beat_done = _beat_counts(product.lines)
        terminal = (Source.Status.SUCCEEDED, Source.Status.FAILED, Source.Status.CANCELLED)
        return {
            "saves": Notification.objects.filter(
                user=watcher, page_id=page_id, revision__number__gt=first_number
            ).count(),
            "probes": TaskProbe.objects.filter(
                pk__in=probe_ids, completed_at__isnull=False
            ).count(),
            "imports": Source.objects.filter(pk__in=source_ids, status__in=terminal).count(),
            "beat": sum(min(beat_done[name], beat_sent[name]) for name in beat_sent),
        }

    sent = {
        "saves": saves,
        "probes": len(probe_ids),
        "imports": len(source_ids),
        "beat": sum(beat_sent_at_stop.values()),
    }
    drain_deadline = time.monotonic() + args.drain
    while time.monotonic() < drain_deadline and any(
        count < sent[kind] for kind, count in done().items()
    ):
        time.sleep(1)
    finished = done()
    imports_failed = Source.objects.filter(pk__in=source_ids, status=Source.Status.FAILED).count()
    exit_status = product.stop()

    log = product.lines
    restarts = Counter(
        match.group(1)
        for line in log
        if (match := re.search(r"WARN exited: (\w+) \(.*not expected\)", line))
    )
    unrecoverable = [line for line in log if FATAL_LINE.search(line)]
    quarantined = sum(1 for _ in (product.broker_dir / "quarantine").glob("*"))
    tasks_sent = sum(sent.values())
    tasks_done = sum(finished.values())
    result = {
        "minutes": round(load_minutes, 1),
        "tasks_sent": tasks_sent,
        "tasks_done": tasks_done,
        "tasks_lost": tasks_sent - tasks_done,
        "worker_restarts": restarts.get("worker", 0),
        "web_errors": sum(client.web_errors.values()),
        "unrecoverable_errors": len(unrecoverable),
        "sent": sent,
        "done": finished,
        "restarts": dict(restarts),
        "web_error_kinds": dict(client.web_errors),
        "requests": client.requests,
        "healthz_failing": dict(client.health_failing),
        "imports_failed": imports_failed,
        "quarantined_files": quarantined,
        "exit_status": exit_status,
        "log": str(log_path),
    }
    for line in unrecoverable[:5]:
        print(f"soak: {line}", file=sys.stderr)
    print(json.dumps(result))


def _beat_counts(lines: list[str]) -> tuple[Counter[str], Counter[str]]:
    """How many of each beat task beat sent, and how many the worker logged as succeeded."""
    sent: Counter[str] = Counter()
    succeeded: Counter[str] = Counter()
    for line in list(lines):
        for entry, task in BEAT_TASKS.items():
            if f"Sending due task {entry} " in line:
                sent[entry] += 1
            elif f"Task {task}[" in line and "] succeeded in" in line:
                succeeded[entry] += 1
    return sent, succeeded


if __name__ == "__main__":
    main()
