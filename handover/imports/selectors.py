"""Reads of imported exports, each limited to what the user may see.

Imported messages are visible to the owner of the import only: not to staff,
managers or teammates. The one place that decides it is
:func:`_owned_by`; every getter and the search apply it inside the same SQL
query, so a missing filter fails closed (nothing found, 404). The consent
and handover workflow will widen this filter, here and nowhere else, to the
conversations a departing owner agreed to hand over.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from handover.models import SEARCH_CONFIG, Conversation, Message, Source, Thread
from handover.search_text import cjk_runs, split_query

SEARCH_CANDIDATES = 2000

# Markers ts_headline puts around matches; control characters never typed in a query.
_START, _STOP = "\x02", "\x03"


def _owned_by(user: AbstractBaseUser | AnonymousUser, owner_path: str) -> Q:
    """The visibility rule: rows whose owner (at ``owner_path``) is the user; nothing otherwise."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(**{owner_path: user.pk})


# --- Sources -----------------------------------------------------------------------------------


def list_sources_for_user(*, user: AbstractBaseUser) -> QuerySet[Source]:
    """The user's own imports, newest first."""
    return Source.objects.filter(_owned_by(user, "owner_id")).select_related("owner")


def get_source_for_user(*, source_id: int, user: AbstractBaseUser) -> Source:
    """One of the user's imports, else 404."""
    source = list_sources_for_user(user=user).filter(pk=source_id).first()
    if source is None:
        raise Http404("No such import.")
    return source


def report_conversations(source: Source) -> Iterator[dict[str, Any]]:
    """The report's per-conversation counts as rows sorted by name, for display."""
    conversations = (source.report or {}).get("conversations", {})
    for key, entry in sorted(conversations.items(), key=lambda item: str(item[1].get("name"))):
        yield {"key": key, **entry}


# --- Conversations and threads -----------------------------------------------------------------


def list_conversations_for_user(*, user: AbstractBaseUser) -> QuerySet[Conversation]:
    """The user's imported conversations with message counts and their time span."""
    return (
        Conversation.objects.filter(_owned_by(user, "owner_id"))
        .annotate(
            message_count=Count("messages"),
            first_at=Min("messages__sent_at"),
            last_at=Max("messages__sent_at"),
        )
        .order_by("platform", "name", "id")
    )


def get_conversation_for_user(*, conversation_id: int, user: AbstractBaseUser) -> Conversation:
    """One of the user's conversations, else 404."""
    conversation = Conversation.objects.filter(
        _owned_by(user, "owner_id"), pk=conversation_id
    ).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


@dataclass(frozen=True)
class ThreadSummary:
    """A thread as listed in its conversation: its root message and reply count."""

    thread: Thread
    root: Message | None
    reply_count: int
    last_at: Any


def list_threads(
    *, conversation: Conversation, offset: int = 0, limit: int = 50
) -> list[ThreadSummary]:
    """Threads of a conversation (already access-checked), newest activity first, one page."""
    threads = list(
        Thread.objects.filter(conversation=conversation)
        .annotate(
            message_count=Count("messages"),
            first_at=Min("messages__sent_at"),
            last_at=Max("messages__sent_at"),
        )
        .order_by("-last_at", "-id")[offset : offset + limit]
    )
    roots: dict[tuple[int, str], Message] = {}
    if threads:
        for message in Message.objects.filter(
            conversation=conversation, external_id__in=[t.root_key for t in threads]
        ).select_related("author"):
            roots[(message.thread_id, message.external_id)] = message
    summaries = []
    for thread in threads:
        root = roots.get((thread.pk, thread.root_key))
        replies = thread.message_count - (1 if root is not None else 0)
        summaries.append(ThreadSummary(thread, root, replies, thread.last_at))
    return summaries


def count_threads(*, conversation: Conversation) -> int:
    """How many threads a conversation (already access-checked) has."""
    return Thread.objects.filter(conversation=conversation).count()


