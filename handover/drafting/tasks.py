"""Celery interfaces for drafting: run one drafting, rewrite edited topics and sections,
sweep dead runs."""

from celery import shared_task

from handover.drafting import generation, runner, runs


@shared_task(name="handover.drafting.tasks.run_draft_task", acks_late=True, ignore_result=True)
def run_draft_task(run_id: int) -> None:
    """Run (or resume) one drafting; idempotent through the run's compare-and-set claim."""
    runner.run_draft(run_id=run_id)


@shared_task(name="handover.drafting.tasks.rewrite_topics_task", ignore_result=True)
def rewrite_topics_task(run_id: int, topic_ids: list[int]) -> None:
    """Write again the sections of topics the subject merged or split."""
    from handover.drafting import topics

    topics.rewrite_topics(run_id=run_id, topic_ids=topic_ids)


@shared_task(name="handover.drafting.tasks.sweep_stale_draft_runs_task", ignore_result=True)
def sweep_stale_draft_runs_task() -> None:
    """Send again draft runs whose heartbeat stopped."""
    runs.requeue_stale_draft_runs()


@shared_task(name="handover.drafting.tasks.rewrite_section_task", ignore_result=True)
def rewrite_section_task(section_id: int, user_id: int) -> None:
    """Rewrite one section through the configured processor, as its subject asked.

    Idempotent through the section's compare-and-set claim of its waiting request.
    """
    generation.run_requested_rewrite(section_id=section_id, user_id=user_id)
