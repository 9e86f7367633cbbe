"""Celery interfaces for imports: run one source, sweep up dead imports, delete expired uploads."""

from celery import shared_task

from handover.imports import pipeline, services


# The names stay those of the former handover/tasks.py: queued messages and the beat schedule
# (config/settings.py) refer to them.
@shared_task(name="handover.tasks.import_source_task", acks_late=True, ignore_result=True)
def import_source_task(source_id: int) -> None:
    """Run (or resume) the import of one source.

    Idempotent: the run claims the source with a compare-and-set, so a second
    delivery of the same task, or one sent again by the sweeper, does nothing
    while another run holds it, and resumes from the checkpoint otherwise.
    No automatic retries: a failure is recorded on the source for a person to
    read, and a dead worker is covered by ``sweep_stale_imports_task``.
    """
    pipeline.run_import(source_id=source_id)


@shared_task(name="handover.tasks.sweep_stale_imports_task", ignore_result=True)
def sweep_stale_imports_task() -> None:
    """Send again imports whose heartbeat stopped (the embedded brokers deliver at most once)."""
    services.requeue_stale_imports()


@shared_task(name="handover.tasks.delete_expired_uploads_task", ignore_result=True)
def delete_expired_uploads_task() -> None:
    """Periodic: delete the uploads of imports that succeeded longer ago than the retention."""
    services.delete_expired_uploads()
