"""Personas with stated rights, and a real Celery worker for tests that need one.

Personas:
- ``subject``: the departing employee; member of the platform team.
- ``manager``: the subject's manager; manager role in the platform team.
- ``successor``: takes over the subject's work; member of the platform team.
- ``teammate``: another member of the platform team.
- ``outsider``: signed in, in no team; sees nothing private.
- ``operator``: staff; may use the admin and operator endpoints.
- ``hr``: HR role in the platform team (add the ``team`` fixture); oversees handovers.
- ``superuser``: a superuser in no team; holds no right over anyone's consent.
"""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections
from django.test import Client, override_settings
from django.utils import translation

from core.models import Membership, Team

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher() -> Iterator[None]:
    """MD5 for the test run only: the default PBKDF2 costs ~0.2 s per persona created.

    override_settings sends setting_changed, which clears Django's hasher cache.
    """
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> None:  # noqa: ANN001
    """The test database, with autovacuum off on its tables.

    A test's rows are rolled back, so autovacuum only ever finds a table of dead rows and
    records "no rows in these pages"; the planner then takes the table for empty whatever
    the next test writes into it, and plans nested loops over full index scans (a purge
    over a Slack export's messages ran for minutes that way). A table never vacuumed is
    estimated from its pages, which is right for rows written in the same transaction.
    """
    with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT format('ALTER TABLE %I.%I SET (autovacuum_enabled = false, "
            "toast.autovacuum_enabled = false)', schemaname, tablename) "
            "FROM pg_tables WHERE schemaname = 'public'"
        )
        for (statement,) in cursor.fetchall():
            cursor.execute(statement)


@pytest.fixture(autouse=True, scope="session")
def _live_server_sends_at_once() -> Iterator[None]:
    """The live server (schemathesis, the browser tests) with TCP_NODELAY.

    Django's development handler writes a response's head and body separately; with
    Nagle's algorithm on, the body waits for the client's delayed ACK of the head, some
    40 ms per keep-alive request, which was most of the API fuzzing run.
    """
    from django.core.servers.basehttp import WSGIRequestHandler

    WSGIRequestHandler.disable_nagle_algorithm = True
    yield
    WSGIRequestHandler.disable_nagle_algorithm = False


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache, so none depends on what another one cached."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request with ``Accept-Language`` leaves
    the language it chose active in the test's thread after the response."""
    translation.deactivate()
    yield
    translation.deactivate()


def _make_user(username: str, **extra: object):  # noqa: ANN202
    return get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.com",
        first_name=username.capitalize(),
        **extra,
    )


@pytest.fixture
def subject(db):  # noqa: ANN001, ANN201
    return _make_user("subject")


@pytest.fixture
def manager(db):  # noqa: ANN001, ANN201
    return _make_user("manager")


@pytest.fixture
def successor(db):  # noqa: ANN001, ANN201
    return _make_user("successor")


@pytest.fixture
def teammate(db):  # noqa: ANN001, ANN201
    return _make_user("teammate")


@pytest.fixture
def outsider(db):  # noqa: ANN001, ANN201
    return _make_user("outsider")


@pytest.fixture
def operator(db):  # noqa: ANN001, ANN201
    return _make_user("operator", is_staff=True)


@pytest.fixture
def superuser(db):  # noqa: ANN001, ANN201
    return _make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def hr(team):  # noqa: ANN001, ANN201
    user = _make_user("hr")
    Membership.objects.create(team=team, user=user, role=Membership.Role.HR)
    return user


@pytest.fixture
def team(subject, manager, successor, teammate) -> Team:  # noqa: ANN001
    team = Team.objects.create(name="Platform", slug="platform")
    Membership.objects.create(team=team, user=manager, role=Membership.Role.MANAGER)
    for member in (subject, successor, teammate):
        Membership.objects.create(team=team, user=member, role=Membership.Role.MEMBER)
    return team


