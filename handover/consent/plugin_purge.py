"""The purge step that hands a withdrawal to every plugin (``tacit_consent_purge``)."""

from __future__ import annotations

from handover.consent.purge import PurgeScope
from handover.models import HandoverCase
from plugins.manager import run_plugin_purges
from plugins.types import PurgeRequest


def purge_plugin_data(scope: PurgeScope) -> int:
    """Ask each plugin to delete what it derived from what ``scope`` withdrew."""
    subject_id = (
        HandoverCase.objects.filter(pk=scope.case_id).values_list("subject_id", flat=True).first()
    )
    if subject_id is None:
        return 0
    request = PurgeRequest(
        case_id=scope.case_id,
        subject_user_id=subject_id,
        whole_case=scope.whole_case,
        purposes=frozenset(scope.purposes),
        conversation_ids=frozenset(scope.conversation_ids),
        thread_ids=frozenset(scope.thread_ids),
    )
    return run_plugin_purges(request)
