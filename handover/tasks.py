"""Celery's entry point for handover (autodiscovery imports ``<app>.tasks``): each room's tasks."""

from handover.imports.tasks import (
    delete_expired_uploads_task,
    import_source_task,
    sweep_stale_imports_task,
)

__all__ = ["delete_expired_uploads_task", "import_source_task", "sweep_stale_imports_task"]
