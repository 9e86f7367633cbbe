"""Writing the Q&A index: chunks of wiki pages and of pushed thread content, their keyword
postings, and their vectors under the active (and any building) embedding index.

Writes come in two steps. ``index_page`` and ``replace_thread_sources`` write chunk rows and
postings in one short transaction (no model work); ``embed_pending_chunks`` then embeds, in
batches on the worker, every chunk whose vector is missing or out of date. A chunk that has
no vector yet is already found by keywords.

Every write of chunks and postings holds one transaction-scoped advisory lock, so the
keyword statistics (document frequencies, the corpus totals) are updated by one writer at
a time and never deadlock.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from qa.chunking import Passage, fit_passages, page_passages, token_counter
from qa.embeddings import vector_literal
from qa.keywords import terms_of_texts
from qa.models import Chunk, CorpusStats, EmbeddingIndex
from wiki.models import Page

# pg_advisory_xact_lock key of the index writers ("qa.index" as a 31-bit number).
_LOCK_KEY = int(hashlib.sha256(b"qa.index").hexdigest()[:7], 16)
EMBED_BATCH_SIZE = 32


def page_source_key(page_id: int) -> str:
    return f"page:{page_id}"


@dataclass(frozen=True)
class ThreadSource:
    """One consented thread as the handover app hands it to the index.

    ``text`` is already redacted and pseudonymised by the handover read path; the index
    only cuts it to the model's window. ``consent_key`` names the consent it came under
    (every source of one case shares it), ``purpose`` must be ``Chunk.QA_PURPOSE``, and the
    readers of ``space_id`` are who may find it.
    """

    source_key: str
    space_id: int
    title: str
    text: str
    url: str
    owner_label: str
    consent_key: str
    purpose: str
    expires_at: datetime.datetime | None
    updated_at: datetime.datetime | None = None
    # Who to ask when the memory falls short here (the case's successors).
    contact_ids: tuple[int, ...] = ()
    # Whether answers may quote it word for word (the quote purpose); cited only otherwise.
    may_quote: bool = False


@dataclass(frozen=True)
class _Row:
    """The fields of one chunk to write, besides its source."""

    passage: Passage
    title: str
    space_id: int
    page_id: int | None
    url: str = ""
    owner_label: str = ""
    source_updated_at: datetime.datetime | None = None
    consent_key: str = ""
    purpose: str = ""
    expires_at: datetime.datetime | None = None
    contact_ids: tuple[int, ...] = ()
    entry_id: int | None = None
    may_quote: bool = True


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def lock_index() -> None:
    """Hold the index writers' lock until the caller's transaction ends.

    For the other writers of the index (``qa.rebuild``: the statistics repair and the
    model switch), so they take turns with chunk writes.
    """
    _lock()


def _ensure_stats() -> None:
    CorpusStats.objects.get_or_create(singleton=True)


def _remove_postings(chunk_ids: Sequence[int]) -> None:
    """Take ``chunk_ids``' postings out of the document frequencies and delete them."""
    if not chunk_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (SELECT term_id, count(*) AS n FROM qa_posting "
            "WHERE chunk_id = ANY(%s) GROUP BY term_id) "
            "UPDATE qa_term SET document_frequency = GREATEST(document_frequency - gone.n, 0) "
            "FROM gone WHERE qa_term.id = gone.term_id",
            [list(chunk_ids)],
        )
        cursor.execute("DELETE FROM qa_posting WHERE chunk_id = ANY(%s)", [list(chunk_ids)])


def _add_postings(chunks: Sequence[Chunk], terms: Sequence[Counter[str]]) -> None:
    """Insert the postings of ``chunks`` (their terms in ``terms``) and count them in."""
    document_frequency: Counter[str] = Counter()
    for counts in terms:
        document_frequency.update(counts.keys())
    if not document_frequency:
        return
    words = sorted(document_frequency)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO qa_term (text, document_frequency) "
            "SELECT * FROM unnest(%s::text[], %s::int[]) "
            "ON CONFLICT (text) DO UPDATE "
            "SET document_frequency = qa_term.document_frequency + EXCLUDED.document_frequency "
            "RETURNING id, text",
            [words, [document_frequency[word] for word in words]],
        )
        ids = dict((text, term_id) for term_id, text in cursor.fetchall())
        term_ids, chunk_ids, frequencies, lengths = [], [], [], []
        for chunk, counts in zip(chunks, terms, strict=True):
            for word, frequency in counts.items():
                term_ids.append(ids[word])
                chunk_ids.append(chunk.pk)
                frequencies.append(frequency)
                lengths.append(chunk.length)
        cursor.execute(
            "INSERT INTO qa_posting (term_id, chunk_id, frequency, chunk_length) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::int[])",
            [term_ids, chunk_ids, frequencies, lengths],
        )


