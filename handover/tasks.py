"""Celery's entry point for handover (autodiscovery imports ``<app>.tasks``): each room's tasks."""

from handover.cases.tasks import announce_case_opened_task
from handover.consent.tasks import (
    deliver_plugin_purpose_task,
    run_purge_job_task,
    sweep_purge_jobs_task,
)
from handover.drafting.tasks import (
    rewrite_topics_task,
    run_draft_task,
    sweep_stale_draft_runs_task,
)
from handover.imports.tasks import (
    delete_expired_uploads_task,
    import_source_task,
    sweep_stale_imports_task,
)
from handover.indexing.tasks import index_case_threads_task
from handover.privacy.tasks import prepare_case_messages_task
from handover.rights.tasks import (
    build_data_export_task,
    delete_expired_data_exports_task,
    sweep_stale_data_exports_task,
)

__all__ = [
    "announce_case_opened_task",
    "deliver_plugin_purpose_task",
    "build_data_export_task",
    "delete_expired_data_exports_task",
    "delete_expired_uploads_task",
    "import_source_task",
    "index_case_threads_task",
    "prepare_case_messages_task",
    "rewrite_topics_task",
    "run_draft_task",
    "run_purge_job_task",
    "sweep_purge_jobs_task",
    "sweep_stale_draft_runs_task",
    "sweep_stale_data_exports_task",
    "sweep_stale_imports_task",
]
