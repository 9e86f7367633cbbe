"""The checks behind /healthz: each part says whether it is well and why not."""

import os
from dataclasses import dataclass, field
from datetime import timedelta

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
    from config.celery import app

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


def check_embedding_model() -> Check:
    from qa.embeddings import EmbeddingModelError, embedding_model_info

    try:
        info = embedding_model_info()
    except EmbeddingModelError as error:
        return Check(False, {"error": str(error)})
    return Check(True, {"name": info.name, "dimension": info.dimension})


CHECKS = {
    "database": check_database,
    "pgvector": check_pgvector,
    "broker": check_broker,
    "worker": check_worker,
    "embedding_model": check_embedding_model,
}


def run_checks() -> dict[str, Check]:
    """Run every check; a database failure makes the checks that need it fail too."""
    return {name: check() for name, check in CHECKS.items()}