def _bump_stats(chunks: int, length: int) -> None:
    if chunks or length:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE qa_corpusstats SET chunks = chunks + %s, total_length = total_length + %s",
                [chunks, length],
            )


def _write_source(*, kind: str, source_key: str, rows: Sequence[_Row]) -> list[int]:
    """Make the chunks of ``source_key`` exactly ``rows``; returns the changed chunks' ids.

    A chunk whose text is unchanged keeps its postings and vectors (only its metadata is
    refreshed); a changed one gets new postings, and its vectors go out of date.
    Runs inside the caller's transaction, which must hold the index lock.
    """
    existing = {chunk.ordinal: chunk for chunk in Chunk.objects.filter(source_key=source_key)}
    changed: list[Chunk] = []
    stale_ids: list[int] = []
    length_delta = 0
    count_delta = 0
    for ordinal, row in enumerate(rows):
        passage = row.passage
        fields = {
            "kind": kind,
            "space_id": row.space_id,
            "page_id": row.page_id,
            "title": row.title[:300],
            "heading": passage.heading[:300],
            "anchor": passage.anchor[:300],
            "text": passage.text,
            "embed_text": passage.embed_text,
            "url": row.url[:1000],
            "owner_label": row.owner_label[:300],
            "language": passage.language,
            "source_updated_at": row.source_updated_at,
            "consent_key": row.consent_key,
            "purpose": row.purpose,
            "expires_at": row.expires_at,
            "content_sha256": passage.content_sha256,
            "contact_ids": list(row.contact_ids),
            "entry_id": row.entry_id,
            "may_quote": row.may_quote,
        }
        chunk = existing.pop(ordinal, None)
        if chunk is None:
            chunk = Chunk(source_key=source_key, ordinal=ordinal, searchable=True, **fields)
            changed.append(chunk)
            count_delta += 1
            continue
        if chunk.content_sha256 != passage.content_sha256:
            stale_ids.append(chunk.pk)
            length_delta -= chunk.length
            changed.append(chunk)
        fields["searchable"] = True
        differs = [name for name, value in fields.items() if getattr(chunk, name) != value]
        if differs:
            for name in differs:
                setattr(chunk, name, fields[name])
            chunk.save(update_fields=[*differs, "indexed_at"])
    gone = [chunk.pk for chunk in existing.values()]
    if gone:
        length_delta -= sum(chunk.length for chunk in existing.values())
        count_delta -= len(gone)
        _remove_postings(gone)
        Chunk.objects.filter(pk__in=gone).delete()
    _remove_postings(stale_ids)
    terms = terms_of_texts([chunk.embed_text for chunk in changed])
    for chunk, counts in zip(changed, terms, strict=True):
        chunk.length = sum(counts.values())
        length_delta += chunk.length
        if chunk.pk is None:
            chunk.save()
        else:
            chunk.save(update_fields=["length"])
    _add_postings(changed, terms)
    _bump_stats(count_delta, length_delta)
    return [chunk.pk for chunk in changed]


def _drop_sources(source_keys: Iterable[str]) -> int:
    """Delete every chunk of ``source_keys`` with its postings and vectors."""
    chunks = list(Chunk.objects.filter(source_key__in=list(source_keys)).values("pk", "length"))
    if not chunks:
        return 0
    ids = [chunk["pk"] for chunk in chunks]
    _remove_postings(ids)
    Chunk.objects.filter(pk__in=ids).delete()
    _bump_stats(-len(ids), -sum(chunk["length"] for chunk in chunks))
    return len(ids)


def _owner_label(page: Page) -> str:
    names = [owner.get_full_name() or owner.get_username() for owner in page.owners.all()]
    return ", ".join(sorted(names))


@transaction.atomic
def index_page(*, page_id: int) -> list[int]:
    """Bring the chunks of one wiki page in line with the page as it is now.

    A page that is gone or in the trash loses its chunks (restoring it indexes it again).
    Returns the ids of chunks whose text is new or changed (to be embedded).
    """
    _lock()
    _ensure_stats()
    source_key = page_source_key(page_id)
    page = (
        Page.objects.filter(pk=page_id, deleted_at__isnull=True)
        .select_related("space", "current_revision")
        .prefetch_related("owners")
        .first()
    )
    if page is None:
        _drop_sources([source_key])
        return []
    from wiki.selectors.rendering import page_url

    body = page.current_revision.body if page.current_revision else ""
    url = page_url(page)
    owners = _owner_label(page)
    rows = [
        _Row(
            passage=passage,
            title=page.title,
            space_id=page.space_id,
            page_id=page.pk,
            url=url + (f"#{passage.anchor}" if passage.anchor else ""),
            owner_label=owners,
            source_updated_at=page.updated_at,
        )
        for passage in page_passages(title=page.title, body=body)
    ]
    return _write_source(kind=Chunk.Kind.PAGE, source_key=source_key, rows=rows)


