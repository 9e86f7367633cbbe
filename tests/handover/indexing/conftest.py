"""Indexing fixtures: the real Slack export, a case with a wiki space, and consent helpers.

Cases are shared through the consent service and prepared in this process, as in
``tests/handover/consent``; the index is written by calling the service, so these tests
never load the embedding model (keyword retrieval needs none). The worker test embeds.
"""

import pytest

from handover.consent import services as consent_services
from handover.indexing.selectors import consent_key_for
from handover.models import HandoverCase, Purpose
from handover.privacy import services as privacy_services
from qa.models import Chunk
from qa.retrieval import search_chunks
from tests.handover.drafting.conftest import conversations_by_size
from wiki import services as wiki
from wiki.models import Role


@pytest.fixture
def wiki_space(manager, subject, successor, teammate):  # noqa: ANN001, ANN201
    """The team's private space: the subject edits, the successor and the teammate read."""
    space = wiki.create_space(name="Platform docs", key="platform", by=manager)
    wiki.set_space_role(space=space, by=manager, role=Role.EDITOR, user=subject)
    wiki.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    wiki.set_space_role(space=space, by=manager, role=Role.READER, user=teammate)
    return space


@pytest.fixture
def spaced_case(case, wiki_space, slack_import) -> HandoverCase:  # noqa: ANN001
    """The case, publishing into (and so indexed for) the team's space."""
    case.space = wiki_space
    case.save(update_fields=["space"])
    return case


def share(case, subject, purposes=(Purpose.INDEX,), conversation_ids=None, **options) -> list[int]:  # noqa: ANN001
    """The subject shares ``conversation_ids`` (default: all) for ``purposes``; prepared."""
    ids = list(conversation_ids) if conversation_ids is not None else conversations_by_size(subject)
    consent_services.record_consent(
        case=case, by=subject, purposes=list(purposes), conversation_ids=ids, **options
    )
    privacy_services.prepare_case_messages(case_id=case.pk)
    return ids


def case_chunks(case):  # noqa: ANN001, ANN201
    return Chunk.objects.filter(consent_key=consent_key_for(case.pk))


def found_of_case(case, user, question: str) -> list[int]:  # noqa: ANN001
    """Chunk ids of ``case`` that keyword retrieval answers ``user`` with."""
    ids = set(case_chunks(case).values_list("pk", flat=True))
    return [
        c.chunk_id
        for c in search_chunks(user=user, question=question, mode="keyword")
        if c.chunk_id in ids
    ]


def a_question(case) -> str:  # noqa: ANN001
    """Words of one indexed passage, so keyword retrieval must find it if it may."""
    chunk = case_chunks(case).order_by("pk").first()
    assert chunk is not None
    words = [word for word in chunk.text.split() if word.isalpha() and len(word) > 4]
    return " ".join(words[:8]) or chunk.title
