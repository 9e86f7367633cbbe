"""Writes of the indexing room: push a case's consented threads to the Q&A index, hide them.

``index_case_threads`` is the whole of what the index holds of a case: it calls
``qa.indexing.replace_thread_sources`` once with every thread the read path serves for
INDEX, so threads no longer served drop out. The sources are a generator read in
batches of ``THREAD_BATCH`` threads (one batch's messages in memory at a time), because
the replacement must see every source of the consent in one call to know what to drop.

Ordering with what hides passages: the run locks the case's live INDEX grant and then
the case row before it reads, the order a withdrawal writes them in, and
``hide_case_passages`` locks the case row too. A change that commits first is what the
run reads; one that comes later waits for the run and then hides what it wrote. So a
run never writes passages searchable again after they were hidden.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from handover.consent.read import ConsentedMessage, iter_consented_messages, live_grants
from handover.indexing.selectors import consent_key_for, indexed_thread_ids, thread_source_key
from handover.models import ConsentGrant, HandoverCase, Purpose
from handover.privacy.labels import anonymous_subject_label
from qa.indexing import ThreadSource, hide_consent_chunks, replace_thread_sources
from qa.models import Chunk

THREAD_BATCH = 256
TITLE_WORDS = 12


def _owner_label(case: HandoverCase, now: datetime) -> str:
    """The subject's name while they consent to be named, else the read path's label."""
    if live_grants(case=case.pk, purpose=Purpose.ATTRIBUTE, now=now).exists():
        subject = get_user_model().objects.get(pk=case.subject_id)
        return subject.get_full_name() or subject.get_username()
    return str(anonymous_subject_label(case.language))


def _headline(messages: Sequence[ConsentedMessage]) -> str:
    for message in messages:
        if message.subject_line.strip():
            return message.subject_line.strip()
    for message in messages:
        words = message.text.split()
        if words:
            more = "…" if len(words) > TITLE_WORDS else ""
            return " ".join(words[:TITLE_WORDS]) + more
    return ""


def _line(message: ConsentedMessage) -> str:
    text = message.text.strip() or message.subject_line.strip()
    return f"{message.author}: {text}" if message.author else text


def _source(
    case: HandoverCase,
    thread_id: int,
    messages: Sequence[ConsentedMessage],
    owner_label: str,
    grant: ConsentGrant,
    contacts: tuple[int, ...] = (),
    may_quote: bool = False,
) -> ThreadSource:
    headline = _headline(messages)
    conversation = messages[0].conversation
    return ThreadSource(
        source_key=thread_source_key(case_id=case.pk, thread_id=thread_id),
        space_id=case.space_id,
        title=f"{conversation}: {headline}" if headline else conversation,
        text="\n".join(line for line in map(_line, messages) if line),
        # The citation view: the source for the subject and successors, "withheld" for others.
        url=reverse(
            "handover:draft-source",
            kwargs={"case_id": case.pk, "message_id": messages[0].message_id},
        ),
        owner_label=owner_label,
        consent_key=consent_key_for(case.pk),
        purpose=Chunk.QA_PURPOSE,
        expires_at=grant.expires_at,
        updated_at=messages[-1].sent_at,
        # Who the Q&A asks when these threads come near a question but do not answer it.
        contact_ids=contacts,
        may_quote=may_quote,
    )


def _thread_sources(
    case: HandoverCase, grant: ConsentGrant, now: datetime
) -> Iterator[ThreadSource]:
    """One source per served thread, read ``THREAD_BATCH`` threads at a time."""
    owner_label = _owner_label(case, now)
    contacts = tuple(case.successors.order_by("pk").values_list("pk", flat=True))
    may_quote = live_grants(case=case.pk, purpose=Purpose.QUOTE, now=now).exists()
    thread_ids = indexed_thread_ids(case=case, now=now)
    for start in range(0, len(thread_ids), THREAD_BATCH):
        batch = thread_ids[start : start + THREAD_BATCH]
        grouped: dict[int, list[ConsentedMessage]] = defaultdict(list)
        for message in iter_consented_messages(
            purpose=Purpose.INDEX, case=case, now=now, thread_ids=batch
        ):
            grouped[message.thread_id].append(message)
        for thread_id in batch:
            if grouped.get(thread_id):
                yield _source(
                    case, thread_id, grouped[thread_id], owner_label, grant, contacts, may_quote
                )


@transaction.atomic
def index_case_threads(*, case_id: int) -> list[int]:
    """Make the case's indexed passages exactly the threads the read path serves for INDEX.

    Nothing is served (and every passage of the case goes) without a live INDEX grant,
    without a wiki space, or once the case is gone or withdrawn. Idempotent: an unchanged
    thread keeps its passages and vectors. Returns the ids of passages to embed.
    """
    now = timezone.now()
    # Lock order: the grant, then the case (a withdrawal ends the grant, then moves the case).
    grant = (
        live_grants(case=case_id, purpose=Purpose.INDEX, now=now)
        .select_for_update(no_key=True, of=("self",))
        .first()
    )
    case = HandoverCase.objects.select_for_update(no_key=True).filter(pk=case_id).first()
    consent_key = consent_key_for(case_id)
    if case is None or grant is None:
        return replace_thread_sources(consent_key=consent_key, sources=[])
    return replace_thread_sources(
        consent_key=consent_key, sources=_thread_sources(case, grant, now)
    )


def hide_case_passages(*, case_id: int) -> int:
    """Make every indexed passage of the case unsearchable, in the caller's transaction.

    For anything that takes content, a name or readers away: no answer finds them once
    the caller commits; the reindex it schedules shows again what is still served.
    It first locks the case row, which a reindex holds while it writes: one in flight
    finishes first (and is hidden here), a later one reads after this commits.
    """
    list(
        HandoverCase.objects.select_for_update(no_key=True)
        .filter(pk=case_id)
        .values_list("pk", flat=True)
    )
    return hide_consent_chunks(consent_key=consent_key_for(case_id))


def schedule_case_indexing(*, case_id: int) -> None:
    """Index the case again on the worker once the caller's transaction commits."""
    from handover.indexing.tasks import index_case_threads_task

    transaction.on_commit(lambda: index_case_threads_task.delay(case_id))


def purge_indexed_passages(scope) -> int:  # noqa: ANN001 - a PurgeScope
    """The purge step: passages of threads the read path no longer serves for INDEX.

    A whole case loses every passage; otherwise the threads still served keep theirs
    (the reindex after the withdrawal made them searchable again). Idempotent.
    """
    from qa.indexing import purge_consent_chunks

    keep: list[str] = []
    case = HandoverCase.objects.filter(pk=scope.case_id).first()
    if not scope.whole_case and case is not None:
        keep = [
            thread_source_key(case_id=case.pk, thread_id=thread_id)
            for thread_id in indexed_thread_ids(case=case)
        ]
    return purge_consent_chunks(consent_key=consent_key_for(scope.case_id), keep_source_keys=keep)
