"""Hybrid retrieval: vector and keyword candidates, each found by one SQL query with the
access filter inside it, fused by reciprocal rank fusion.

The access filter (``_visible_sql``) is the one place that decides which chunks a person
may be answered from: a page chunk while its page is live, in the space the chunk was
indexed under, and that space is readable to them (the wiki's own rule,
``readable_spaces_q``); a thread chunk while it is searchable (not withdrawn), its consent
is for Q&A and has not expired, and its space is readable to them; an answered question
(an entry) or a document a plugin offered while its space is readable to them. Anything
else, and
any chunk for an anonymous person, is left out: it fails closed.

Keyword ranking is BM25 over the postings the indexer keeps (term frequencies, document
lengths, document frequencies), computed by one aggregate query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from qa.embeddings import vector_literal
from qa.keywords import terms_of_question
from qa.models import Chunk, EmbeddingIndex
from wiki.models import Space
from wiki.selectors.access import readable_spaces_q

# Vectors the index is asked for per wanted chunk, before the access filter: chunks a person
# may not read take places, so the index looks this many times further (an iterative scan
# goes past ``hnsw.ef_search`` as far as needed).
NEAR_FACTOR = 10
CANDIDATES = 100
BM25_K1 = 1.2
BM25_B = 0.75


class Audience(StrEnum):
    """Who will read an answer, and so what it may be drawn from.

    ``asker``: the asker alone (web chat, REST, a direct message, an assistant), so what
    they may read. ``everyone``: a public chat channel or a group chat, where people
    who are not Tacit users or not members of a space read along, so only what every
    signed-in Tacit user may read: spaces that are not private, under the same rules.
    """

    ASKER = "asker"
    EVERYONE = "everyone"


def _visible_sql(
    user: AbstractBaseUser, audience: Audience = Audience.ASKER
) -> tuple[str, list] | None:
    """The access filter on chunk alias ``c`` as SQL and parameters; None: nothing visible."""
    if not user.is_authenticated:
        return None
    audience = Audience(audience)
    spaces = Space.objects.filter(readable_spaces_q(user))
    if audience is Audience.EVERYONE:
        spaces = spaces.filter(is_private=False)
    spaces_sql, spaces_params = spaces.order_by().values("id").query.sql_with_params()
    sql = (
        # The spaces subquery is Django's own compilation of the wiki's rule; values are params.
        f"c.searchable AND c.space_id IN ({spaces_sql}) "  # noqa: S608
        "AND ((c.kind = 'page' AND EXISTS (SELECT 1 FROM wiki_page p WHERE p.id = c.page_id "
        "AND p.deleted_at IS NULL AND p.space_id = c.space_id)) "
        "OR (c.kind = 'thread' AND c.purpose = %s "
        "AND (c.expires_at IS NULL OR c.expires_at > now())) "
        "OR c.kind = 'entry' OR c.kind = 'plugin')"
    )
    return sql, [*spaces_params, Chunk.QA_PURPOSE]


def active_index() -> EmbeddingIndex | None:
    return EmbeddingIndex.objects.filter(status=EmbeddingIndex.Status.ACTIVE).first()


def dense_candidates(
    *,
    user: AbstractBaseUser,
    vector,
    index: EmbeddingIndex,
    limit: int = CANDIDATES,
    audience: Audience = Audience.ASKER,
) -> list[tuple[int, float]]:
    """(chunk id, cosine distance) of the nearest chunks ``user`` may read, nearest first.

    The HNSW index is searched with ``hnsw.ef_search`` at least ``limit`` (so recall does
    not drop below what was asked for) and an iterative scan, so chunks the filter removes
    do not leave the list short.
    """
    visible = _visible_sql(user, audience)
    if visible is None:
        return []
    filter_sql, params = visible
    dimension = int(index.dimension)
    literal = vector_literal(vector)
    ef_search = max(int(settings.QA_HNSW_EF_SEARCH), limit)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
        cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")
        cursor.execute(f"SET LOCAL hnsw.max_scan_tuples = {max(20_000, limit * NEAR_FACTOR * 4)}")
        cursor.execute(
            # Integers and the filter above only; the index's predicate must be a literal.
            # The nearest vectors come from the HNSW index alone (the inner query: a join
            # lets the planner prefer an exact scan of every vector), then the access
            # filter keeps those the person may read, in the same statement.
            f"SELECT near.chunk_id, near.distance FROM ("  # noqa: S608
            f"SELECT e.chunk_id, e.content_sha256, "
            f"e.embedding::vector({dimension}) <=> %s::vector({dimension}) AS distance "
            f"FROM qa_chunkembedding e WHERE e.index_id = {int(index.pk)} "
            f"ORDER BY distance LIMIT %s) AS near "
            f"JOIN qa_chunk c ON c.id = near.chunk_id AND c.content_sha256 = near.content_sha256 "
            f"WHERE {filter_sql} ORDER BY near.distance LIMIT %s",
            [literal, limit * NEAR_FACTOR, *params, limit],
        )
        return [(chunk_id, float(distance)) for chunk_id, distance in cursor.fetchall()]


def _bm25_sql(*, filter_sql: str, rows: str) -> str:
    """The BM25 query: ``rows`` ends the scoring of the postings (after ``q JOIN qa_posting
    p``); the scored chunks are then joined as ``c`` and kept where ``filter_sql`` holds."""
    return (
        # Only fixed SQL and the callers' fixed fragments; every value is a parameter.
        "WITH q AS (SELECT id, document_frequency AS df FROM qa_term WHERE text = ANY(%s)), "  # noqa: S608
        "s AS (SELECT GREATEST(chunks, 1)::float8 AS n, "
        "GREATEST(total_length::float8 / GREATEST(chunks, 1), 1) AS avgdl "
        "FROM qa_corpusstats), "
        "scored AS (SELECT p.chunk_id, SUM(ln(1 + (s.n - q.df + 0.5) / (q.df + 0.5)) "
        "* p.frequency * (%s + 1) "
        "/ (p.frequency + %s * (1 - %s + %s * p.chunk_length / s.avgdl))) AS score "
        f"FROM q JOIN qa_posting p ON p.term_id = q.id CROSS JOIN s {rows}) "
        "SELECT scored.chunk_id, scored.score FROM scored "
        f"JOIN qa_chunk c ON c.id = scored.chunk_id WHERE {filter_sql} "
        "ORDER BY scored.score DESC, scored.chunk_id LIMIT %s"
    )


# Keyword matches scored before the access filter, per wanted chunk: when at least
# ``limit`` of the best ``limit * KEYWORD_FACTOR`` are readable they are exactly the best
# readable ones, else the query runs again over every match.
KEYWORD_FACTOR = 10


def keyword_candidates(
    *,
    user: AbstractBaseUser,
    terms: list[str],
    limit: int = CANDIDATES,
    audience: Audience = Audience.ASKER,
) -> list[tuple[int, float]]:
    """(chunk id, BM25 score) of the best keyword matches ``user`` may read, best first.

    Scores come from the postings alone (each carries its chunk's length). The best
    ``limit * KEYWORD_FACTOR`` matches are then joined with their chunks under the access
    filter; a common term matches tens of thousands of chunks, and reading each of them
    cost most of the query. If fewer than ``limit`` of those are readable and there were
    more matches, the same query runs over all of them: the answer is the same either way.
    """
    visible = _visible_sql(user, audience)
    if visible is None or not terms:
        return []
    filter_sql, params = visible
    bm25 = [terms, BM25_K1, BM25_K1, BM25_B, BM25_B]
    wider = limit * KEYWORD_FACTOR
    with connection.cursor() as cursor:
        cursor.execute(
            _bm25_sql(
                filter_sql=filter_sql,
                rows="GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT %s",
            ),
            [*bm25, wider, *params, limit],
        )
        found = cursor.fetchall()
        if len(found) < limit:
            # Were there more matches than were scored? (Postings, not chunks: a chunk with
            # two of the terms counts twice, which at worst runs the full query for nothing.)
            cursor.execute(
                "SELECT count(*) > %s FROM (SELECT 1 FROM qa_posting p "
                "JOIN qa_term t ON t.id = p.term_id WHERE t.text = ANY(%s) LIMIT %s) AS m",
                [wider, terms, wider + 1],
            )
            if cursor.fetchone()[0]:
                cursor.execute(
                    _bm25_sql(filter_sql=filter_sql, rows="GROUP BY p.chunk_id"),
                    [*bm25, *params, limit],
                )
                found = cursor.fetchall()
    return [(chunk_id, float(score)) for chunk_id, score in found]


@dataclass
class Candidate:
    """A chunk found by one or both retrievers, with its ranks (1-based) and fused score."""

    chunk_id: int
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_distance: float | None = None
    keyword_score: float | None = None
    score: float = 0.0
    sources: list[str] = field(default_factory=list)


def fuse(
    dense: list[tuple[int, float]], keyword: list[tuple[int, float]], *, k: int | None = None
) -> list[Candidate]:
    """Reciprocal rank fusion of the two lists: each chunk scores 1/(k + rank) per list
    (``k`` defaults to ``settings.QA_RRF_K``)."""
    k = int(settings.QA_RRF_K) if k is None else k
    found: dict[int, Candidate] = {}
    for rank, (chunk_id, distance) in enumerate(dense, start=1):
        candidate = found.setdefault(chunk_id, Candidate(chunk_id))
        candidate.dense_rank, candidate.dense_distance = rank, distance
        candidate.score += 1.0 / (k + rank)
    for rank, (chunk_id, score) in enumerate(keyword, start=1):
        candidate = found.setdefault(chunk_id, Candidate(chunk_id))
        candidate.keyword_rank, candidate.keyword_score = rank, score
        candidate.score += 1.0 / (k + rank)
    return sorted(found.values(), key=lambda c: (-c.score, c.chunk_id))


def embed_question(question: str, index: EmbeddingIndex):
    """The question's vector under ``index``'s model (the one query embedding a request
    makes)."""
    from qa.embeddings import embed_texts

    return embed_texts([question], batch_size=1, model_path=index.model_path)[0]


def search_chunks(
    *,
    user: AbstractBaseUser,
    question: str,
    mode: str = "hybrid",
    candidates: int = CANDIDATES,
    audience: Audience = Audience.ASKER,
) -> list[Candidate]:
    """Chunks ``user`` may read that answer ``question``, best first (for
    ``Audience.EVERYONE``, only those every signed-in user may read).

    ``mode`` is ``hybrid`` (both, fused), ``dense`` or ``keyword``. Without an active
    vector index (nothing embedded yet), hybrid falls back to keywords alone.
    """
    if mode not in ("hybrid", "dense", "keyword"):
        raise ValueError(f"unknown retrieval mode {mode!r}")
    if not user.is_authenticated or not question.strip():
        return []
    dense: list[tuple[int, float]] = []
    keyword: list[tuple[int, float]] = []
    if mode in ("hybrid", "dense"):
        index = active_index()
        if index is not None:
            vector = embed_question(question, index)
            dense = dense_candidates(
                user=user, vector=vector, index=index, limit=candidates, audience=audience
            )
    if mode in ("hybrid", "keyword"):
        keyword = keyword_candidates(
            user=user, terms=terms_of_question(question), limit=candidates, audience=audience
        )
    return fuse(dense, keyword)
