"""Full-text and substring search over the pages a user may read, with snippets."""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.cjk import cjk_bigrams, has_cjk
from wiki.models import (
    SEARCH_CONFIG,
    Page,
    Space,
)
from wiki.selectors.access import readable_pages

_MARK_START = "\x02"


_MARK_STOP = "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One page found by a search, with a highlighted snippet that is safe HTML."""

    page: Page
    rank: float
    snippet: SafeString


def _highlight(text: str) -> SafeString:
    """Escape a ts_headline result, then turn its private markers into <mark> tags."""
    escaped = escape(text.replace("\n", " "))
    return mark_safe(  # noqa: S308 - escaped above; only our own tags are added
        escaped.replace(_MARK_START, "<mark>").replace(_MARK_STOP, "</mark>")
    )


def _substring_snippet(text: str, terms: list[str], width: int = 80) -> SafeString:
    """A window of ``text`` around the first term, each term wrapped in <mark>."""
    lowered = text.lower()
    positions = [lowered.find(term.lower()) for term in terms if term]
    positions = [position for position in positions if position >= 0]
    start = max(min(positions) - width, 0) if positions else 0
    window = text[start : start + 2 * width + 40].replace("\n", " ")
    escaped = escape(window)
    for term in sorted({escape(term) for term in terms if term}, key=len, reverse=True):
        escaped = re.sub(
            re.escape(term), lambda m: f"<mark>{m.group(0)}</mark>", escaped, flags=re.I
        )
    prefix = "… " if start > 0 else ""
    return mark_safe(prefix + escaped)  # noqa: S308 - escaped above; only <mark> is added


# How many of the most recently updated text matches are ranked, beside every title match.
# Ranking reads each candidate's tsvector, so this bounds the work a very common word costs.
RANK_CANDIDATES = 100


# A substring scan without a trigram index reads every page's text; it gets this long.
SUBSTRING_TIMEOUT_MS = 250


def _terms(query: str) -> list[str]:
    return [term for term in re.split(r"\s+", query.replace('"', " ")) if term]


