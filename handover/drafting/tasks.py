"""Celery interfaces for drafting: run one drafting, rewrite edited topics, sweep dead runs."""

from celery import shared_task

from handover.drafting import runner, runs


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
