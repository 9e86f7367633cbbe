"""The subject's review of the draft: edit, approve or drop sentences and sections,
rename a section, and take a thread out of the draft (and out of every grant).

Only the subject changes the draft (``CasePermissionError`` for anyone else); every
change writes an audit row in the same transaction, scoped to the case.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.cases.selectors import is_subject_of
from handover.errors import CasePermissionError, HandoverError
from handover.models import (
    DraftCitation,
    DraftComment,
    DraftSection,
    DraftSentence,
    HandoverCase,
    PurgeJob,
    Thread,
)

MAX_SENTENCE_LENGTH = 2000
MAX_TITLE_LENGTH = 200
MAX_COMMENT_LENGTH = 4000


class InvalidDraftEditError(HandoverError):
    """An edit of the draft that cannot be kept (blank, too long, unknown status)."""


def _check_subject(case: HandoverCase, by: AbstractBaseUser) -> None:
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving may change their draft."))


def _audit(*, by: AbstractBaseUser, action: str, target: object, case_id: int, **details) -> None:  # noqa: ANN003
    record_audit_event(
        actor=by, action=action, target=target, scope=f"case:{case_id}", details=details
    )


def _clean_text(text: str, *, max_length: int, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidDraftEditError(_("The %(what)s cannot be empty.") % {"what": what})
    if len(cleaned) > max_length:
        raise InvalidDraftEditError(
            _("The %(what)s can be at most %(max)d characters.") % {"what": what, "max": max_length}
        )
    return cleaned


@transaction.atomic
def edit_sentence(*, sentence: DraftSentence, by: AbstractBaseUser, text: str) -> DraftSentence:
    """The subject rewrites a sentence in their own words; its citations stay."""
    case = sentence.section.case
    _check_subject(case, by)
    sentence.text = _clean_text(text, max_length=MAX_SENTENCE_LENGTH, what=_("sentence"))
    sentence.save(update_fields=["text"])
    _audit(
        by=by,
        action="drafting.sentence_edited",
        target=sentence,
        case_id=case.pk,
        section=sentence.section_id,
    )
    return sentence


@transaction.atomic
def set_sentence_status(
    *, sentence: DraftSentence, by: AbstractBaseUser, status: str
) -> DraftSentence:
    """Approve, drop or put back a sentence as a proposal."""
    case = sentence.section.case
    _check_subject(case, by)
    if status not in DraftSentence.Status.values:
        raise InvalidDraftEditError(_("Unknown status."))
    sentence.status = status
    sentence.save(update_fields=["status"])
    _audit(
        by=by,
        action=f"drafting.sentence_{status}",
        target=sentence,
        case_id=case.pk,
        section=sentence.section_id,
    )
    return sentence


@transaction.atomic
def set_section_status(*, section: DraftSection, by: AbstractBaseUser, status: str) -> DraftSection:
    """Approve, drop or put back a section; an approved section must keep a sentence."""
    _check_subject(section.case, by)
    if status not in DraftSection.Status.values:
        raise InvalidDraftEditError(_("Unknown status."))
    if (
        status == DraftSection.Status.APPROVED
        and not section.sentences.exclude(status=DraftSentence.Status.DROPPED).exists()
    ):
        raise InvalidDraftEditError(_("A section needs at least one sentence to be approved."))
    section.status = status
    if status == DraftSection.Status.APPROVED:
        section.approved_by = by
        section.approved_at = timezone.now()
    else:
        section.approved_by = None
        section.approved_at = None
    section.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    _audit(by=by, action=f"drafting.section_{status}", target=section, case_id=section.case_id)
    return section


@transaction.atomic
def rename_section(*, section: DraftSection, by: AbstractBaseUser, title: str) -> DraftSection:
    """The subject gives a section a title of their own, which a redrafting keeps."""
    _check_subject(section.case, by)
    section.title = _clean_text(title, max_length=MAX_TITLE_LENGTH, what=_("title"))
    section.save(update_fields=["title", "updated_at"])
    if section.topic_id is not None:
        topic = section.topic
        topic.title = section.title
        topic.title_edited = True
        topic.save(update_fields=["title", "title_edited"])
    record_audit_event(
        actor=by,
        action="drafting.section_renamed",
        target=section,
        scope=f"case:{section.case_id}",
        personal={"title": section.title},
    )
    return section


@transaction.atomic
def withdraw_thread_from_draft(
    *, case: HandoverCase, thread: Thread, by: AbstractBaseUser
) -> PurgeJob | None:
    """Take a thread out of every grant and its sentences out of the draft, at once.

    The withdrawal goes through the consent ledger (the thread leaves every purpose,
    not only publishing); the sentences citing its messages are deleted in the same
    transaction, and a section left without sentences goes back to proposed. The purge
    job removes the remaining copies.
    """
    from handover.consent.services import withdraw_consent

    _check_subject(case, by)
    job = withdraw_consent(case=case, by=by, thread_ids=[thread.pk])
    sentence_ids = set(
        DraftCitation.objects.filter(
            sentence__section__case=case, message__thread_id=thread.pk
        ).values_list("sentence_id", flat=True)
    )
    section_ids = set(
        DraftSentence.objects.filter(pk__in=sentence_ids).values_list("section_id", flat=True)
    )
    DraftSentence.objects.filter(pk__in=sentence_ids).delete()
    emptied = (
        DraftSection.objects.filter(pk__in=section_ids)
        .exclude(
            sentences__status__in=[DraftSentence.Status.PROPOSED, DraftSentence.Status.APPROVED]
        )
        .exclude(status=DraftSection.Status.PROPOSED)
    )
    emptied_count = emptied.update(
        status=DraftSection.Status.PROPOSED, approved_by=None, approved_at=None
    )
    _audit(
        by=by,
        action="drafting.thread_withdrawn",
        target=case,
        case_id=case.pk,
        thread=thread.pk,
        sentences=len(sentence_ids),
        sections_reopened=emptied_count,
    )
    return job


@transaction.atomic
def add_section_comment(*, section: DraftSection, by: AbstractBaseUser, body: str) -> DraftComment:
    """A successor or the subject asks a question or leaves a note on a section."""
    from handover.cases.selectors import SUBJECT, SUCCESSOR, case_roles

    if not case_roles(case=section.case, user=by) & {SUBJECT, SUCCESSOR}:
        raise CasePermissionError(_("Only the person leaving and their successors may comment."))
    comment = DraftComment.objects.create(
        section=section,
        author=by,
        body=_clean_text(body, max_length=MAX_COMMENT_LENGTH, what=_("comment")),
    )
    record_audit_event(
        actor=by,
        action="drafting.comment_added",
        target=comment,
        scope=f"case:{section.case_id}",
        details={"section": section.pk},
        personal={"body": comment.body},
    )
    return comment
