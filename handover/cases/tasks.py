"""Celery interfaces of handover cases: tell plugins a case was opened."""

from celery import shared_task

from handover.cases import plugins


@shared_task(name="handover.cases.tasks.announce_case_opened_task", ignore_result=True)
def announce_case_opened_task(case_id: int) -> None:
    """Call every plugin's ``tacit_case_opened`` for the case (they are idempotent)."""
    plugins.announce_case_opened(case_id=case_id)
