"""The answer service: extractive answers with citations, abstention that asks a person,
answers that come back as entries, and feedback that creates work."""

import pytest

from qa.answers import (
    AnswerPermissionError,
    QuestionError,
    answer_question,
    answer_request,
    record_feedback,
)
from qa.indexing import embed_pending_chunks, ensure_active_index, index_page
from qa.models import Chunk, KnowledgeRequest, Question, RequestRecipient
from wiki import services
from wiki.models import Notification

pytestmark = pytest.mark.django_db


def test_an_answer_cites_the_passage_and_highlights_the_answering_sentence(
    runbook,
    successor,  # noqa: ANN001
) -> None:
    answer = answer_question(user=successor, question="How do I restart the payment service?")
    assert not answer.abstained and answer.confidence >= 0.35
    best = answer.passages[0]
    assert best.citation.title == "Payment service runbook"
    assert best.citation.url.endswith("#restarting") and best.citation.owner
    assert [s.text for s in best.sentences if s.highlighted][0].startswith("When the payment")
    assert "make restart-payments" in answer.answer
    # Every citation is a real chunk the asker may read.
    for citation in answer.citations:
        assert Chunk.objects.filter(pk=citation.chunk_id, space=runbook.space).exists()
    stored = Question.objects.get(pk=answer.question_id)
    assert stored.answer["passages"][0]["chunk_id"] == best.chunk_id


def test_an_outsider_gets_nothing_from_a_private_space(runbook, outsider) -> None:  # noqa: ANN001
    answer = answer_question(user=outsider, question="How do I restart the payment service?")
    assert answer.abstained and answer.passages == [] and answer.citations == []
    assert "payment" not in answer.answer.lower()


def test_abstention_files_a_request_and_its_answer_is_used_next_time(
    runbook,
    successor,
    teammate,  # noqa: ANN001
) -> None:
    question = "What is the wifi password of the Berlin office?"
    first = answer_question(user=successor, question=question, new_chat=True)
    assert first.abstained and first.request_id is not None
    request = KnowledgeRequest.objects.get(pk=first.request_id)
    # Routed to the owner of the nearest page, never to the asker.
    assert [p.user_id for p in first.routed_to] == [teammate.pk]
    assert RequestRecipient.objects.filter(request=request, user=teammate).exists()

    with pytest.raises(AnswerPermissionError):
        answer_request(request=request, by=successor, answer="It is hunter2.")
    entry = answer_request(request=request, by=teammate, answer="Ask reception; it changes weekly.")
    request.refresh_from_db()
    assert request.status == "answered" and request.entry == entry
    embed_pending_chunks()

    again = answer_question(user=successor, question="wifi password for the Berlin office?")
    assert not again.abstained and again.from_entry
    assert again.passages[0].citation.kind == "entry" and again.passages[0].citation.verified
    assert "reception" in again.answer


def test_not_helpful_flags_the_cited_page_and_notifies_its_owner(
    runbook,
    successor,
    teammate,  # noqa: ANN001
) -> None:
    answer = answer_question(user=successor, question="How do I restart the payment service?")
    question = Question.objects.get(pk=answer.question_id)
    with pytest.raises(AnswerPermissionError):
        record_feedback(question=question, by=teammate, helpful=False)
    record_feedback(question=question, by=successor, helpful=False)
    runbook.refresh_from_db()
    assert runbook.review_by is not None
    [note] = Notification.objects.filter(user=teammate, kind="review")
    assert note.page == runbook and "restart" in note.note


def test_a_question_must_be_text_of_reasonable_length(successor) -> None:  # noqa: ANN001
    for bad in ("", "   ", "x" * 2001):
        with pytest.raises(QuestionError):
            answer_question(user=successor, question=bad)
    assert not Question.objects.exists()


def test_a_chinese_question_is_answered_from_a_chinese_page(space, teammate, successor) -> None:  # noqa: ANN001
    page = services.create_page(
        space=space,
        author=teammate,
        title="运维手册",
        body="# 数据库备份\n\n数据库每天凌晨两点自动备份。恢复备份需要联系运维值班。",
    )
    index_page(page_id=page.pk)
    ensure_active_index()
    embed_pending_chunks()
    answer = answer_question(user=successor, question="数据库什么时候备份？")
    assert answer.passages and answer.passages[0].citation.title == "运维手册"
    highlighted = [s.text for s in answer.passages[0].sentences if s.highlighted]
    assert highlighted and "备份" in highlighted[0]


def test_a_thread_shared_without_the_quote_purpose_is_cited_and_not_quoted(
    space,
    successor,
    teammate,  # noqa: ANN001
) -> None:
    from qa.indexing import ThreadSource, replace_thread_sources

    source = ThreadSource(
        source_key="case:9:thread:1",
        space_id=space.pk,
        title="Certificate renewal",
        text="Colleague A: The TLS certificate of the billing gateway expires every March.",
        url="/handover/cases/9/sources/1/",
        owner_label="the departing colleague",
        consent_key="case:9",
        purpose=Chunk.QA_PURPOSE,
        expires_at=None,
        contact_ids=(teammate.pk,),
    )
    replace_thread_sources(consent_key="case:9", sources=[source])
    ensure_active_index()
    embed_pending_chunks()
    answer = answer_question(
        user=successor, question="When does the billing gateway certificate expire?"
    )
    [passage] = [p for p in answer.passages if p.citation.kind == "thread"]
    assert not passage.quoted and passage.text == "" and passage.sentences == []
    assert "March" not in answer.answer and "Certificate renewal" in answer.answer
    stored = Question.objects.get(pk=answer.question_id).answer
    assert "March" not in str(stored)

    quotable = ThreadSource(**{**source.__dict__, "may_quote": True})
    replace_thread_sources(consent_key="case:9", sources=[quotable])
    again = answer_question(
        user=successor, question="When does the billing gateway certificate expire?"
    )
    assert "March" in again.passages[0].text
