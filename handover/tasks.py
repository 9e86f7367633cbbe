"""Celery's entry point for handover (autodiscovery imports ``<app>.tasks``): each room's tasks."""

from handover.imports.tasks import import_source_task, sweep_stale_imports_task

__all__ = ["import_source_task", "sweep_stale_imports_task"]
