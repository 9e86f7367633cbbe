"""The drafting run: read the consented threads, embed them, find topics, write sections.

Runs like an import (:mod:`handover.imports.pipeline`): claimed with a compare-and-set
on ``run_token``, a heartbeat with every batch, and checkpoints in the rows it writes
(a ``DraftThread`` per thread read, a ``DraftSection`` per topic written), so a run
that lost its worker resumes where it stopped. It reads only through the read path,
under ``Purpose.PUBLISH``.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.consent.read import ConsentedMessage, consented_messages, iter_consented_messages
from handover.drafting import compose
from handover.drafting.clustering import cluster_embeddings, normalised_mean
from handover.drafting.plugin_sections import write_plugin_sections
from handover.models import (
    DraftCitation,
    DraftRun,
    DraftSection,
    DraftSentence,
    DraftThread,
    DraftTopic,
    HandoverCase,
    Purpose,
)

logger = logging.getLogger(__name__)

# Characters of a message that are embedded (the model reads a few hundred tokens).
EMBED_CHARS = 2000
# Texts the model encodes at once (bench/drafting.py times the raw encode with the same).
EMBED_BATCH_SIZE = 32
CENTRAL_MESSAGES = 5
REPRESENTATIVE_MESSAGES = 12


class DraftCancelledError(Exception):
    """The subject asked to cancel the run; it stops between batches."""


class LostClaimError(Exception):
    """Another run took this one over (its heartbeat looked stale); this one stops."""


def _batch_size() -> int:
    return int(getattr(settings, "DRAFT_BATCH_THREADS", 256))


def _stale_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "DRAFT_STALE_SECONDS", 300)))


def _claim(run_id: int, token: str, stale_after: timedelta) -> bool:
    """Take the run: queued, or running with a stale heartbeat. Atomic."""
    now = timezone.now()
    claimable = Q(status=DraftRun.Status.QUEUED, cancel_requested=False) | Q(
        Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True),
        status=DraftRun.Status.RUNNING,
        cancel_requested=False,
    )
    return bool(
        DraftRun.objects.filter(claimable, pk=run_id).update(
            status=DraftRun.Status.RUNNING,
            run_token=token,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
        )
    )


def _hold(run_id: int, token: str) -> DraftRun:
    """Lock the run inside the caller's transaction; raise when the claim or wish changed."""
    run = DraftRun.objects.select_for_update().get(pk=run_id)
    if run.run_token != token:
        raise LostClaimError
    if run.cancel_requested:
        raise DraftCancelledError
    return run


def embedding_text(message: ConsentedMessage) -> str:
    """What of a message is embedded: its text (or subject line), cut at ``EMBED_CHARS``."""
    text = message.text.strip() or message.subject_line.strip()
    return text[:EMBED_CHARS]


def _group(messages: Iterable[ConsentedMessage]) -> dict[int, list[ConsentedMessage]]:
    threads: dict[int, list[ConsentedMessage]] = defaultdict(list)
    for message in messages:
        threads[message.thread_id].append(message)
    return threads


def _label(messages: Sequence[ConsentedMessage]) -> str:
    for message in messages:
        if message.subject_line.strip():
            return message.subject_line.strip()[:300]
    return messages[0].conversation[:300]


# --- Reading -----------------------------------------------------------------------------------


def consented_thread_ids(case: HandoverCase) -> list[int]:
    """The threads the case serves for publishing, each once, in id order."""
    rows = (
        consented_messages(purpose=Purpose.PUBLISH, case=case)
        .order_by()
        .values_list("message__thread_id", flat=True)
        .distinct()
    )
    return sorted(rows)


def _read_batch(case: HandoverCase, thread_ids: list[int]) -> list[DraftThread]:
    from qa.embeddings import embed_texts

    grouped = _group(
        iter_consented_messages(purpose=Purpose.PUBLISH, case=case, thread_ids=thread_ids)
    )
    if not grouped:
        return []
    order = [thread_id for thread_id in thread_ids if thread_id in grouped]
    texts = [embedding_text(message) for thread_id in order for message in grouped[thread_id]]
    vectors = np.asarray(embed_texts(texts, batch_size=EMBED_BATCH_SIZE), dtype=np.float32)
    rows = []
    start = 0
    for thread_id in order:
        messages = grouped[thread_id]
        own = vectors[start : start + len(messages)]
        start += len(messages)
        mean = normalised_mean(own)
        ranking = np.argsort(-(own @ mean), kind="stable")[:CENTRAL_MESSAGES]
        rows.append(
            DraftThread(
                thread_id=thread_id,
                conversation_id=messages[0].conversation_id,
                embedding=mean.tolist(),
                message_count=len(messages),
                first_at=messages[0].sent_at,
                last_at=messages[-1].sent_at,
                central_message_ids=[messages[int(index)].message_id for index in ranking],
                label=_label(messages),
            )
        )
    return rows


