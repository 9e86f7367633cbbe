"""The import tasks keep the names queued messages and the beat schedule know them by."""

from celery import current_app
from django.conf import settings

from handover.imports.tasks import import_source_task, sweep_stale_imports_task


def test_it_keeps_the_registered_task_names() -> None:
    assert import_source_task.name == "handover.tasks.import_source_task"
    assert sweep_stale_imports_task.name == "handover.tasks.sweep_stale_imports_task"


def test_the_beat_schedule_names_registered_tasks() -> None:
    current_app.loader.import_default_modules()  # what a worker imports at start-up
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in current_app.tasks, entry
