"""The draft's REST API: each persona, bad input with nothing changed, the interview."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from handover.drafting import interview
from handover.models import DraftComment, DraftSection, InterviewQuestion

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:  # noqa: ANN001
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_draft_for_each_persona(
    draft,
    subject,
    successor,
    manager,
    teammate,
    outsider,  # noqa: ANN001
) -> None:
    url = reverse("api:handover:draft", args=[draft.case.pk])
    mine = _api(subject).get(url).json()
    assert mine["may_edit"] and len(mine["sections"]) == 2
    first = mine["sections"][0]
    assert first["title"] == "Dashboards and data"
    assert [s["part"] for s in first["sentences"]] == ["summary", "decision", "open_item"]
    assert first["sentences"][0]["citations"][0]["message_id"] == draft.cited_message_id
    assert first["threads"][0]["thread_id"] == draft.first_thread_id
    theirs = _api(successor).get(url).json()
    assert not theirs["may_edit"] and len(theirs["sections"]) == 2
    overseen = _api(manager).get(url).json()
    assert overseen["sections"] == [] and overseen["completeness"]["topics_total"] == 2
    for user in (teammate, outsider):
        assert _api(user).get(url).status_code == 404
    assert APIClient().get(url).status_code == 401
    assert _api(subject).post(url, {}).status_code == 405


def test_the_subject_patches_a_sentence_and_a_section(draft, subject, successor) -> None:  # noqa: ANN001
    sentence = draft.first.sentences.get(part="summary")
    url = reverse("api:handover:draft-sentence", args=[sentence.pk])
    response = _api(subject).patch(url, {"text": "My words.", "status": "approved"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "My words." and response.json()["edited"]
    assert response.json()["citations"]
    assert _api(successor).patch(url, {"status": "dropped"}, format="json").status_code == 403
    section_url = reverse("api:handover:draft-section", args=[draft.first.pk])
    response = _api(subject).patch(
        section_url, {"title": "Dashboards", "status": "approved"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved" and response.json()["approved_at"]
    draft.first.refresh_from_db()
    assert draft.first.title == "Dashboards" and draft.first.approved_by == subject
    assert _api(subject).get(section_url).status_code == 405


@pytest.mark.parametrize(
    "data",
    [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"status": "published"}, [1, 2]],
)
def test_bad_sentence_input_is_a_400_and_changes_nothing(draft, subject, data) -> None:  # noqa: ANN001
    sentence = draft.first.sentences.get(part="summary")
    url = reverse("api:handover:draft-sentence", args=[sentence.pk])
    assert _api(subject).patch(url, data, format="json").status_code == 400
    sentence.refresh_from_db()
    assert sentence.text == sentence.original_text and sentence.status == "proposed"


def test_an_empty_section_is_not_approved_by_the_api(draft, subject) -> None:  # noqa: ANN001
    draft.first.sentences.update(status="dropped")
    url = reverse("api:handover:draft-section", args=[draft.first.pk])
    response = _api(subject).patch(url, {"status": "approved"}, format="json")
    assert response.status_code == 400 and response.json()["detail"]
    response = _api(subject).patch(url, {"title": "New", "status": "approved"}, format="json")
    assert response.status_code == 400
    draft.first.refresh_from_db()
    assert draft.first.status == "proposed" and draft.first.title == "Dashboards and data"


def test_others_get_404_on_sentences_and_sections(draft, manager, outsider) -> None:  # noqa: ANN001
    sentence = draft.first.sentences.first()
    for user in (manager, outsider):
        url = reverse("api:handover:draft-sentence", args=[sentence.pk])
        assert _api(user).patch(url, {"status": "dropped"}, format="json").status_code == 404
        url = reverse("api:handover:draft-section", args=[draft.first.pk])
        assert _api(user).patch(url, {"status": "dropped"}, format="json").status_code == 404
    url = reverse("api:handover:draft-sentence", args=[10**9])
    assert _api(manager).patch(url, {"status": "dropped"}, format="json").status_code == 404


def test_comments_by_api(draft, successor, manager) -> None:  # noqa: ANN001
    url = reverse("api:handover:draft-section-comments", args=[draft.first.pk])
    response = _api(successor).post(url, {"body": "Who owns this?"}, format="json")
    assert response.status_code == 201 and response.json()["author"] == "successor"
    assert _api(successor).post(url, {"body": ""}, format="json").status_code == 400
    assert _api(successor).post(url, {"body": "x" * 4001}, format="json").status_code == 400
    assert _api(manager).post(url, {"body": "Hi"}, format="json").status_code == 404
    assert DraftComment.objects.count() == 1


def test_the_interview_by_api(case, subject, successor, manager, outsider) -> None:  # noqa: ANN001
    url = reverse("api:handover:interview", args=[case.pk])
    questions = _api(subject).get(url).json()
    assert [q["key"] for q in questions] == list(interview.PROMPTS)
    for user in (manager, outsider):
        assert _api(user).get(url).status_code == 404
    response = _api(successor).post(url, {"text": "Where are the keys?"}, format="json")
    assert response.status_code == 201 and response.json()["prompt"] == "Where are the keys?"
    assert _api(successor).post(url, {"text": ""}, format="json").status_code == 400
    assert _api(successor).post(url, {"text": "x" * 501}, format="json").status_code == 400
    assert _api(manager).post(url, {"text": "Hi"}, format="json").status_code == 404
    question = InterviewQuestion.objects.get(key="landmines", case=case)
    answer = reverse("api:handover:interview-answer", args=[question.pk])
    assert _api(successor).post(answer, {"answer": "No."}, format="json").status_code == 403
    assert _api(subject).post(answer, {"answer": "x" * 10001}, format="json").status_code == 400
    assert _api(subject).post(answer, {}, format="json").status_code == 400
    response = _api(subject).post(answer, {"answer": "Leave it. It works."}, format="json")
    assert response.status_code == 200 and response.json()["section_id"]
    section = DraftSection.objects.get(question=question)
    assert section.sentences.count() == 2
    assert _api(subject).get(answer).status_code == 405


def test_the_subject_asks_for_a_rewrite_by_api(
    draft, subject, successor, manager, outsider, endpoint, settings
) -> None:  # noqa: ANN001
    from handover.consent import services as consent_services
    from handover.drafting.tasks import rewrite_section_task
    from handover.models import Conversation, Purpose

    url = reverse("api:handover:draft-section-rewrite", args=[draft.first.pk])
    settings.DRAFT_GENERATION_URL = ""
    assert _api(subject).post(url).status_code == 400
    settings.DRAFT_GENERATION_URL = endpoint.url
    refused = _api(subject).post(url)
    assert refused.status_code == 400 and "external processor" in refused.json()["detail"]
    assert _api(successor).post(url).status_code == 403
    for user in (manager, outsider):
        assert _api(user).post(url).status_code == 404
    assert _api(subject).get(url).status_code == 405
    consent_services.record_consent(
        case=draft.case,
        by=subject,
        purposes=[Purpose.EXTERNAL_PROCESSOR],
        conversation_ids=list(
            Conversation.objects.filter(owner=subject).values_list("pk", flat=True)
        ),
    )
    asked = _api(subject).post(url)
    assert asked.status_code == 202, asked.content
    assert asked.json()["rewrite_state"] == "pending"
    assert _api(subject).post(url).status_code == 400
    endpoint.answer = "All of it. [1] [2] [3]"
    rewrite_section_task(draft.first.pk, subject.pk)
    section = (
        _api(subject).get(reverse("api:handover:draft", args=[draft.case.pk])).json()["sections"][0]
    )
    assert section["rewrite_state"] == "done" and section["rewritten"]
    assert [s["text"] for s in section["sentences"]] == ["All of it."]