def search_pages(
    *,
    user: AbstractBaseUser,
    query: str,
    space: Space | None = None,
    tag: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """Ranked full-text search over live pages the user may read.

    The query uses websearch syntax ("quoted phrases", -excluded, or). Chinese runs are
    cut into bigrams to match how pages are indexed. Every page whose title matches is
    ranked, plus the ``RANK_CANDIDATES`` most recently updated pages whose text matches
    (a word found on thousands of pages would otherwise make every search read thousands
    of vectors). When the full-text query finds nothing, an ILIKE substring match is tried,
    so fragments of words and single Chinese characters still find something.

    The permission filter is part of the same SQL query as the match: a page the user
    cannot read is never a candidate.
    """
    query = query.strip()
    if not query:
        return []
    candidates = readable_pages(user=user)
    if space is not None:
        candidates = candidates.filter(space=space)
    if tag:
        candidates = candidates.filter(tags__name=tag)

    search_query = SearchQuery(cjk_bigrams(query), search_type="websearch", config=SEARCH_CONFIG)
    by_title = candidates.filter(title_vector=search_query).values("pk")[:RANK_CANDIDATES]
    recent = (
        candidates.filter(search_vector=search_query)
        .order_by("-updated_at")
        .values("pk")[:RANK_CANDIDATES]
    )
    ranked_query = (
        candidates.filter(Q(pk__in=by_title) | Q(pk__in=recent))
        .select_related("space", "current_revision__author")
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .defer("search_vector", "title_vector", "search_text")
        .order_by("-rank", "title")[:limit]
    )
    with transaction.atomic():
        # The vectors live in TOAST, which the planner does not cost: without this it may
        # choose to scan and decompress every page instead of using the GIN indexes. Plain
        # index scans have the same flaw (walking the space index and unpacking each vector
        # took 68 ms of a 96 ms query on 10,000 pages); bitmap scans over GIN stay allowed.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
        ranked = list(ranked_query)
    if ranked:
        if has_cjk(query):
            # ts_headline cannot see inside unsegmented Chinese; mark the substrings instead.
            texts = dict(
                Page.objects.filter(pk__in=[p.pk for p in ranked]).values_list("pk", "search_text")
            )
            return [
                SearchHit(
                    page=p, rank=p.rank, snippet=_substring_snippet(texts[p.pk], _terms(query))
                )
                for p in ranked
            ]
        headlines = _headlines(ranked, query)
        return [
            SearchHit(page=page, rank=page.rank, snippet=_highlight(headlines.get(page.pk, "")))
            for page in ranked
        ]
    return _search_substrings(candidates, _terms(query), limit)


def _search_substrings(candidates: QuerySet[Page], terms: list[str], limit: int) -> list[SearchHit]:
    """Pages whose title or text contains every term, titles first.

    Without a trigram index the text scan reads every page, so it runs under a statement
    timeout; past it, only titles are searched (they are short and in the main table).
    """
    if not terms:
        return []

    def matching(field: str) -> list[Page]:
        condition = Q()
        for term in terms:
            condition &= Q(**{f"{field}__icontains": term})
        return list(
            candidates.filter(condition)
            .select_related("space", "current_revision__author")
            .defer("search_vector", "title_vector")
            .annotate(title_hit=Q(title__icontains=terms[0]))
            .order_by("-title_hit", Lower("title"))[:limit]
        )

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {SUBSTRING_TIMEOUT_MS}")
            matches = matching("search_text")
    except OperationalError:
        matches = matching("title")
    return [
        SearchHit(page=page, rank=0.0, snippet=_substring_snippet(page.search_text, terms))
        for page in matches
    ]


# ts_headline parses the whole text it is given; a window around the first match is enough.
_WINDOW_BEFORE = 300


_WINDOW_AFTER = 700


def _headlines(pages: list[Page], query: str) -> dict[int, str]:
    """ts_headline snippets for the few pages already ranked, in two small queries.

    Rather than parse each whole page, cut a window around the first word that starts with
    one of the query's lexemes (English stems are nearly always prefixes of the words they
    came from) and let ts_headline pick and mark the fragment inside it.
    """
    prepared = cjk_bigrams(query)
    texts = dict(
        Page.objects.filter(pk__in=[page.pk for page in pages]).values_list("pk", "search_text")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(array_agg(lexeme), '{}') FROM "
            "unnest(tsvector_to_array(to_tsvector(%s::regconfig, %s))) AS lexeme",
            [SEARCH_CONFIG, prepared],
        )
        lexemes = [lexeme for lexeme in cursor.fetchone()[0] if lexeme]
        alternatives = "|".join(map(re.escape, lexemes))
        # A whole word first ("build"), else a word the stem begins ("happi" in "happier").
        patterns = (
            [
                re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE),
                re.compile(rf"\b(?:{alternatives})", re.IGNORECASE),
            ]
            if lexemes
            else []
        )
        windows = []
        for page in pages:
            text = texts.get(page.pk, "")
            match = next(filter(None, (pattern.search(text) for pattern in patterns)), None)
            start = max((match.start() if match else 0) - _WINDOW_BEFORE, 0)
            windows.append(text[start : start + _WINDOW_BEFORE + _WINDOW_AFTER])
        options = (
            f"StartSel={_MARK_START}, StopSel={_MARK_STOP}, "
            "MaxWords=35, MinWords=15, MaxFragments=2"
        )
        cursor.execute(
            "SELECT ts_headline(%s::regconfig, window_text, "
            "websearch_to_tsquery(%s::regconfig, %s), %s) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(window_text, position) "
            "ORDER BY position",
            [SEARCH_CONFIG, SEARCH_CONFIG, prepared, options, windows],
        )
        headlines = [row[0] for row in cursor.fetchall()]
    return {page.pk: headline for page, headline in zip(pages, headlines, strict=True)}
