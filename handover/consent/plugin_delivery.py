"""What a plugin's own consent purpose lets through to it, read through the one read path.

A plugin declares a purpose (``tacit_consent_purposes``); when a subject grants it, the
worker reads the case's messages through ``handover.consent.read`` for that purpose alone
and hands them, in batches, to that plugin alone (``plugins.manager.
deliver_consented_messages``). Nothing is read, and no plugin is called, for a purpose that
no live grant of the case holds. What a plugin derived is deleted through the purge
registry's ``plugins`` step (``tacit_consent_purge``) after a withdrawal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import transaction

from handover.cases.plugins import case_ref, find_case_for_plugins
from handover.consent import purposes
from handover.consent.read import iter_consented_messages, live_grants
from handover.models import HandoverCase
from plugins.manager import deliver_consented_messages
from plugins.types import CaseRef, ConsentedDelivery, ConsentedMessage

DELIVERY_BATCH = 500


def _deliveries(case: HandoverCase, ref: CaseRef, purpose: str) -> Iterator[ConsentedDelivery]:
    batch: list[ConsentedMessage] = []
    first = True
    for message in iter_consented_messages(purpose=purpose, case=case):
        batch.append(
            ConsentedMessage(
                message_id=message.message_id,
                thread_id=message.thread_id,
                conversation_id=message.conversation_id,
                sent_at=message.sent_at,
                author=message.author,
                author_is_subject=message.author_is_subject,
                text=message.text,
            )
        )
        if len(batch) == DELIVERY_BATCH:
            yield ConsentedDelivery(
                case=ref, purpose=purpose, messages=tuple(batch), first=first, last=False
            )
            batch, first = [], False
    yield ConsentedDelivery(
        case=ref, purpose=purpose, messages=tuple(batch), first=first, last=True
    )


def deliver_case_purpose(*, case_id: int, purpose: str) -> bool:
    """Hand the case's messages consented for the plugin ``purpose`` to its plugin.

    Returns False, reading nothing, when the purpose is not a plugin's, no live grant of
    the case holds it, or no installed plugin declares it.
    """
    if purpose not in purposes.plugin_purpose_values():
        return False
    case = find_case_for_plugins(case_id=case_id)
    if case is None or not live_grants(case=case, purpose=purpose).exists():
        return False
    return deliver_consented_messages(purpose, _deliveries(case, case_ref(case), purpose))


def schedule_plugin_deliveries(*, case_id: int, purposes: Iterable[str] | None = None) -> None:
    """Deliver the plugin purposes among ``purposes`` (every live one when None) on the
    worker once the caller's transaction commits."""
    from handover.consent.tasks import deliver_plugin_purpose_task

    if purposes is None:
        wanted = set(
            live_grants(case=case_id)
            .filter(purpose__startswith=_prefix())
            .values_list("purpose", flat=True)
        )
    else:
        wanted = {purpose for purpose in purposes if purpose.startswith(_prefix())}
    for purpose in sorted(wanted):
        transaction.on_commit(
            lambda purpose=purpose: deliver_plugin_purpose_task.delay(case_id, purpose)
        )


def _prefix() -> str:
    return purposes.PLUGIN_PREFIX
