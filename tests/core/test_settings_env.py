"""Each malformed environment value stops start-up with a message naming it."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT


def run_check(**overrides: str) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://root@localhost/tacit", "DATABASE_URL has scheme 'mysql'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL has scheme '(none)'"),
        ("DATABASE_URL", "postgresql://u@host:port/tacit", "DATABASE_URL has a malformed port"),
        ("DATABASE_URL", "postgresql://u@localhost:5432", "DATABASE_URL names no database"),
        ("PORT", "eighty", "PORT='eighty' is not an integer"),
        ("WORKER_HEARTBEAT_SECONDS", "1.5", "WORKER_HEARTBEAT_SECONDS='1.5' is not an integer"),
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        (
            "EMBEDDING_MODEL",
            "/nonexistent/model",
            "EMBEDDING_MODEL='/nonexistent/model' does not exist",
        ),
        ("CELERY_BROKER_URL", "kafka://localhost", "CELERY_BROKER_URL has scheme 'kafka'"),
        ("AUDIT_HMAC_KEY", "hunter2", "AUDIT_HMAC_KEY is too short (7 characters)"),
    ],
)
def test_it_stops_with_a_message_naming_the_variable(name: str, value: str, expected: str) -> None:
    result = run_check(**{name: value})
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Configuration error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_starts_with_the_defaults() -> None:
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
