"""The subject's review of the draft: edits, approvals, a thread withdrawn, who sees what."""

import pytest
from django.http import Http404

from core.models import AuditEvent
from handover.consent.read import consented_messages
from handover.drafting import review
from handover.drafting.review_selectors import get_completeness, get_draft_for_user
from handover.errors import CasePermissionError
from handover.models import (
    ConsentGrant,
    DraftCitation,
    DraftSection,
    DraftSentence,
    Purpose,
    Thread,
)

pytestmark = pytest.mark.django_db


def _sentence(section, part=DraftSentence.Part.SUMMARY) -> DraftSentence:  # noqa: ANN001
    return section.sentences.get(part=part)


def test_it_keeps_the_citations_when_the_subject_edits_a_sentence(draft, subject) -> None:  # noqa: ANN001
    sentence = _sentence(draft.first)
    cited = list(sentence.citations.values_list("message_id", flat=True))
    review.edit_sentence(sentence=sentence, by=subject, text="  In my words.  ")
    sentence.refresh_from_db()
    assert sentence.text == "In my words."
    assert sentence.edited
    assert list(sentence.citations.values_list("message_id", flat=True)) == cited
    assert AuditEvent.objects.filter(action="drafting.sentence_edited").exists()


@pytest.mark.parametrize("text", ["", "   ", "x" * (review.MAX_SENTENCE_LENGTH + 1)])
def test_it_refuses_a_blank_or_overlong_sentence_and_changes_nothing(
    draft,
    subject,
    text: str,  # noqa: ANN001
) -> None:
    sentence = _sentence(draft.first)
    before = sentence.text
    with pytest.raises(review.InvalidDraftEditError):
        review.edit_sentence(sentence=sentence, by=subject, text=text)
    sentence.refresh_from_db()
    assert sentence.text == before


def test_it_lets_only_the_subject_change_the_draft(draft, successor, manager) -> None:  # noqa: ANN001
    sentence = _sentence(draft.first)
    for user in (successor, manager):
        with pytest.raises(CasePermissionError):
            review.edit_sentence(sentence=sentence, by=user, text="Mine now.")
        with pytest.raises(CasePermissionError):
            review.set_section_status(section=draft.first, by=user, status="approved")
    sentence.refresh_from_db()
    assert sentence.text == sentence.original_text
    assert not AuditEvent.objects.filter(action__startswith="drafting.").exists()


def test_it_refuses_an_unknown_status(draft, subject) -> None:  # noqa: ANN001
    sentence = _sentence(draft.first)
    with pytest.raises(review.InvalidDraftEditError):
        review.set_sentence_status(sentence=sentence, by=subject, status="published")
    with pytest.raises(review.InvalidDraftEditError):
        review.set_section_status(section=draft.first, by=subject, status="maybe")
    sentence.refresh_from_db()
    draft.first.refresh_from_db()
    assert sentence.status == draft.first.status == "proposed"


def test_it_approves_a_section_with_who_and_when(draft, subject) -> None:  # noqa: ANN001
    assert get_completeness(case=draft.case).sections_approved == 0
    review.set_section_status(section=draft.first, by=subject, status="approved")
    draft.first.refresh_from_db()
    assert draft.first.approved_by == subject and draft.first.approved_at is not None
    completeness = get_completeness(case=draft.case)
    assert (completeness.sections_approved, completeness.sections_total) == (1, 2)
    assert AuditEvent.objects.filter(
        action="drafting.section_approved", scope=f"case:{draft.case.pk}"
    ).exists()
    review.set_section_status(section=draft.first, by=subject, status="proposed")
    draft.first.refresh_from_db()
    assert draft.first.approved_by is None
    assert get_completeness(case=draft.case).sections_approved == 0


def test_it_refuses_to_approve_a_section_with_every_sentence_dropped(draft, subject) -> None:  # noqa: ANN001
    for sentence in draft.first.sentences.all():
        review.set_sentence_status(sentence=sentence, by=subject, status="dropped")
    with pytest.raises(review.InvalidDraftEditError):
        review.set_section_status(section=draft.first, by=subject, status="approved")
    draft.first.refresh_from_db()
    assert draft.first.status == "proposed"