def page_threads(
    *, conversation: Conversation, page_number: object, per_page: int = 50
) -> tuple[Page, list[ThreadSummary]]:
    """One page of a conversation's threads: the paginator's page and its summaries.

    ``page_number`` is what the request said (any text); an invalid or
    out-of-range number gives the nearest real page, as ``Paginator.get_page`` does.
    """
    paginator = Paginator(range(count_threads(conversation=conversation)), per_page)
    page = paginator.get_page(page_number)
    threads = list_threads(
        conversation=conversation, offset=(page.number - 1) * per_page, limit=per_page
    )
    return page, threads


def get_thread_for_user(*, thread_id: int, user: AbstractBaseUser) -> Thread:
    """One thread of the user's conversations with its messages and authors, else 404."""
    thread = (
        Thread.objects.filter(_owned_by(user, "conversation__owner_id"), pk=thread_id)
        .select_related("conversation")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").order_by("sent_at", "id"),
            )
        )
        .first()
    )
    if thread is None:
        raise Http404("No such thread.")
    return thread


# --- Search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageHit:
    """One search result: the message, and its snippet with matches in <mark>."""

    message: Message
    snippet: SafeString


def _search_query(query: str) -> SearchQuery | None:
    words, cjk = split_query(query)
    parts = []
    if words:
        parts.append(SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG))
    if cjk:
        parts.append(SearchQuery(cjk, search_type="plain", config=SEARCH_CONFIG))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part
    return combined


def _marked(text: str) -> SafeString:
    """Escape a ts_headline result and turn its markers into <mark> elements."""
    escaped = str(escape(text))
    return mark_safe(  # noqa: S308 - everything but our own markers was escaped above
        escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def _cjk_snippet(text: str, runs: list[str], width: int = 60) -> SafeString:
    """A window of ``text`` around the first CJK run found, with every run marked."""
    position = min((text.find(run) for run in runs if run in text), default=-1)
    start = max(0, position - width // 2) if position >= 0 else 0
    window = text[start : start + width * 2]
    for run in sorted(set(runs), key=len, reverse=True):
        window = window.replace(run, f"{_START}{run}{_STOP}")
    prefix = "…" if start else ""
    suffix = "…" if start + width * 2 < len(text) else ""
    return _marked(prefix + window + suffix)


def search_messages(
    *,
    user: AbstractBaseUser,
    query: str,
    conversation: Conversation | None = None,
    limit: int = 50,
) -> list[MessageHit]:
    """The user's messages matching ``query``, best first, with highlighted snippets.

    Words use PostgreSQL's web-search syntax ("quoted phrases", -excluded, or);
    CJK runs must all appear. The owner filter is part of the same query.
    """
    search = _search_query(query.strip()[:500])
    if search is None:
        return []
    matching = Message.objects.filter(
        _owned_by(user, "conversation__owner_id"), search_vector=search
    )
    if conversation is not None:
        matching = matching.filter(conversation=conversation)
    # Ranking reads every matching row; a common word in a million messages would take
    # seconds. Rank at most SEARCH_CANDIDATES matches (all of them for any but the most
    # common words). The owner filter stays inside this one query.
    candidates = matching.values("pk")[:SEARCH_CANDIDATES]
    messages = (
        Message.objects.filter(pk__in=candidates)
        .select_related("author", "conversation", "thread")
        .annotate(rank=SearchRank("search_vector", search))
        .order_by("-rank", "-sent_at", "-id")
    )
    runs = cjk_runs(query)
    if not runs:
        messages = messages.annotate(
            headline=SearchHeadline(
                "text",
                search,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_fragments=2,
                max_words=30,
                min_words=10,
            )
        )
    hits = []
    for message in messages[:limit]:
        if runs:
            snippet = _cjk_snippet(message.text or message.subject, runs)
        else:
            snippet = _marked(message.headline or message.subject)
        hits.append(MessageHit(message=message, snippet=snippet))
    return hits
