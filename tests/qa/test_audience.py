"""Who reads an answer decides what it is drawn from: a shared channel gets only what
every signed-in user may read."""

import pytest

from qa.answers import answer_question
from qa.models import Chunk, Question
from qa.retrieval import Audience, search_chunks

pytestmark = pytest.mark.django_db

QUESTION = "How do I restart the payment service?"


def _titles(user, audience: Audience) -> set[str]:  # noqa: ANN001
    found = search_chunks(user=user, question=QUESTION, audience=audience)
    return set(
        Chunk.objects.filter(pk__in=[c.chunk_id for c in found]).values_list("title", flat=True)
    )


def test_a_private_space_page_never_reaches_an_everyone_answer(
    runbook,
    handbook_page,
    successor,  # noqa: ANN001
) -> None:
    assert {runbook.title, handbook_page.title} <= _titles(successor, Audience.ASKER)
    everyone = _titles(successor, Audience.EVERYONE)
    assert handbook_page.title in everyone and runbook.title not in everyone

    answer = answer_question(
        user=successor, question=QUESTION, audience=Audience.EVERYONE, surface="slack"
    )
    assert all(c.title != runbook.title for c in answer.citations)
    assert any(c.title == handbook_page.title for c in answer.citations)
    record = Question.objects.get(pk=answer.question_id)
    assert (record.surface, record.audience) == ("slack", "everyone")


def test_an_everyone_answer_abstains_when_only_private_pages_hold_it(runbook, successor) -> None:  # noqa: ANN001
    answer = answer_question(user=successor, question=QUESTION, audience="everyone")
    assert answer.abstained and not answer.passages
    assert answer_question(user=successor, question=QUESTION).passages


def test_an_unknown_surface_or_audience_is_refused(successor) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="surface"):
        answer_question(user=successor, question=QUESTION, surface="fax")
    with pytest.raises(ValueError):
        answer_question(user=successor, question=QUESTION, audience="the world")
