"""The optional rewrite of a draft section by an operator-configured language model.

Off by default. A section's text leaves the machine only when both hold:

- the operator configured an OpenAI-compatible endpoint (``DRAFT_GENERATION_URL``, for
  example a local model server at ``http://127.0.0.1:8080/v1``), and
- the subject has a live grant for ``Purpose.EXTERNAL_PROCESSOR`` that covers every
  message the section cites (checked through ``handover.consent.read``).

What is sent is the section's sentences as the drafter wrote them from the read path
(redacted, pseudonymised), each with a marker (``[3]``); nothing else of the threads.
The model must end each sentence it writes with the markers of the sentences it used; a
sentence without a valid marker is dropped, and the citations of a rewritten sentence
are those of the sentences it names, so no citation is lost or invented. Sentences the
subject edited, approved or dropped are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.llm import LLMError, chat_completion
from core.services import record_audit_event
from handover.cases.selectors import is_subject_of
from handover.consent.read import consented_messages, live_grants
from handover.errors import CasePermissionError, ConsentRequiredError, HandoverError
from handover.models import DraftCitation, DraftSection, DraftSentence, Purpose

MARKER = re.compile(r"\[(\d{1,4})\]")

_LANGUAGE_NAMES = {"en": "English", "zh-hans": "Simplified Chinese"}

_SYSTEM_PROMPT = (
    "You edit handover notes so that a successor can read them easily. Rewrite the "
    "numbered sentences below in clear, neutral {language}. Keep every fact and add none. "
    "Do not imitate anyone's voice or style, and do not describe how any person behaves or "
    "feels. Write one sentence per line, and end each sentence with the markers of the "
    "numbered sentences it is based on, for example: The release is on Fridays. [2] [5]"
)


class GenerationUnavailableError(HandoverError):
    """No endpoint is configured, or the subject did not let the processor read this."""


class GenerationFailedError(HandoverError):
    """The endpoint did not answer, or answered something that is not a rewrite."""


class RewriteInProgressError(HandoverError):
    """The section's rewrite is already waiting for the worker or running."""


@dataclass(frozen=True)
class RewriteResult:
    """What a rewrite did to a section."""

    sent: int
    written: int
    dropped: int


def generation_configured() -> bool:
    """Whether the operator configured an endpoint."""
    return bool(settings.DRAFT_GENERATION_URL)


def _rewritable(section: DraftSection) -> list[DraftSentence]:
    """The section's sentences a rewrite may replace: proposed, unedited, cited."""
    sentences = (
        section.sentences.filter(status=DraftSentence.Status.PROPOSED)
        .exclude(part=DraftSentence.Part.ANSWER)
        .prefetch_related("citations")
        .order_by("position", "id")
    )
    return [
        sentence
        for sentence in sentences
        if sentence.text == sentence.original_text and sentence.citations.all()
    ]


def _check_may_send(section: DraftSection, sentences: list[DraftSentence]) -> None:
    if not generation_configured():
        raise GenerationUnavailableError(_("No external processor is configured."))
    case = section.case
    if not live_grants(case=case, purpose=Purpose.EXTERNAL_PROCESSOR).exists():
        raise GenerationUnavailableError(
            _("You have not let the external processor read your conversations.")
        )
    cited = {citation.message_id for sentence in sentences for citation in sentence.citations.all()}
    covered = set(
        consented_messages(purpose=Purpose.EXTERNAL_PROCESSOR, case=case)
        .filter(message_id__in=cited)
        .values_list("message_id", flat=True)
    )
    if cited - covered:
        raise ConsentRequiredError(
            _(
                "This section cites conversations you have not let the external processor "
                "read; it stays as it is."
            )
        )


