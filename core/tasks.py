"""Celery interfaces for core: each loads by id and calls a service."""

import socket

from celery import shared_task

from core import services


@shared_task(ignore_result=True)
def record_worker_heartbeat_task() -> None:
    """Periodic: prove a worker consumes from the broker and reaches the database."""
    services.record_worker_heartbeat(hostname=socket.gethostname())


@shared_task(ignore_result=True, acks_late=True)
def complete_task_probe_task(probe_id: int) -> None:
    """Answer a probe sent from the web side; idempotent on redelivery."""
    services.record_worker_heartbeat(hostname=socket.gethostname())
    services.complete_task_probe(probe_id=probe_id, hostname=socket.gethostname())


@shared_task(ignore_result=True)
def purge_rate_counters_task() -> None:
    """Periodic: forget rate-limit windows that have ended."""
    from core.ratelimit import purge_expired

    purge_expired()