def test_it_renames_a_section_and_its_topic(draft, subject) -> None:  # noqa: ANN001
    review.rename_section(section=draft.first, by=subject, title="Our dashboards")
    draft.first.topic.refresh_from_db()
    assert draft.first.topic.title == "Our dashboards" and draft.first.topic.title_edited
    with pytest.raises(review.InvalidDraftEditError):
        review.rename_section(section=draft.first, by=subject, title=" ")


def test_withdrawing_a_thread_removes_its_sentences_and_its_consent_at_once(
    draft,
    subject,  # noqa: ANN001
) -> None:
    review.set_section_status(section=draft.first, by=subject, status="approved")
    thread = Thread.objects.get(pk=draft.first_thread_id)
    job = review.withdraw_thread_from_draft(case=draft.case, thread=thread, by=subject)
    assert job is not None
    assert not DraftCitation.objects.filter(message__thread_id=thread.pk).exists()
    assert not DraftSentence.objects.filter(section=draft.first).exists()
    draft.first.refresh_from_db()
    assert draft.first.status == DraftSection.Status.PROPOSED
    assert draft.first.approved_by is None
    # The other section keeps its sentences; the read path no longer serves the thread.
    assert DraftSentence.objects.filter(section=draft.second).count() == 3
    for purpose in Purpose.values:
        assert (
            not consented_messages(purpose=purpose, case=draft.case)
            .filter(message__thread_id=thread.pk)
            .exists()
        )
    assert consented_messages(purpose=Purpose.PUBLISH, case=draft.case).exists()
    assert ConsentGrant.objects.filter(
        case=draft.case, end_reason=ConsentGrant.EndReason.NARROWED
    ).exists()
    assert AuditEvent.objects.filter(action="drafting.thread_withdrawn").exists()


def test_each_role_sees_what_it_may(draft, subject, successor, manager, teammate, outsider) -> None:  # noqa: ANN001, PLR0913
    review.set_section_status(section=draft.second, by=subject, status="dropped")
    review.set_sentence_status(sentence=_sentence(draft.first), by=subject, status="dropped")
    mine = get_draft_for_user(case=draft.case, user=subject)
    assert mine.may_edit and len(mine.sections) == 2
    theirs = get_draft_for_user(case=draft.case, user=successor)
    assert not theirs.may_edit and theirs.may_comment
    assert [view.section.pk for view in theirs.sections] == [draft.first.pk]
    shown = [s.part for part in theirs.sections[0].parts for s in part.sentences]
    assert "summary" not in shown and "decision" in shown
    overseen = get_draft_for_user(case=draft.case, user=manager)
    assert overseen.sections == [] and not overseen.may_read
    assert overseen.completeness.sections_total == 1
    for user in (teammate, outsider):
        with pytest.raises(Http404):
            get_draft_for_user(case=draft.case, user=user)


def test_a_section_lists_the_threads_it_used_as_the_read_path_labels_them(draft, subject) -> None:  # noqa: ANN001
    view = get_draft_for_user(case=draft.case, user=subject).sections[0]
    assert [thread.thread_id for thread in view.threads] == [draft.first_thread_id]
    assert view.threads[0].conversation
    assert [part.key for part in view.parts] == ["summary", "decision", "open_item"]


def test_successors_and_the_subject_comment_others_may_not(draft, successor, manager) -> None:  # noqa: ANN001
    comment = review.add_section_comment(section=draft.first, by=successor, body="Who owns it?")
    assert comment.section_id == draft.first.pk
    with pytest.raises(CasePermissionError):
        review.add_section_comment(section=draft.first, by=manager, body="Hello")
    with pytest.raises(review.InvalidDraftEditError):
        review.add_section_comment(section=draft.first, by=successor, body="  ")
    assert draft.first.comments.count() == 1