def _read(run: DraftRun, token: str, batch_size: int) -> None:
    case = run.case
    thread_ids = consented_thread_ids(case)
    DraftRun.objects.filter(pk=run.pk, run_token=token).update(threads_total=len(thread_ids))
    done = set(DraftThread.objects.filter(run=run).values_list("thread_id", flat=True))
    pending = [thread_id for thread_id in thread_ids if thread_id not in done]
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        rows = _read_batch(case, batch)
        with transaction.atomic():
            held = _hold(run.pk, token)
            for row in rows:
                row.run_id = run.pk
            DraftThread.objects.bulk_create(rows, ignore_conflicts=True)
            held.threads_done = DraftThread.objects.filter(run=run).count()
            held.messages_done += sum(row.message_count for row in rows)
            held.heartbeat_at = timezone.now()
            held.save(update_fields=["threads_done", "messages_done", "heartbeat_at"])
    with transaction.atomic():
        held = _hold(run.pk, token)
        held.threads_done = held.threads_total or 0
        held.phase = DraftRun.Phase.CLUSTERING
        held.heartbeat_at = timezone.now()
        held.save(update_fields=["threads_done", "phase", "heartbeat_at"])


# --- Clustering --------------------------------------------------------------------------------


def _cluster(run: DraftRun, token: str) -> None:
    threads = list(DraftThread.objects.filter(run=run).order_by("id"))
    labels = (
        cluster_embeddings(np.asarray([row.embedding for row in threads], dtype=np.float32))
        if threads
        else []
    )
    with transaction.atomic():
        held = _hold(run.pk, token)
        DraftTopic.objects.filter(run=run).delete()
        topics = DraftTopic.objects.bulk_create(
            [DraftTopic(run=run, title="", position=index) for index in range(len(set(labels)))]
        )
        members: dict[int, list[int]] = defaultdict(list)
        for row, label in zip(threads, labels, strict=True):
            members[label].append(row.pk)
        for label, ids in members.items():
            DraftThread.objects.filter(pk__in=ids).update(topic=topics[label])
        held.phase = DraftRun.Phase.WRITING
        held.topics_total = len(topics)
        held.topics_done = 0
        held.heartbeat_at = timezone.now()
        held.save(update_fields=["phase", "topics_total", "topics_done", "heartbeat_at"])


# --- Writing -----------------------------------------------------------------------------------


def _representative_ids(threads: Sequence[DraftThread], served: set[int]) -> list[int]:
    """The topic's messages nearest its centre: central ids of its threads nearest first."""
    if not threads:
        return []
    vectors = np.asarray([row.embedding for row in threads], dtype=np.float32)
    centroid = normalised_mean(vectors)
    order = np.argsort(-(vectors @ centroid), kind="stable")
    ranked: list[int] = []
    depth = max((len(row.central_message_ids) for row in threads), default=0)
    for level in range(depth):
        for index in order:
            ids = threads[int(index)].central_message_ids
            if level < len(ids) and ids[level] in served and ids[level] not in ranked:
                ranked.append(ids[level])
    return ranked[: max(REPRESENTATIVE_MESSAGES, 1)]


def _topic_texts(topic: DraftTopic) -> str:
    return " ".join(topic.threads.values_list("label", flat=True))


def write_topic(
    *, run: DraftRun, topic: DraftTopic, others: Sequence[str] = ()
) -> DraftSection | None:
    """Write (or write again) the section of one topic, from what the read path serves now.

    Call inside a transaction that holds the run; the caller deletes any older section.
    A topic with nothing citable to say (its threads no longer served, or no line with a
    citation) gets no section: an empty one would be a page of nothing to review or
    publish. The topic stays, so its threads can still be moved or merged.
    """
    case = run.case
    threads = list(topic.threads.order_by("first_at", "id"))
    grouped = _group(
        iter_consented_messages(
            purpose=Purpose.PUBLISH, case=case, thread_ids=[row.thread_id for row in threads]
        )
    )
    served = {message.message_id for messages in grouped.values() for message in messages}
    thread_messages = [
        compose.ThreadMessages(
            thread_id=row.thread_id,
            conversation_id=row.conversation_id,
            conversation=grouped[row.thread_id][0].conversation,
            messages=tuple(grouped[row.thread_id]),
        )
        for row in threads
        if grouped.get(row.thread_id)
    ]
    lines = (
        compose.compose_section(
            threads=thread_messages,
            representative_ids=_representative_ids(threads, served),
            language=case.language or "en",
        )
        if thread_messages
        else []
    )
    if not topic.title_edited:
        title = (
            compose.topic_title(threads=thread_messages, others=others) if thread_messages else ""
        )
        topic.title = (title or (threads[0].label if threads else "") or _("Topic"))[:200]
        topic.save(update_fields=["title"])
    kept = []
    for line in lines:
        cited = list(dict.fromkeys(mid for mid in line.message_ids if mid in served))
        if cited and line.text.strip():
            kept.append((line, cited))
    if not kept:
        return None
    section = DraftSection.objects.create(
        case=case,
        run=run,
        topic=topic,
        kind=DraftSection.Kind.TOPIC,
        title=topic.title,
        position=topic.position,
    )
    for position, (line, cited) in enumerate(kept):
        sentence = DraftSentence.objects.create(
            section=section,
            part=line.part,
            position=position,
            text=line.text,
            original_text=line.text,
            details=line.details or {},
        )
        DraftCitation.objects.bulk_create(
            [
                DraftCitation(sentence=sentence, message_id=mid, position=index)
                for index, mid in enumerate(cited)
            ]
        )
    return section


