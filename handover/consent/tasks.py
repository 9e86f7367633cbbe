"""Celery interfaces of the consent ledger: run a purge, and sweep up purges that stalled."""

from celery import shared_task

from handover.consent import services


@shared_task(name="handover.consent.tasks.run_purge_job_task", acks_late=True, ignore_result=True)
def run_purge_job_task(job_id: int) -> None:
    """Run (or resume) one purge job; a second delivery does nothing while a run holds it."""
    services.run_purge_job(job_id=job_id)


@shared_task(name="handover.consent.tasks.sweep_purge_jobs_task", ignore_result=True)
def sweep_purge_jobs_task() -> None:
    """Send again purges that are pending or whose worker died, until each is done."""
    services.requeue_purge_jobs()


@shared_task(name="handover.consent.tasks.deliver_plugin_purpose_task", ignore_result=True)
def deliver_plugin_purpose_task(case_id: int, purpose: str) -> None:
    """Hand a case's messages consented for a plugin's purpose to that plugin alone."""
    from handover.consent.plugin_delivery import deliver_case_purpose

    deliver_case_purpose(case_id=case_id, purpose=purpose)
