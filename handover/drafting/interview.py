"""The interview: built-in prompts, the successors' own questions, and the subject's answers.

An answer becomes a section of the draft (``kind=interview``, no run) with one
sentence per paragraph or sentence and no citations: the subject is its source.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.services import record_audit_event
from handover.cases.selectors import SUBJECT, SUCCESSOR, case_roles, is_subject_of
from handover.drafting.review import InvalidDraftEditError
from handover.errors import CasePermissionError
from handover.models import DraftSection, DraftSentence, HandoverCase, InterviewQuestion

MAX_QUESTION_LENGTH = 500
MAX_ANSWER_LENGTH = 10000

# The built-in prompts, in their order; their words live here, the rows keep only the key.
PROMPTS: dict[str, object] = {
    "landmines": gettext_lazy(
        "What looks wrong but is right? Which landmines should your successor not defuse?"
    ),
    "rules-of-thumb": gettext_lazy("Which rules of thumb do you work by?"),
    "who-to-ask": gettext_lazy("Whom should your successor ask about what?"),
    "first-week": gettext_lazy("If you were your successor, what would you do in your first week?"),
    "stop-doing": gettext_lazy("What would you stop doing?"),
}

# One sentence per paragraph, or per sentence inside one (English and Chinese stops).
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def prompt_text(question: InterviewQuestion) -> str:
    """The question's words: a built-in prompt's translation, or the successor's text."""
    if question.key and question.key in PROMPTS:
        return str(PROMPTS[question.key])
    return question.text


def ensure_builtin_questions(*, case: HandoverCase) -> None:
    """Create the built-in prompts of ``case`` that are missing (idempotent)."""
    existing = set(
        InterviewQuestion.objects.filter(case=case).exclude(key="").values_list("key", flat=True)
    )
    missing = [
        InterviewQuestion(case=case, key=key, position=index)
        for index, key in enumerate(PROMPTS)
        if key not in existing
    ]
    if missing:
        InterviewQuestion.objects.bulk_create(missing, ignore_conflicts=True)


def split_answer(text: str) -> list[str]:
    """The answer's sentences: each paragraph, split at its sentence ends."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        for piece in _SENTENCE_END.split(paragraph.strip()):
            if piece.strip():
                pieces.append(piece.strip())
    return pieces


@transaction.atomic
def add_interview_question(
    *, case: HandoverCase, by: AbstractBaseUser, text: str
) -> InterviewQuestion:
    """A successor (or the subject) adds a question of their own to the interview."""
    if not case_roles(case=case, user=by) & {SUBJECT, SUCCESSOR}:
        raise CasePermissionError(
            _("Only the person leaving and their successors may add questions.")
        )
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidDraftEditError(_("Write a question."))
    if len(cleaned) > MAX_QUESTION_LENGTH:
        raise InvalidDraftEditError(
            _("A question can be at most %(max)d characters.") % {"max": MAX_QUESTION_LENGTH}
        )
    ensure_builtin_questions(case=case)
    last = InterviewQuestion.objects.filter(case=case).aggregate(last=Max("position"))["last"]
    question = InterviewQuestion.objects.create(
        case=case, text=cleaned, asked_by=by, position=(last or 0) + 1
    )
    record_audit_event(
        actor=by,
        action="drafting.question_added",
        target=question,
        scope=f"case:{case.pk}",
        personal={"text": cleaned},
    )
    return question


@transaction.atomic
def answer_interview_question(
    *, question: InterviewQuestion, by: AbstractBaseUser, text: str
) -> InterviewQuestion:
    """The subject answers; the answer becomes (or updates, or removes) its section."""
    case = question.case
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving answers the interview."))
    cleaned = (text or "").strip()
    if len(cleaned) > MAX_ANSWER_LENGTH:
        raise InvalidDraftEditError(
            _("An answer can be at most %(max)d characters.") % {"max": MAX_ANSWER_LENGTH}
        )
    question.answer = cleaned
    question.answered_at = timezone.now() if cleaned else None
    question.save(update_fields=["answer", "answered_at"])
    section = DraftSection.objects.filter(question=question).first()
    if not cleaned:
        if section is not None:
            section.delete()
    else:
        if section is None:
            section = DraftSection.objects.create(
                case=case,
                run=None,
                kind=DraftSection.Kind.INTERVIEW,
                question=question,
                title=prompt_text(question)[:200],
                position=1000 + question.position,
            )
        else:
            section.sentences.all().delete()
            if section.status == DraftSection.Status.APPROVED:
                # A changed answer is a new proposal: the subject approves it again.
                section.status = DraftSection.Status.PROPOSED
                section.approved_by = None
                section.approved_at = None
                section.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        DraftSentence.objects.bulk_create(
            DraftSentence(
                section=section,
                part=DraftSentence.Part.ANSWER,
                position=index,
                text=piece,
                original_text=piece,
            )
            for index, piece in enumerate(split_answer(cleaned))
        )
    record_audit_event(
        actor=by,
        action="drafting.question_answered",
        target=question,
        scope=f"case:{case.pk}",
        details={"answered": bool(cleaned)},
    )
    return question