def index_pages(*, page_ids: Iterable[int]) -> list[int]:
    """``index_page`` for each page, each in its own short transaction."""
    changed: list[int] = []
    for page_id in sorted(set(page_ids)):
        changed.extend(index_page(page_id=page_id))
    return changed


def _check_source(source: ThreadSource, consent_key: str) -> None:
    if source.consent_key != consent_key:
        raise ValueError(f"{source.source_key} belongs to {source.consent_key}, not {consent_key}")
    if source.purpose != Chunk.QA_PURPOSE:
        raise ValueError(f"{source.source_key}: purpose {source.purpose!r} is not Q&A")
    if source.source_key.startswith(("page:", "entry:", "plugin:")):
        raise ValueError("thread sources cannot use the page:, entry: or plugin: key prefixes")


@transaction.atomic
def replace_thread_sources(*, consent_key: str, sources: Iterable[ThreadSource]) -> list[int]:
    """Make the thread chunks of ``consent_key`` exactly those of ``sources``.

    The handover app calls it with every thread its read path serves for Q&A under that
    consent; sources it no longer serves lose their chunks. ``sources`` is read once, in
    order, so it may be a generator that reads the threads as they are written. Returns
    the ids of chunks whose text is new or changed (to be embedded).
    """
    if not consent_key:
        raise ValueError("a consent key is required")
    _lock()
    _ensure_stats()
    counter = token_counter()
    changed: list[int] = []
    wanted: set[str] = set()
    for source in sources:
        _check_source(source, consent_key)
        wanted.add(source.source_key)
        passages = fit_passages(prefix=source.title, text=source.text, counter=counter)
        rows = [
            _Row(
                passage=passage,
                title=source.title,
                space_id=source.space_id,
                page_id=None,
                url=source.url,
                owner_label=source.owner_label,
                source_updated_at=source.updated_at,
                consent_key=consent_key,
                purpose=source.purpose,
                expires_at=source.expires_at,
                contact_ids=tuple(source.contact_ids),
                may_quote=source.may_quote,
            )
            for passage in passages
            if passage.text
        ]
        changed.extend(
            _write_source(kind=Chunk.Kind.THREAD, source_key=source.source_key, rows=rows)
        )
    stale = (
        Chunk.objects.filter(consent_key=consent_key)
        .exclude(source_key__in=wanted)
        .values_list("source_key", flat=True)
        .distinct()
    )
    _drop_sources(list(stale))
    return changed


def hide_consent_chunks(*, consent_key: str) -> int:
    """Make every chunk of ``consent_key`` unsearchable at once, in the caller's transaction.

    For a withdrawal: the handover service calls it inside the transaction that ends the
    consent, so no answer can find them after it commits; the purge then deletes them.
    """
    return Chunk.objects.filter(consent_key=consent_key, searchable=True).update(searchable=False)


def purge_consent_chunks(*, consent_key: str, keep_source_keys: Iterable[str] = ()) -> int:
    """Delete the chunks (with postings and vectors) of ``consent_key``, except those of
    ``keep_source_keys``; returns how many went. Idempotent."""
    with transaction.atomic():
        _lock()
        _ensure_stats()
        sources = (
            Chunk.objects.filter(consent_key=consent_key)
            .exclude(source_key__in=list(keep_source_keys))
            .values_list("source_key", flat=True)
            .distinct()
        )
        return _drop_sources(list(sources))


# --- Vectors -----------------------------------------------------------------------------


def indexes_to_fill() -> list[EmbeddingIndex]:
    """The indexes new chunks are embedded into: the active one and any being built."""
    return list(
        EmbeddingIndex.objects.filter(
            status__in=[EmbeddingIndex.Status.ACTIVE, EmbeddingIndex.Status.BUILDING]
        ).order_by("pk")
    )


