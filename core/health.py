"""The checks behind /healthz: a registry each app adds its parts to, and core's own checks.

Core knows no other app: each app registers the check of the part it owns in
its ``AppConfig.ready`` (qa registers the embedding model), and ``/healthz``
runs what is registered, in registration order.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import WorkerHeartbeat


@dataclass
class Check:
    """One part's state; ``details`` carries what an operator wants to see."""

    ok: bool
    details: dict = field(default_factory=dict)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0]
    except Exception as error:  # noqa: BLE001 - any failure means the database is unwell
        return Check(False, {"error": str(error).strip()[:300]})
    return Check(True, {"version": version.split(",")[0], "embedded": not settings.DATABASE_URL})


def check_pgvector() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception as error:  # noqa: BLE001
        return Check(False, {"error": str(error).strip()[:300]})
    if row is None:
        return Check(False, {"error": "the vector extension is not installed; run migrate"})
    return Check(True, {"version": row[0]})


def check_broker() -> Check:
    # The process's Celery app (config/celery.py makes it current); core never imports config.
    app = current_app
    url = settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    transport = url.split("://", 1)[0]
    if transport in ("filesystem", "tacitfs"):
        folder = options.get("data_folder_in", "")
        if not (folder and os.path.isdir(folder) and os.access(folder, os.W_OK)):
            return Check(False, {"transport": transport, "error": f"{folder!r} is not writable"})
    try:
        with app.connection_for_write(url, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, timeout=2, interval_start=0)
    except Exception as error:  # noqa: BLE001
        return Check(False, {"transport": transport, "error": str(error).strip()[:300]})
    return Check(True, {"transport": transport})


def check_worker() -> Check:
    max_age = timedelta(seconds=settings.WORKER_HEARTBEAT_SECONDS * 3)
    try:
        latest = WorkerHeartbeat.objects.order_by("-beat_at").first()
    except Exception as error:  # noqa: BLE001
        return Check(False, {"error": str(error).strip()[:300]})
    if latest is None:
        return Check(False, {"error": "no worker has reported a heartbeat yet"})
    age = timezone.now() - latest.beat_at
    details = {"hostname": latest.hostname, "age_s": round(age.total_seconds(), 1)}
    if age > max_age:
        details["error"] = f"last heartbeat older than {max_age.total_seconds():.0f} s"
        return Check(False, details)
    return Check(True, details)


HealthCheck = Callable[[], Check]

_checks: dict[str, HealthCheck] = {}


def register_check(name: str, check: HealthCheck) -> None:
    """Add ``check`` to /healthz under ``name``; registering the same pair again changes nothing.

    A second, different check under a name already taken raises ``ValueError``:
    two apps claiming one part is a wiring mistake to see at start-up.
    """
    registered = _checks.get(name)
    if registered is not None and registered is not check:
        raise ValueError(f"a health check named {name!r} is registered already")
    _checks[name] = check


def registered_checks() -> dict[str, HealthCheck]:
    """The registered checks by name, in registration order."""
    return dict(_checks)


def register_core_checks() -> None:
    """Core's own parts: the database, pgvector, the broker and the worker heartbeat."""
    register_check("database", check_database)
    register_check("pgvector", check_pgvector)
    register_check("broker", check_broker)
    register_check("worker", check_worker)


def run_checks() -> dict[str, Check]:
    """Run every registered check; a database failure makes the checks that need it fail too."""
    return {name: check() for name, check in _checks.items()}
