"""Reads of the indexing room: which threads of a case the index may hold."""

from __future__ import annotations

from datetime import datetime

from handover.consent.read import consented_messages
from handover.models import HandoverCase, Purpose


def consent_key_for(case_id: int) -> str:
    """The consent key every indexed passage of the case carries."""
    return f"handover.case:{case_id}"


def thread_source_key(*, case_id: int, thread_id: int) -> str:
    """The index's source key of one thread of a case (a thread may be in two cases)."""
    return f"{consent_key_for(case_id)}:thread:{thread_id}"


def indexed_thread_ids(*, case: HandoverCase, now: datetime | None = None) -> list[int]:
    """The threads the read path serves for INDEX now, in id order; none without a space.

    The readers of the case's space are who may find its passages, so a case with no
    space has nobody to answer and nothing is indexed.
    """
    if case.space_id is None:
        return []
    rows = (
        consented_messages(purpose=Purpose.INDEX, case=case, now=now)
        .order_by()
        .values_list("message__thread_id", flat=True)
        .distinct()
    )
    return sorted(rows)