def _pending(index: EmbeddingIndex, after: int, limit: int) -> list[tuple[int, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, c.embed_text, c.content_sha256 FROM qa_chunk c "
            "LEFT JOIN qa_chunkembedding e ON e.chunk_id = c.id AND e.index_id = %s "
            "WHERE c.id > %s AND c.searchable "
            "AND (e.id IS NULL OR e.content_sha256 <> c.content_sha256) "
            "ORDER BY c.id LIMIT %s",
            [index.pk, after, limit],
        )
        return cursor.fetchall()


def _store_vectors(index: EmbeddingIndex, rows: Sequence[tuple[int, str, str]], vectors) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO qa_chunkembedding (index_id, chunk_id, content_sha256, embedding) "
            "SELECT %s, c.id, v.sha, v.embedding::vector FROM "
            "unnest(%s::bigint[], %s::text[], %s::text[]) AS v(chunk_id, sha, embedding) "
            "JOIN qa_chunk c ON c.id = v.chunk_id AND c.content_sha256 = v.sha "
            "ON CONFLICT (index_id, chunk_id) DO UPDATE "
            "SET content_sha256 = EXCLUDED.content_sha256, embedding = EXCLUDED.embedding",
            [
                index.pk,
                [row[0] for row in rows],
                [row[2] for row in rows],
                [vector_literal(vector) for vector in vectors],
            ],
        )


def embed_pending_chunks(
    *,
    index: EmbeddingIndex | None = None,
    batch_size: int = EMBED_BATCH_SIZE,
    progress=None,
    limit: int | None = None,
) -> int:
    """Embed every chunk whose vector in ``index`` (default: each index to fill) is missing
    or out of date, ``batch_size`` texts at a time; returns how many were embedded.

    Vectors are written only for chunks whose text is still the one embedded, so a chunk
    edited meanwhile is picked up by the next run, never stored with an old vector.
    ``progress`` (optional) is called with the count after each batch; with ``limit`` it
    stops after the batch that reaches that count (a long build, run in slices).
    """
    from qa.embeddings import embed_texts

    done = 0
    for target in [index] if index is not None else indexes_to_fill():
        after = 0
        while True:
            rows = _pending(target, after, batch_size)
            if not rows:
                break
            vectors = embed_texts(
                [row[1] for row in rows], batch_size=batch_size, model_path=target.model_path
            )
            with transaction.atomic():
                _store_vectors(target, rows, vectors)
            done += len(rows)
            after = rows[-1][0]
            if progress is not None:
                progress(done)
            if limit is not None and done >= limit:
                return done
    return done


def ensure_active_index() -> EmbeddingIndex:
    """The active index, created for the configured model if there is none yet."""
    from qa.embeddings import embedding_model_info

    active = EmbeddingIndex.objects.filter(status=EmbeddingIndex.Status.ACTIVE).first()
    if active is not None:
        return active
    info = embedding_model_info()
    with transaction.atomic():
        created, _new = EmbeddingIndex.objects.get_or_create(
            status=EmbeddingIndex.Status.ACTIVE,
            defaults={
                "model_name": info.name,
                "model_path": info.path,
                "dimension": info.dimension,
                "activated_at": timezone.now(),
            },
        )
        create_hnsw_index(created)
    return created


def create_hnsw_index(index: EmbeddingIndex) -> None:
    """The HNSW (cosine) index over ``index``'s vectors, a partial index of its own."""
    dimension = int(index.dimension)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {index.hnsw_index_name} ON qa_chunkembedding "
            f"USING hnsw ((embedding::vector({dimension})) vector_cosine_ops) "
            f"WHERE index_id = {int(index.pk)}"
        )


def drop_hnsw_index(index: EmbeddingIndex) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {index.hnsw_index_name}")


def entry_source_key(entry_id: int) -> str:
    return f"entry:{entry_id}"


@transaction.atomic
def index_entry(*, entry) -> list[int]:  # noqa: ANN001 - a qa AnswerEntry
    """Index an answered question: its question prefixed to its answer, in its space."""
    _lock()
    _ensure_stats()
    owner = entry.owner
    rows = [
        _Row(
            passage=passage,
            title=entry.question[:300],
            space_id=entry.space_id,
            page_id=None,
            url=reverse("qa:entry-detail", kwargs={"entry_id": entry.pk}),
            owner_label=(owner.get_full_name() or owner.get_username()) if owner else "",
            source_updated_at=entry.verified_at,
            contact_ids=(owner.pk,) if owner else (),
            entry_id=entry.pk,
        )
        for passage in fit_passages(
            prefix=entry.question, text=entry.answer, counter=token_counter()
        )
    ]
    return _write_source(kind=Chunk.Kind.ENTRY, source_key=entry_source_key(entry.pk), rows=rows)
