"""The interview: built-in prompts, successors' questions, the subject's answers as sections."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from core.models import AuditEvent
from handover.drafting import interview
from handover.drafting.review import InvalidDraftEditError
from handover.drafting.review_selectors import get_completeness, get_interview_for_user
from handover.errors import CasePermissionError
from handover.models import DraftSection, DraftSentence, InterviewQuestion

pytestmark = pytest.mark.django_db


def _prompt(case, key: str) -> InterviewQuestion:  # noqa: ANN001
    interview.ensure_builtin_questions(case=case)
    return InterviewQuestion.objects.get(case=case, key=key)


def test_it_offers_the_built_in_prompts_once(case, subject) -> None:  # noqa: ANN001
    first = get_interview_for_user(case_id=case.pk, user=subject)
    again = get_interview_for_user(case_id=case.pk, user=subject)
    assert [q.key for q, _ in first.questions] == list(interview.PROMPTS)
    assert len(again.questions) == len(interview.PROMPTS)
    assert "landmines" in str(first.questions[0][1]).lower()


def test_it_turns_an_answer_into_a_section_with_the_subject_as_source(case, subject) -> None:  # noqa: ANN001
    question = _prompt(case, "landmines")
    interview.answer_interview_question(
        question=question,
        by=subject,
        text="The nightly job looks broken. It is not.\n\nLeave the cron alone!",
    )
    section = DraftSection.objects.get(question=question)
    assert section.kind == DraftSection.Kind.INTERVIEW and section.run is None
    assert section.title == str(interview.PROMPTS["landmines"])
    texts = list(section.sentences.values_list("text", flat=True))
    assert texts == ["The nightly job looks broken.", "It is not.", "Leave the cron alone!"]
    assert set(section.sentences.values_list("part", flat=True)) == {DraftSentence.Part.ANSWER}
    assert not any(s.citations.exists() for s in section.sentences.all())
    assert get_completeness(case=case).prompts_answered == 1
    # A new answer replaces the sentences; an empty one removes the section.
    interview.answer_interview_question(question=question, by=subject, text="Only this.")
    assert list(section.sentences.values_list("text", flat=True)) == ["Only this."]
    interview.answer_interview_question(question=question, by=subject, text="  ")
    assert not DraftSection.objects.filter(question=question).exists()
    assert get_completeness(case=case).prompts_answered == 0
    assert AuditEvent.objects.filter(action="drafting.question_answered").count() == 3


def test_it_splits_chinese_answers_at_their_stops(case, subject) -> None:  # noqa: ANN001
    question = _prompt(case, "rules-of-thumb")
    interview.answer_interview_question(
        question=question, by=subject, text="先看日志。再问运维！最后改配置。"
    )
    texts = list(
        DraftSection.objects.get(question=question).sentences.values_list("text", flat=True)
    )
    assert texts == ["先看日志。", "再问运维！", "最后改配置。"]


def test_the_prompts_are_translated_in_the_language_of_the_moment(case, subject) -> None:  # noqa: ANN001
    # Lazy: each prompt is looked up in the language active when it is shown.
    assert all(isinstance(prompt, Promise) for prompt in interview.PROMPTS.values())
    with translation.override("zh-hans"):
        shown = get_interview_for_user(case_id=case.pk, user=subject)
    assert all(text for _, text in shown.questions)


def test_only_the_subject_answers(case, successor, manager) -> None:  # noqa: ANN001
    question = _prompt(case, "stop-doing")
    for user in (successor, manager):
        with pytest.raises(CasePermissionError):
            interview.answer_interview_question(question=question, by=user, text="No.")
    question.refresh_from_db()
    assert question.answer == ""


def test_successors_and_the_subject_add_questions_others_may_not(
    case,
    subject,
    successor,
    manager,
    teammate,  # noqa: ANN001
) -> None:
    asked = interview.add_interview_question(case=case, by=successor, text="Where are the keys?")
    assert asked.asked_by == successor and asked.key == ""
    interview.add_interview_question(case=case, by=subject, text="What did I forget?")
    for user in (manager, teammate):
        with pytest.raises(CasePermissionError):
            interview.add_interview_question(case=case, by=user, text="Hi?")
    for bad in ("", "x" * (interview.MAX_QUESTION_LENGTH + 1)):
        with pytest.raises(InvalidDraftEditError):
            interview.add_interview_question(case=case, by=successor, text=bad)
    assert InterviewQuestion.objects.filter(case=case, key="").count() == 2
    assert get_completeness(case=case).prompts_total == len(interview.PROMPTS) + 2


def test_the_interview_page_for_each_persona(
    case,
    subject,
    successor,
    manager,
    teammate,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    url = reverse("handover:interview", args=[case.pk])
    page = client_for(subject).get(url)
    assert page.status_code == 200 and b'name="answer"' in page.content
    page = client_for(successor).get(url)
    assert page.status_code == 200 and b'name="answer"' not in page.content
    assert b"Add a question" in page.content
    for user in (manager, teammate, outsider):
        assert client_for(user).get(url).status_code == 404
    assert client_for(successor).put(url).status_code == 405


def test_the_interview_forms_save_or_refuse(case, subject, successor, client_for) -> None:  # noqa: ANN001
    url = reverse("handover:interview", args=[case.pk])
    response = client_for(successor).post(url, {"text": "Who pays the bills?"})
    assert response.status_code == 302
    assert InterviewQuestion.objects.filter(text="Who pays the bills?").exists()
    response = client_for(successor).post(url, {"text": "x" * 501})
    assert response.status_code == 400
    assert not InterviewQuestion.objects.filter(text="x" * 501).exists()
    question = _prompt(case, "who-to-ask")
    answer_url = reverse("handover:interview-answer", args=[question.pk])
    assert client_for(successor).post(answer_url, {"answer": "Me."}).status_code == 403
    response = client_for(subject).post(answer_url, {"answer": "Ask the ops channel."})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answer == "Ask the ops channel."
    assert client_for(subject).get(answer_url).status_code == 405
    response = client_for(successor).get(url)
    assert b"Ask the ops channel." in response.content
