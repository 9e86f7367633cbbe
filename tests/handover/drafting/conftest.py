"""Drafting fixtures: the real Slack export shared for publishing, prepared."""

import pytest
from django.db.models import Count

from handover.consent import services as consent_services
from handover.models import Conversation, Purpose
from handover.privacy import services as privacy_services


def share_for_publishing(case, subject, conversation_ids) -> None:  # noqa: ANN001
    consent_services.record_consent(
        case=case, by=subject, purposes=[Purpose.PUBLISH], conversation_ids=list(conversation_ids)
    )
    privacy_services.prepare_case_messages(case_id=case.pk)


def conversations_by_size(subject) -> list[int]:  # noqa: ANN001
    """The subject's conversations, smallest first (tests share a few to stay quick)."""
    rows = (
        Conversation.objects.filter(owner=subject)
        .annotate(size=Count("messages"))
        .filter(size__gt=0)
        .order_by("size", "pk")
    )
    return list(rows.values_list("pk", flat=True))


@pytest.fixture
def shared_case(case, subject, slack_import):  # noqa: ANN001, ANN201
    """The case with every conversation but the largest shared for publishing."""
    ids = conversations_by_size(subject)
    share_for_publishing(case, subject, ids[:-1])
    case.refresh_from_db()
    case.unshared_conversation_id = ids[-1]
    return case


@pytest.fixture
def small_case(case, subject, slack_import):  # noqa: ANN001, ANN201
    """The case with its eight smallest conversations shared for publishing (quick runs)."""
    share_for_publishing(case, subject, conversations_by_size(subject)[:8])
    case.refresh_from_db()
    return case