@pytest.fixture
def client_for():  # noqa: ANN201
    """``client_for(user)`` gives a test client signed in as ``user`` (None: anonymous)."""

    def make(user) -> Client:  # noqa: ANN001
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public exports in ../shared/data, read in place."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: tests read the shared data in place")
    return SHARED_DATA


class WorkerProcess:
    """A real ``celery worker`` subprocess on the test database and the configured broker."""

    def __init__(
        self, database_name: str, queue: str | None = None, env: dict[str, str] | None = None
    ) -> None:
        """Start the worker; with ``queue`` it consumes only that queue; ``env`` adds settings."""
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        extra_env = env or {}
        env = os.environ.copy()
        env.update(extra_env)
        env["TACIT_DB_NAME"] = database_name
        env["TACIT_BROKER_DIR"] = str(settings.TACIT_BROKER_DIR)
        env["PYTHONUNBUFFERED"] = "1"
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                *(["-Q", queue] if queue else []),
                "-n",
                self.name,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if " ready." in line:
                self._ready.set()

    def wait_ready(self, timeout: float = 120) -> None:
        if not self._ready.wait(timeout):
            self.stop()
            output = "\n".join(self.lines[-40:])
            raise RuntimeError(f"the Celery worker did not start:\n{output}")

    def wait_idle(self, timeout: float = 60) -> None:
        """Return once the worker runs and holds no task, twice in a row (it may be mid-task)."""
        from config.celery import app

        name = self.name.replace("%h", socket.gethostname())
        deadline = time.monotonic() + timeout
        idle_twice = 0
        while idle_twice < 2 and time.monotonic() < deadline:
            inspect = app.control.inspect(destination=[name], timeout=1)
            # A solo pool answers only between tasks: no answer means it is busy.
            active, reserved = inspect.active() or {}, inspect.reserved() or {}
            idle = name in active and not active[name] and not reserved.get(name)
            idle_twice = idle_twice + 1 if idle else 0
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# The session's worker once a test has started it (see pytest_runtest_teardown).
_session_worker: list[WorkerProcess] = []


@pytest.fixture(scope="session")
def worker_process(django_db_setup, django_db_blocker) -> Iterator[WorkerProcess]:  # noqa: ANN001
    """Start one worker for the session, on the test database; stop it at the end."""
    worker = WorkerProcess(settings.DATABASES["default"]["NAME"])
    try:
        worker.wait_ready()
        _session_worker.append(worker)
        yield worker
    finally:
        _session_worker.clear()
        worker.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Before a test served over a socket is torn down, let the session's worker finish
    what the test's requests sent it: a task still writing when the test database is
    flushed deadlocks with the flush. (``celery_worker`` waits the same way.)"""
    served = {"live_server", "asgi_site"} & set(getattr(item, "fixturenames", ()))
    if served and _session_worker:
        _session_worker[0].wait_idle(timeout=30)


@pytest.fixture(scope="session")
def asgi_site(django_db_setup) -> Iterator[str]:  # noqa: ANN001
    """The site as ``make run`` serves it (``config.asgi``: Django and /mcp) under uvicorn
    in a thread, on the test database; its URL. Tests using it need
    ``django_db(transaction=True)`` so the server's threads see what they wrote.

    Its database connections are not kept (``CONN_MAX_AGE`` 0): the server's threads
    outlive the tests, and a kept connection would stop the test database being dropped.
    """
    import uvicorn

    from config.asgi import application

    database = connections.settings["default"]
    kept, database["CONN_MAX_AGE"] = database["CONN_MAX_AGE"], 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database["CONN_MAX_AGE"] = kept


@pytest.fixture
def celery_worker(worker_process: WorkerProcess) -> Iterator[WorkerProcess]:
    """The session's worker; after the test, wait until it has finished what the test sent.

    A task still running when the test database is flushed deadlocks with the flush.
    """
    yield worker_process
    worker_process.wait_idle()


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.1):  # noqa: ANN001, ANN201
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Drive Debian's Chromium; Playwright's own browser download is not available here."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }
