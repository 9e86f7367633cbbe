"""`make run` supervises what it starts: a dead worker or web server comes back, a flapper is
given up on, the site keeps serving meanwhile, and Ctrl-C stops everything."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import REPO_ROOT, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """scripts/serve.sh in its own session, as a terminal would run it, on the test database."""

    def __init__(self, tmp_path: Path, *, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.run_dir = tmp_path / "run"
        env = os.environ.copy()
        env.pop("CELERY_BROKER_URL", None)  # what `make run` uses: the embedded broker
        env.update(
            TACIT_DB_NAME=settings.DATABASES["default"]["NAME"],
            TACIT_BROKER_DIR=str(tmp_path / "broker"),
            TACIT_RUN_DIR=str(self.run_dir),
            PORT=str(self.port),
            WEB_WORKERS="1",
            WORKER_CONCURRENCY="1",
            WORKER_HEARTBEAT_SECONDS="1",
            SUPERVISE_MAX_RESTARTS="3",
        )
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            ["./scripts/serve.sh"],
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
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def log(self) -> str:
        return "\n".join(self.lines)

    def get(self, path: str) -> tuple[int, dict | str]:
        """Status and body of a GET; status 0 when nothing answers."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                body = r.read().decode()
                status = r.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode(), error.code
        except OSError:
            return 0, ""
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def ctl(self, *args: str) -> str:
        result = subprocess.run(
            [
                str(REPO_ROOT / ".venv" / "bin" / "supervisorctl"),
                "-s",
                f"unix://{self.run_dir}/supervisor.sock",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.stdout.strip()

    def running_pid(self, program: str) -> int | None:
        line = self.ctl("status", program)
        if "RUNNING" not in line:
            return None
        return int(line.split("pid ", 1)[1].split(",", 1)[0])

    def worker_ok(self) -> bool:
        status, body = self.get("/healthz")
        return isinstance(body, dict) and body["checks"]["worker"]["ok"]

    def stop(self) -> None:
        """Stop as Ctrl-C would; if that fails, kill every program, then supervisord."""
        if self.process.poll() is not None:
            return
        pids = [int(pid) for pid in self.ctl("pid", "all").split() if pid.isdigit() and pid != "0"]
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in pids:  # each program runs in its own process group
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def served(tmp_path):  # noqa: ANN001, ANN201
    served = Served(tmp_path)
    try:
        yield served
    finally:
        served.stop()
        print(served.log())  # shown by pytest when the test fails


def test_it_restarts_what_dies_keeps_serving_and_stops_on_ctrl_c(served) -> None:  # noqa: ANN001
    wait_for(lambda: served.get("/accounts/login/")[0] == 200, timeout=90)
    worker_pid = wait_for(lambda: served.running_pid("worker"), timeout=60)
    wait_for(served.worker_ok, timeout=60)

    # The worker dies: it is started again and says why; the site answers all along.
    os.kill(worker_pid, signal.SIGKILL)
    statuses = []
    new_worker = wait_for(
        lambda: (
            statuses.append(served.get("/accounts/login/")[0])
            or ((pid := served.running_pid("worker")) and pid != worker_pid and pid)
        ),
        timeout=60,
    )
    assert set(statuses) == {200}
    assert "exited: worker (terminated by SIGKILL; not expected)" in served.log()
    assert f"worker (pid {worker_pid}) exited unexpectedly" in served.log()
    wait_for(served.worker_ok, timeout=60)

    # The web server's master dies: it is started again.
    web_pid = served.running_pid("web")
    os.kill(web_pid, signal.SIGKILL)
    wait_for(lambda: (pid := served.running_pid("web")) and pid != web_pid, timeout=60)
    wait_for(lambda: served.get("/accounts/login/")[0] == 200, timeout=60)

    # A worker that keeps dying is given up on after SUPERVISE_MAX_RESTARTS exits;
    # the site keeps serving and /healthz says the worker is failing.
    os.kill(new_worker, signal.SIGKILL)
    third = wait_for(
        lambda: (pid := served.running_pid("worker")) != new_worker and pid, timeout=60
    )
    os.kill(third, signal.SIGKILL)
    wait_for(lambda: "giving up on worker" in served.log(), timeout=60)
    # Stopped, or being stopped: supervisord had already started it again when it gave up.
    wait_for(lambda: {"STOPPING", "STOPPED"} & set(served.ctl("status", "worker").split()))
    assert served.get("/accounts/login/")[0] == 200
    status, body = wait_for(
        lambda: (answer := served.get("/healthz"))[0] == 503 and answer, timeout=30
    )
    assert "worker" in body["failing"]

    # Ctrl-C stops everything, in order, and nothing is left running.
    pids = [served.running_pid(name) for name in ("web", "beat")]
    os.killpg(served.process.pid, signal.SIGINT)
    assert served.process.wait(timeout=90) in (0, 130)
    time.sleep(0.5)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert "Stopped." in served.log()


def test_a_web_server_that_cannot_start_stops_tacit_with_the_reason(tmp_path) -> None:  # noqa: ANN001
    """When nothing can be served (the port is taken), `make run` ends with the reason."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        served = Served(tmp_path, port=taken.getsockname()[1])
        try:
            assert served.process.wait(timeout=120) == 1
        finally:
            served.stop()
    assert "giving up on web" in served.log()
    assert "Tacit stopped: web:" in served.log()


def test_a_malformed_process_count_is_refused_before_starting(tmp_path) -> None:  # noqa: ANN001
    result = subprocess.run(
        ["./scripts/serve.sh"],
        cwd=REPO_ROOT,
        env={**os.environ, "WORKER_CONCURRENCY": "lots", "TACIT_RUN_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Configuration error: WORKER_CONCURRENCY='lots' is not a positive integer" in (
        result.stderr
    )
