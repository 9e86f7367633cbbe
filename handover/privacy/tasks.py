"""Celery interfaces of the privacy room: prepare a case's consented messages."""

from celery import shared_task

from handover.privacy import services


@shared_task(
    name="handover.privacy.tasks.prepare_case_messages_task", acks_late=True, ignore_result=True
)
def prepare_case_messages_task(
    case_id: int, message_ids: list[int] | None = None, again: bool = False
) -> None:
    """Prepare what the case's grants cover and is not prepared yet (``again``: everything).

    Idempotent: preparing writes one row per (case, message), replaced on a re-run.
    """
    if again:
        from handover.models import PreparedMessage

        message_ids = list(
            PreparedMessage.objects.filter(case_id=case_id).values_list("message_id", flat=True)
        )
        services.prepare_case_messages(case_id=case_id, message_ids=message_ids)
        services.prepare_case_messages(case_id=case_id)
        return
    services.prepare_case_messages(case_id=case_id, message_ids=message_ids)