def _write(run: DraftRun, token: str) -> None:
    topics = list(DraftTopic.objects.filter(run=run).order_by("position", "id"))
    texts = {topic.pk: _topic_texts(topic) for topic in topics}
    for done, topic in enumerate(topics, start=1):
        if DraftSection.objects.filter(topic=topic).exists():
            continue
        others = [text for pk, text in texts.items() if pk != topic.pk]
        with transaction.atomic():
            held = _hold(run.pk, token)
            write_topic(run=held, topic=topic, others=others)
            # Topics written so far, counting those left without a section.
            held.topics_done = done
            held.heartbeat_at = timezone.now()
            held.save(update_fields=["topics_done", "heartbeat_at"])


# --- The end of a run --------------------------------------------------------------------------


def _delete_rows_of(run_ids: Iterable[int]) -> None:
    run_ids = list(run_ids)
    DraftSection.objects.filter(run_id__in=run_ids, kind=DraftSection.Kind.TOPIC).delete()
    DraftTopic.objects.filter(run_id__in=run_ids).delete()
    DraftThread.objects.filter(run_id__in=run_ids).delete()


def _finish(run_id: int, token: str, status: str, *, error: str = "") -> DraftRun | None:
    with transaction.atomic():
        run = DraftRun.objects.select_for_update().filter(pk=run_id, run_token=token).first()
        if run is None:
            return None
        run.status = status
        run.finished_at = timezone.now()
        run.heartbeat_at = run.finished_at
        run.run_token = ""
        run.error = error
        fields = ["status", "finished_at", "heartbeat_at", "run_token", "error"]
        if status == DraftRun.Status.SUCCEEDED:
            run.phase = DraftRun.Phase.DONE
            fields.append("phase")
            older = DraftRun.objects.filter(case_id=run.case_id).exclude(pk=run.pk)
            _delete_rows_of(older.values_list("pk", flat=True))
        elif status == DraftRun.Status.CANCELLED:
            _delete_rows_of([run.pk])
        run.save(update_fields=fields)
        record_audit_event(
            actor=None,
            action="drafting.finished",
            target=run.case,
            scope=f"case:{run.case_id}",
            details={
                "run": run.pk,
                "status": status,
                "threads": run.threads_total or 0,
                "topics": run.topics_total or 0,
            },
            personal={"error": error} if error else None,
        )
    return run


def run_draft(
    *, run_id: int, batch_size: int | None = None, stale_after: timedelta | None = None
) -> DraftRun | None:
    """Draft a queued run (or resume a stale running one); None when another run has it."""
    token = uuid.uuid4().hex
    if not _claim(run_id, token, stale_after or _stale_after()):
        logger.info("Draft run %s is not claimable (finished, cancelled or running).", run_id)
        return None
    run = DraftRun.objects.select_related("case").get(pk=run_id)
    try:
        from qa.embeddings import embedding_model_info

        try:
            DraftRun.objects.filter(pk=run_id, run_token=token).update(
                model_name=embedding_model_info().name[:200]
            )
        except Exception:  # noqa: BLE001 - the name is informative only
            logger.warning("The embedding model's name could not be read.")
        if run.phase == DraftRun.Phase.READING:
            _read(run, token, batch_size or _batch_size())
            run.refresh_from_db()
        if run.phase == DraftRun.Phase.CLUSTERING:
            _cluster(run, token)
            run.refresh_from_db()
        _write(run, token)
        with transaction.atomic():
            # Still this run's (not cancelled or taken over) while plugins propose sections.
            _hold(run.pk, token)
            write_plugin_sections(case=run.case)
    except DraftCancelledError:
        return _finish(run_id, token, DraftRun.Status.CANCELLED)
    except LostClaimError:
        logger.warning("Draft run %s was taken over by another run; this run stops.", run_id)
        return None
    except Exception as error:
        logger.exception("Draft run %s failed.", run_id)
        message = _("The drafting stopped on an unexpected error: %(error)s") % {
            "error": f"{type(error).__name__}: {error}"
        }
        return _finish(run_id, token, DraftRun.Status.FAILED, error=message)
    return _finish(run_id, token, DraftRun.Status.SUCCEEDED)
