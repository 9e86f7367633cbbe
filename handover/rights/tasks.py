"""Celery interfaces for data exports: build one, sweep up stalled ones, delete expired ones."""

from celery import shared_task

from handover.rights import export, services


@shared_task(
    name="handover.rights.tasks.build_data_export_task", acks_late=True, ignore_result=True
)
def build_data_export_task(export_id: int) -> None:
    """Build one data export.

    Idempotent: the run claims the export with a compare-and-set, so a second delivery,
    or one sent again by the sweeper, does nothing while another run holds it. No automatic
    retries: a failure is recorded on the export for its person to read, and a dead worker
    is covered by ``sweep_stale_data_exports_task``.
    """
    export.build_data_export(export_id=export_id)


@shared_task(name="handover.rights.tasks.sweep_stale_data_exports_task", ignore_result=True)
def sweep_stale_data_exports_task() -> None:
    """Periodic: send again exports whose heartbeat stopped, or that no worker picked up."""
    services.requeue_stale_data_exports()


@shared_task(name="handover.rights.tasks.delete_expired_data_exports_task", ignore_result=True)
def delete_expired_data_exports_task() -> None:
    """Periodic: delete exports older than ``DATA_EXPORT_RETENTION_DAYS``, files and rows."""
    services.delete_expired_data_exports()