def _call_endpoint(*, system: str, user: str) -> str:
    """One chat completion from the configured endpoint; its text."""
    try:
        return chat_completion(
            base_url=settings.DRAFT_GENERATION_URL,
            model=settings.DRAFT_GENERATION_MODEL,
            api_key=settings.DRAFT_GENERATION_API_KEY,
            system=system,
            user=user,
            timeout=settings.DRAFT_GENERATION_TIMEOUT,
            max_bytes=settings.DRAFT_GENERATION_MAX_BYTES,
        )
    except LLMError as error:
        raise GenerationFailedError(
            _("The external processor did not give a usable answer (%(error)s).")
            % {"error": error.reason}
        ) from error


def _parse(answer: str, count: int) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the input numbers (1-based) each names; no marker, no line."""
    lines = []
    for raw in answer.splitlines():
        numbers = [int(n) for n in MARKER.findall(raw) if 1 <= int(n) <= count]
        text = MARKER.sub("", raw).strip().lstrip("-*• ").strip()
        if text and numbers:
            lines.append((text, list(dict.fromkeys(numbers))))
    return lines


def rewrite_section(*, section: DraftSection, by: AbstractBaseUser) -> RewriteResult:
    """Have the configured processor rewrite ``section``, keeping every citation.

    The subject asks for it. The endpoint is called outside any transaction; the new
    sentences replace the old ones in one transaction afterwards, each citing the union
    of the messages its markers name. Raises ``GenerationUnavailableError`` without an
    endpoint or the external-processor consent (nothing is sent), and
    ``GenerationFailedError`` when the answer is unusable (nothing is changed).
    """
    if not is_subject_of(case=section.case, user=by):
        raise CasePermissionError(_("Only the person leaving can have a section rewritten."))
    sentences = _rewritable(section)
    _check_may_send(section, sentences)
    if not sentences:
        return RewriteResult(sent=0, written=0, dropped=0)
    language = _LANGUAGE_NAMES.get(section.case.language, "English")
    numbered = "\n".join(
        f"[{number}] {sentence.text}" for number, sentence in enumerate(sentences, start=1)
    )
    answer = _call_endpoint(system=_SYSTEM_PROMPT.format(language=language), user=numbered)
    parsed = _parse(answer, len(sentences))
    if not parsed:
        raise GenerationFailedError(_("The external processor's answer cited nothing."))
    written = _replace(section=section, sentences=sentences, parsed=parsed, by=by)
    dropped = sum(1 for line in answer.splitlines() if line.strip()) - written
    return RewriteResult(sent=len(sentences), written=written, dropped=max(0, dropped))


@transaction.atomic
def _replace(
    *,
    section: DraftSection,
    sentences: list[DraftSentence],
    parsed: list[tuple[str, list[int]]],
    by: AbstractBaseUser,
) -> int:
    # The subject may have changed a sentence while the endpoint answered: those stay.
    current = {
        s.pk for s in _rewritable(DraftSection.objects.select_for_update().get(pk=section.pk))
    }
    if any(sentence.pk not in current for sentence in sentences):
        raise GenerationFailedError(_("The section changed while it was being rewritten."))
    new_citations = []
    for text, numbers in parsed:
        sources = [sentences[number - 1] for number in numbers]
        first = sources[0]
        sentence = DraftSentence.objects.create(
            section=section,
            part=first.part,
            position=first.position,
            text=text,
            original_text=text,
            details=first.details if len(sources) == 1 else {},
        )
        message_ids = list(
            dict.fromkeys(c.message_id for source in sources for c in source.citations.all())
        )
        new_citations += [
            DraftCitation(sentence=sentence, message_id=message_id, position=index)
            for index, message_id in enumerate(message_ids)
        ]
    DraftCitation.objects.bulk_create(new_citations)
    DraftSentence.objects.filter(pk__in=[s.pk for s in sentences]).delete()
    section.rewritten = True
    section.save(update_fields=["rewritten", "updated_at"])
    record_audit_event(
        actor=by,
        action="drafting.section_rewritten",
        target=section,
        scope=f"case:{section.case_id}",
        details={"sent": len(sentences), "written": len(parsed)},
    )
    return len(parsed)


def _in_progress(section: DraftSection) -> bool:
    """Whether a request is waiting or running and not yet given up as lost."""
    if section.rewrite_state not in (
        DraftSection.RewriteState.PENDING,
        DraftSection.RewriteState.RUNNING,
    ):
        return False
    # A worker that died mid-rewrite leaves RUNNING behind; past twice the endpoint's
    # timeout the subject may ask again (the claim below keeps a late task from doubling).
    lost_after = timedelta(seconds=2 * settings.DRAFT_GENERATION_TIMEOUT + 60)
    requested = section.rewrite_requested_at
    return requested is not None and timezone.now() - requested < lost_after


def request_section_rewrite(*, section: DraftSection, by: AbstractBaseUser) -> DraftSection:
    """The subject asks for ``section`` to be rewritten; the worker does it after commit.

    Checks at once what can be checked without the endpoint (the subject, an endpoint
    configured, the external-processor consent for every cited message), marks the
    section as waiting and schedules ``rewrite_section_task``. Raises
    ``RewriteInProgressError`` while an earlier request is waiting or running.
    """
    from handover.drafting.tasks import rewrite_section_task

    if not is_subject_of(case=section.case, user=by):
        raise CasePermissionError(_("Only the person leaving can have a section rewritten."))
    _check_may_send(section, _rewritable(section))
    with transaction.atomic():
        locked = DraftSection.objects.select_for_update().get(pk=section.pk)
        if _in_progress(locked):
            raise RewriteInProgressError(_("This section is already being rewritten."))
        section.rewrite_state = DraftSection.RewriteState.PENDING
        section.rewrite_message = ""
        section.rewrite_requested_at = timezone.now()
        section.save(
            update_fields=[
                "rewrite_state",
                "rewrite_message",
                "rewrite_requested_at",
                "updated_at",
            ]
        )
        record_audit_event(
            actor=by,
            action="drafting.section_rewrite_requested",
            target=section,
            scope=f"case:{section.case_id}",
        )
        section_id, user_id = section.pk, by.pk
        transaction.on_commit(lambda: rewrite_section_task.delay(section_id, user_id))
    return section


def _finish(section_id: int, state: str, message: str) -> None:
    DraftSection.objects.filter(
        pk=section_id, rewrite_state=DraftSection.RewriteState.RUNNING
    ).update(rewrite_state=state, rewrite_message=message, updated_at=timezone.now())


def run_requested_rewrite(*, section_id: int, user_id: int) -> RewriteResult | None:
    """Do a rewrite the subject asked for; what happened is kept on the section.

    Idempotent: only a section waiting for the worker is claimed (compare-and-set from
    ``pending`` to ``running``), so a task delivered twice rewrites once. A refusal or a
    failure of the endpoint is kept as the section's message for the review page.
    """
    claimed = DraftSection.objects.filter(
        pk=section_id, rewrite_state=DraftSection.RewriteState.PENDING
    ).update(rewrite_state=DraftSection.RewriteState.RUNNING, updated_at=timezone.now())
    if not claimed:
        return None
    section = DraftSection.objects.select_related("case").get(pk=section_id)
    user = get_user_model().objects.filter(pk=user_id).first()
    try:
        if user is None:
            raise CasePermissionError(_("Only the person leaving can have a section rewritten."))
        result = rewrite_section(section=section, by=user)
    except HandoverError as error:
        _finish(section_id, DraftSection.RewriteState.FAILED, str(error))
        return None
    except Exception:
        _finish(
            section_id,
            DraftSection.RewriteState.FAILED,
            _("The rewrite failed; the section stays as it was."),
        )
        raise
    if result.sent == 0:
        message = _("Nothing in this section could be rewritten; it stays as it was.")
    else:
        message = ngettext(
            "Rewritten: %(written)d sentence written, %(dropped)d without a citation dropped.",
            "Rewritten: %(written)d sentences written, %(dropped)d without a citation dropped.",
            result.written,
        ) % {"written": result.written, "dropped": result.dropped}
    _finish(section_id, DraftSection.RewriteState.DONE, message)
    return result
