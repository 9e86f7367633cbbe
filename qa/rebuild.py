"""Rebuilding the Q&A index: the full re-chunk and keyword repair behind ``reindex``, and
switching to another embedding model without a gap in answers.

``rebuild_index`` re-chunks every wiki page (pages gone or in the trash, and chunks left by
purged pages, lose their chunks), recomputes the keyword statistics exactly from the
postings, and embeds what is missing into the active index.

``start_model_switch`` notices that the configured model is not the active index's and
creates a ``building`` index for it; ``build_embedding_index`` (on the worker) embeds every
chunk into it in batches, resumably, then switches in one transaction: the new index becomes
active, the old one retired, and after commit the old vectors and HNSW index are dropped.
Until then the old index answers; new or changed chunks are embedded into it at once
(``embed_pending_task``) and into the new one by the build, which checks under the index
lock that none is missing before it switches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qa.embeddings import EmbeddingModelInfo, embedding_model_info
from qa.indexing import (
    EMBED_BATCH_SIZE,
    create_hnsw_index,
    drop_hnsw_index,
    embed_pending_chunks,
    ensure_active_index,
    index_pages,
    lock_index,
)
from qa.models import Chunk, ChunkEmbedding, CorpusStats, EmbeddingIndex
from wiki.models import Page

logger = logging.getLogger(__name__)

# Pages re-chunked per call of ``index_pages`` (each page is its own short transaction; the
# batch only sets how often progress is reported).
PAGE_BATCH_SIZE = 20

# Chunks one run of the build task embeds before it queues the next run: minutes, not hours,
# so no broker redelivers a long unacknowledged task to a second worker meanwhile.
BUILD_CHUNKS_PER_RUN = 2000

# ``progress(stage, done, total)``: stage is "pages" or "embedding".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StatsRepair:
    """What the keyword statistics repair corrected."""

    terms_corrected: int
    terms_removed: int
    lengths_corrected: int
    corpus_corrected: bool


@dataclass(frozen=True)
class RebuildSummary:
    """What ``rebuild_index`` did."""

    pages: int
    chunks_changed: int
    chunks_dropped: int
    stats: StatsRepair | None
    embedded: int
    index: EmbeddingIndex | None


def pending_chunks(index: EmbeddingIndex):  # noqa: ANN201 - a QuerySet of Chunk
    """Searchable chunks whose vector in ``index`` is missing or out of date."""
    current = ChunkEmbedding.objects.filter(
        index=index, chunk=OuterRef("pk"), content_sha256=OuterRef("content_sha256")
    )
    return Chunk.objects.filter(searchable=True).exclude(Exists(current))


def _page_ids_to_rechunk() -> list[int]:
    """Every live page, and every page some chunk still names (gone, trashed or purged)."""
    ids = set(Page.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    keys = (
        Chunk.objects.filter(kind=Chunk.Kind.PAGE)
        .values_list("source_key", flat=True)
        .distinct()
        .order_by()
    )
    for key in keys:
        prefix, _colon, number = key.partition(":")
        if prefix == "page" and number.isdigit():
            ids.add(int(number))
    return sorted(ids)


def rechunk_pages(*, progress: Progress | None = None) -> tuple[int, int, int]:
    """Re-chunk every live page through ``index_pages``, which drops the chunks of pages
    that are gone, trashed or purged; returns (pages, chunks changed, orphans dropped).

    Thread chunks are left alone: the handover app pushes them.
    """
    orphans = (
        Chunk.objects.filter(kind=Chunk.Kind.PAGE)
        .filter(Q(page__isnull=True) | Q(page__deleted_at__isnull=False))
        .count()
    )
    page_ids = _page_ids_to_rechunk()
    changed = 0
    for start in range(0, len(page_ids), PAGE_BATCH_SIZE):
        changed += len(index_pages(page_ids=page_ids[start : start + PAGE_BATCH_SIZE]))
        if progress is not None:
            progress("pages", min(start + PAGE_BATCH_SIZE, len(page_ids)), len(page_ids))
    return len(page_ids), changed, orphans


@transaction.atomic
def repair_keyword_stats() -> StatsRepair:
    """Recompute the keyword statistics exactly from the postings, under the index lock.

    Each chunk's length is the sum of its postings' frequencies (and is copied onto its
    postings), each term's document frequency the number of its postings (terms left with
    none are deleted), and the corpus totals the number of chunks and the sum of their
    lengths. The indexer keeps
    these by increments; this puts them right after a crash or a bug.
    """
    lock_index()
    CorpusStats.objects.get_or_create(singleton=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH p AS (SELECT chunk_id, SUM(frequency) AS n FROM qa_posting GROUP BY chunk_id) "
            "UPDATE qa_chunk c SET length = COALESCE(p.n, 0) FROM qa_chunk c2 "
            "LEFT JOIN p ON p.chunk_id = c2.id "
            "WHERE c.id = c2.id AND c.length <> COALESCE(p.n, 0)"
        )
        lengths = cursor.rowcount
        # The copy of each chunk's length on its postings, which BM25 reads.
        cursor.execute(
            "UPDATE qa_posting p SET chunk_length = c.length FROM qa_chunk c "
            "WHERE c.id = p.chunk_id AND p.chunk_length <> c.length"
        )
        # A term no posting names has a document frequency of 0: it goes.
        cursor.execute(
            "DELETE FROM qa_term t "
            "WHERE NOT EXISTS (SELECT 1 FROM qa_posting p WHERE p.term_id = t.id)"
        )
        removed = cursor.rowcount
        cursor.execute(
            "UPDATE qa_term t SET document_frequency = p.n "
            "FROM (SELECT term_id, count(*) AS n FROM qa_posting GROUP BY term_id) p "
            "WHERE t.id = p.term_id AND t.document_frequency <> p.n"
        )
        terms = cursor.rowcount
        cursor.execute(
            "UPDATE qa_corpusstats s SET chunks = c.n, total_length = c.total "
            "FROM (SELECT count(*) AS n, COALESCE(SUM(length), 0) AS total FROM qa_chunk) c "
            "WHERE s.chunks <> c.n OR s.total_length <> c.total"
        )
        corpus = cursor.rowcount > 0
    return StatsRepair(
        terms_corrected=terms,
        terms_removed=removed,
        lengths_corrected=lengths,
        corpus_corrected=corpus,
    )


def embed_missing(
    *,
    index: EmbeddingIndex,
    batch_size: int = EMBED_BATCH_SIZE,
    progress: Progress | None = None,
) -> int:
    """Embed every chunk missing (or out of date) in ``index``; returns how many."""
    total = pending_chunks(index).count()
    if progress is not None:
        progress("embedding", 0, total)
    done = embed_pending_chunks(
        index=index,
        batch_size=batch_size,
        progress=None if progress is None else lambda n: progress("embedding", n, max(n, total)),
    )
    return done


def rebuild_index(
    *,
    rechunk: bool = True,
    embed: bool = True,
    progress: Progress | None = None,
) -> RebuildSummary:
    """The whole ``reindex``: re-chunk every page and plugin document, repair the keyword
    statistics, embed.

    ``rechunk=False`` only embeds; ``embed=False`` leaves embedding to the worker (the
    caller queues it). Embedding here fills the active index; an index being built is
    filled by its own task.
    """
    pages = changed = dropped = 0
    stats = None
    if rechunk:
        pages, changed, dropped = rechunk_pages(progress=progress)
        from qa.plugin_sources import sync_plugin_documents

        sync_plugin_documents()
        stats = repair_keyword_stats()
    index = None
    embedded = 0
    if embed:
        index = ensure_active_index()
        embedded = embed_missing(index=index, progress=progress)
    return RebuildSummary(
        pages=pages,
        chunks_changed=changed,
        chunks_dropped=dropped,
        stats=stats,
        embedded=embedded,
        index=index,
    )


# --- Switching models ----------------------------------------------------------------------


def _is_model(index: EmbeddingIndex, info: EmbeddingModelInfo) -> bool:
    return (
        index.model_path == info.path
        and index.model_name == info.name
        and index.dimension == info.dimension
    )


@dataclass(frozen=True)
class ModelSwitch:
    """What ``start_model_switch`` found or did.

    ``state``: ``current`` (the active index is the configured model's; nothing to do),
    ``started`` (a new index is being built), ``building`` (one already was; its build was
    queued again, which resumes it).
    """

    state: str
    active: EmbeddingIndex
    building: EmbeddingIndex | None = None


def _retire(index: EmbeddingIndex) -> None:
    """Mark ``index`` retired and, once that commits, drop its vectors and HNSW index."""
    index.status = EmbeddingIndex.Status.RETIRED
    index.save(update_fields=["status"])
    transaction.on_commit(lambda: drop_index_vectors(index=index))


def _check_deferred_constraints() -> None:
    """Run the deferred foreign-key checks now: PostgreSQL refuses DDL on a table with
    checks pending in the transaction (a caller that wrote vectors before)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@transaction.atomic
def drop_index_vectors(*, index: EmbeddingIndex) -> int:
    """Delete a retired index's vectors and its HNSW index; returns how many vectors."""
    if index.status != EmbeddingIndex.Status.RETIRED:
        raise ValueError(f"index {index.pk} is {index.status}, not retired")
    _check_deferred_constraints()
    drop_hnsw_index(index)
    deleted, _by_model = ChunkEmbedding.objects.filter(index=index).delete()
    return deleted


def start_model_switch() -> ModelSwitch:
    """Start building an index for the configured model if the active one is another's.

    With no active index yet, one is created for the configured model (nothing to switch).
    A build under way for yet another model is abandoned (retired) for the configured one.
    The build runs on the worker (``build_embedding_index_task``), queued on commit; the
    old index keeps answering until it is done.
    """
    from qa.tasks import build_embedding_index_task

    info = embedding_model_info()
    with transaction.atomic():
        lock_index()
        active = EmbeddingIndex.objects.filter(status=EmbeddingIndex.Status.ACTIVE).first()
        if active is None:
            return ModelSwitch(state="current", active=ensure_active_index())
        building = EmbeddingIndex.objects.filter(status=EmbeddingIndex.Status.BUILDING).first()
        if building is not None and not _is_model(building, info):
            _retire(building)
            building = None
        if _is_model(active, info):
            return ModelSwitch(state="current", active=active)
        state = "building"
        if building is None:
            state = "started"
            building = EmbeddingIndex.objects.create(
                model_name=info.name,
                model_path=info.path,
                dimension=info.dimension,
                status=EmbeddingIndex.Status.BUILDING,
            )
            _check_deferred_constraints()
            create_hnsw_index(building)
        building_id = building.pk
        transaction.on_commit(lambda: build_embedding_index_task.delay(building_id))
    return ModelSwitch(state=state, active=active, building=building)


class BuildOutcome(StrEnum):
    """How a run of ``build_embedding_index`` ended."""

    SWITCHED = "switched"
    MORE = "more"  # stopped after ``max_chunks``: run it again
    NOT_BUILDING = "not_building"  # switched already, abandoned or gone


def build_embedding_index(
    *,
    index_id: int,
    batch_size: int = EMBED_BATCH_SIZE,
    max_chunks: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BuildOutcome:
    """Embed every chunk into building index ``index_id``, then make it the active one.

    Resumable: only missing vectors are embedded, so a crash and a rerun continue where it
    stopped; ``max_chunks`` ends a run early (``MORE``) so the worker can build in slices
    rather than one task of hours. The switch holds the index lock and checks that nothing
    is missing, so no chunk written meanwhile is left without a vector.
    """
    while True:
        index = EmbeddingIndex.objects.filter(pk=index_id).first()
        if index is None or index.status != EmbeddingIndex.Status.BUILDING:
            return BuildOutcome.NOT_BUILDING
        done = embed_pending_chunks(
            index=index, batch_size=batch_size, progress=progress, limit=max_chunks
        )
        if max_chunks is not None and done >= max_chunks:
            return BuildOutcome.MORE
        with transaction.atomic():
            lock_index()
            index = EmbeddingIndex.objects.select_for_update().filter(pk=index_id).first()
            if index is None or index.status != EmbeddingIndex.Status.BUILDING:
                return BuildOutcome.NOT_BUILDING
            if pending_chunks(index).exists():
                continue  # chunks written while embedding; embed them and try again
            old = (
                EmbeddingIndex.objects.select_for_update()
                .filter(status=EmbeddingIndex.Status.ACTIVE)
                .first()
            )
            if old is not None:
                _retire(old)
            index.status = EmbeddingIndex.Status.ACTIVE
            index.activated_at = timezone.now()
            index.save(update_fields=["status", "activated_at"])
        logger.info("embedding index %s (%s) is active", index.pk, index.model_name)
        return BuildOutcome.SWITCHED


def model_switch_state() -> dict:
    """The configured model against the indexes, for /healthz (cheap: no model load).

    ``state``: ``none`` (no index yet), ``current``, ``building`` (a switch is under way),
    or ``switch_needed`` (the configured model differs and nothing is building: run
    ``python manage.py reindex --switch-model``).
    """
    info = embedding_model_info()
    indexes = list(
        EmbeddingIndex.objects.filter(
            status__in=[EmbeddingIndex.Status.ACTIVE, EmbeddingIndex.Status.BUILDING]
        )
    )
    active = next((i for i in indexes if i.status == EmbeddingIndex.Status.ACTIVE), None)
    building = next((i for i in indexes if i.status == EmbeddingIndex.Status.BUILDING), None)
    if active is None:
        return {"state": "none"}
    details = {"active_index": {"name": active.model_name, "dimension": active.dimension}}
    if _is_model(active, info):
        details["state"] = "current"
    elif building is not None and _is_model(building, info):
        details["state"] = "building"
        details["building_index"] = {
            "name": building.model_name,
            "dimension": building.dimension,
            "embedded": ChunkEmbedding.objects.filter(index=building).count(),
            "chunks": Chunk.objects.filter(searchable=True).count(),
        }
    else:
        details["state"] = "switch_needed"
    return details
