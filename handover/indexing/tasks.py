"""Celery interfaces of the indexing room."""

from celery import shared_task

from handover.indexing import services
from qa.tasks import embed_pending_task


@shared_task(name="handover.indexing.index_case_threads", acks_late=True, ignore_result=True)
def index_case_threads_task(case_id: int) -> None:
    """Index the case's consented threads again, then embed what changed.

    Idempotent: each run makes the index what the read path serves at that moment, and
    unchanged passages keep their vectors.
    """
    services.index_case_threads(case_id=case_id)
    embed_pending_task.run()
