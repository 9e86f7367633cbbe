"""Reads for the wiki, each scoped to what the asking user may read.

Access rules, in one place:
- a public space is readable by every signed-in user;
- a private space only by users with a role in it, directly or through a team;
- editing needs the editor role, settings and the audit log the admin role.
A user who may not read an object gets Http404, never 403, so private spaces do not even
reveal that they exist. Every list and search applies the same filter inside its SQL query.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import OperationalError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.models import AuditEvent
from wiki.models import (
    ROLE_RANK,
    SEARCH_CONFIG,
    Attachment,
    Comment,
    EditingPresence,
    Notification,
    Page,
    PageLink,
    PageRedirect,
    PageTemplate,
    Revision,
    Role,
    Space,
    SpaceRole,
    Watch,
)
from wiki.text import cjk_bigrams, has_cjk

PRESENCE_SECONDS = 30


def _roles_of(user: AbstractBaseUser) -> QuerySet[SpaceRole]:
    """Role rows that apply to ``user``: their own and their teams'."""
    return SpaceRole.objects.filter(Q(user=user) | Q(team__memberships__user=user))


def readable_spaces_q(user: AbstractBaseUser, prefix: str = "") -> Q:
    """A filter for spaces ``user`` may read; it matches nothing for anonymous users.

    ``prefix`` is the lookup path to the space, e.g. ``"space__"`` when filtering pages.
    """
    if not user.is_authenticated:
        return Q(pk__in=[])
    if prefix not in ("", "space__"):
        raise ValueError(f"unsupported prefix {prefix!r}")
    space_ref = OuterRef("space_id" if prefix else "pk")
    has_role = Exists(_roles_of(user).filter(space=space_ref))
    return Q(**{f"{prefix}is_private": False}) | Q(has_role)


def list_spaces(*, user: AbstractBaseUser) -> QuerySet[Space]:
    """Spaces the user may read, by name, with their team."""
    return Space.objects.filter(readable_spaces_q(user)).select_related("team").order_by("name")


def get_space_for_user(*, user: AbstractBaseUser, key: str) -> Space:
    """The space with ``key`` if the user may read it, else 404."""
    space = list_spaces(user=user).filter(key=key).first()
    if space is None:
        raise Http404("No such space.")
    return space


def get_space_role(*, user: AbstractBaseUser, space: Space) -> str | None:
    """The user's strongest role in ``space`` (reader at least in a public space), or None."""
    if not user.is_authenticated:
        return None
    roles = set(_roles_of(user).filter(space=space).values_list("role", flat=True))
    if not space.is_private:
        roles.add(Role.READER)
    if not roles:
        return None
    return max(roles, key=lambda role: ROLE_RANK[Role(role)])


def has_space_role(*, user: AbstractBaseUser, space: Space, role: str) -> bool:
    """Whether the user holds ``role`` or a stronger one in ``space``."""
    actual = get_space_role(user=user, space=space)
    return actual is not None and ROLE_RANK[Role(actual)] >= ROLE_RANK[Role(role)]


def can_verify_page(
    *,
    user: AbstractBaseUser,
    page: Page,
    role: str | None = "",
    owner_ids: set[int] | None = None,
) -> bool:
    """Owners who can still read the space, and space admins, may mark a page verified.

    A view that already knows the user's ``role`` (None: no role) and the page's
    ``owner_ids`` passes them to save two queries.
    """
    if role == "":
        role = get_space_role(user=user, space=page.space)
    if role is None:
        return False
    if owner_ids is None:
        owner_ids = set(page.owners.values_list("pk", flat=True))
    return user.pk in owner_ids or role == Role.ADMIN


def readable_pages(*, user: AbstractBaseUser, include_deleted: bool = False) -> QuerySet[Page]:
    """Pages in spaces the user may read; trash only when asked for."""
    pages = Page.objects.filter(readable_spaces_q(user, prefix="space__"))
    if not include_deleted:
        pages = pages.filter(deleted_at__isnull=True)
    return pages


def _page_queryset(user: AbstractBaseUser, include_deleted: bool) -> QuerySet[Page]:
    # The search columns are large and only the search reads them.
    return (
        readable_pages(user=user, include_deleted=include_deleted)
        .select_related(
            "space", "parent", "current_revision", "current_revision__author", "verified_by"
        )
        .defer("search_vector", "search_text")
    )


def get_page_for_user(
    *, user: AbstractBaseUser, space_key: str, path: str, include_deleted: bool = False
) -> Page:
    """The live page at ``path`` in space ``space_key`` if the user may read it, else 404.

    With ``include_deleted`` a page in the trash is found too (the newest one at that path).
    """
    pages = _page_queryset(user, include_deleted).filter(space__key=space_key, path=path)
    page = pages.order_by(F("deleted_at").desc(nulls_first=True)).first()
    if page is None:
        raise Http404("No such page.")
    return page


def get_page_by_id_for_user(
    *, user: AbstractBaseUser, page_id: int, include_deleted: bool = False
) -> Page:
    """The page with ``page_id`` if the user may read it, else 404."""
    page = _page_queryset(user, include_deleted).filter(pk=page_id).first()
    if page is None:
        raise Http404("No such page.")
    return page


def find_redirect_for_user(*, user: AbstractBaseUser, space_key: str, path: str) -> Page | None:
    """The live page that used to live at ``path``, if there is one the user may read."""
    redirect = (
        PageRedirect.objects.filter(
            space__key=space_key,
            old_path=path,
            page__in=readable_pages(user=user),
        )
        .select_related("page__space")
        .first()
    )
    return redirect.page if redirect is not None else None


def get_revision_for_user(*, user: AbstractBaseUser, page: Page, number: int) -> Revision:
    """Revision ``number`` of a page the caller already got through a getter, else 404."""
    revision = (
        Revision.objects.filter(page=page, number=number, page__in=readable_pages(user=user))
        .select_related("author", "page")
        .first()
    )
    if revision is None:
        raise Http404("No such revision.")
    return revision


def get_attachment_for_user(*, user: AbstractBaseUser, attachment_id: int) -> Attachment:
    """An attachment of a live page the user may read, else 404."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id, page__in=readable_pages(user=user))
        .select_related("page__space")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def get_template_for_user(
    *, user: AbstractBaseUser, template_id: int, space: Space | None = None
) -> PageTemplate:
    """A template of ``space`` (or a global one) the user may read, else 404."""
    templates = PageTemplate.objects.filter(
        Q(space__isnull=True) | Q(space__in=list_spaces(user=user))
    )
    if space is not None:
        templates = templates.filter(Q(space__isnull=True) | Q(space=space))
    template = templates.filter(pk=template_id).first()
    if template is None:
        raise Http404("No such template.")
    return template


def list_templates(*, space: Space) -> QuerySet[PageTemplate]:
    """Templates offered when creating a page in ``space``: its own and the global ones."""
    return PageTemplate.objects.filter(Q(space=space) | Q(space__isnull=True)).order_by("name")


def list_pages(
    *, user: AbstractBaseUser, space: Space | None = None, tag: str | None = None
) -> QuerySet[Page]:
    """Live pages the user may read, optionally in one space or with one tag."""
    pages = readable_pages(user=user).select_related("space", "current_revision__author")
    if space is not None:
        pages = pages.filter(space=space)
    if tag:
        pages = pages.filter(tags__name=tag)
    return pages.prefetch_related("tags").order_by("path")


def list_child_pages(*, space: Space, parent: Page | None) -> QuerySet[Page]:
    """Live pages directly under ``parent`` (None: the top level), by title, with how many
    live children each has, for a page tree that opens one level at a time."""
    live_children = Count("children", filter=Q(children__deleted_at__isnull=True))
    return (
        Page.objects.filter(space=space, parent=parent, deleted_at__isnull=True)
        .only("id", "title", "path", "parent_id", "space_id")
        .annotate(child_count=live_children)
        .order_by(Lower("title"), "id")
    )


def list_ancestors(*, page: Page) -> list[Page]:
    """The page's ancestors from the root down (a few queries at most, trees are shallow)."""
    if not page.path or "/" not in page.path:
        return []
    prefixes = []
    parts = page.path.split("/")
    for end in range(1, len(parts)):
        prefixes.append("/".join(parts[:end]))
    ancestors = Page.objects.filter(space_id=page.space_id, path__in=prefixes, deleted_at=None)
    return sorted(ancestors, key=lambda ancestor: len(ancestor.path))


def list_revisions(*, page: Page) -> QuerySet[Revision]:
    """A page's revisions, newest first, without their bodies."""
    return (
        Revision.objects.filter(page=page)
        .select_related("author")
        .defer("body", "rendered_html", "toc")
        .order_by("-number")
    )


# Large TOAST columns only the search reads; lists of pages leave them out (fetching them
# for a page's 99 children took 8 ms of a 25 ms page view).
SEARCH_COLUMNS = ("search_vector", "title_vector", "search_text")


def list_backlinks(*, user: AbstractBaseUser, page: Page) -> QuerySet[Page]:
    """Live pages the user may read that link to ``page``."""
    linking = PageLink.objects.filter(to_page=page).values("from_page_id")
    return (
        readable_pages(user=user)
        .filter(pk__in=linking)
        .exclude(pk=page.pk)
        .select_related("space")
        .defer(*SEARCH_COLUMNS)
        .order_by("title")
    )


def list_children(*, page: Page) -> QuerySet[Page]:
    """The live child pages of ``page`` (readable wherever ``page`` is), by title."""
    return page.children.filter(deleted_at__isnull=True).defer(*SEARCH_COLUMNS).order_by("title")


def list_comments(*, page: Page) -> QuerySet[Comment]:
    return Comment.objects.filter(page=page).select_related("author").order_by("created_at")


def list_attachments(*, page: Page) -> QuerySet[Attachment]:
    return Attachment.objects.filter(page=page).select_related("uploaded_by").order_by("name")


def list_trash(*, space: Space) -> QuerySet[Page]:
    """Pages of a space in the trash, most recently deleted first."""
    return (
        Page.objects.filter(space=space, deleted_at__isnull=False)
        .select_related("deleted_by", "space")
        .order_by("-deleted_at")
    )


def is_watching(
    *, user: AbstractBaseUser, page: Page | None = None, space: Space | None = None
) -> bool:
    """Whether the user watches the page (or the space)."""
    if page is not None:
        return Watch.objects.filter(user=user, page=page).exists()
    return Watch.objects.filter(user=user, space=space).exists()


def list_notifications(*, user: AbstractBaseUser) -> QuerySet[Notification]:
    """The user's notifications on pages they can still read, newest first."""
    return (
        Notification.objects.filter(user=user, page__in=readable_pages(user=user))
        .select_related("page__space", "actor", "revision", "comment")
        .order_by("-created_at", "-id")
    )


def count_unread_notifications(*, user: AbstractBaseUser) -> int:
    return list_notifications(user=user).filter(read_at__isnull=True).count()


def list_editors_present(
    *, page: Page, exclude: AbstractBaseUser | None = None
) -> list[AbstractBaseUser]:
    """Users who had the page's editor open within the last ``PRESENCE_SECONDS``."""
    since = timezone.now() - timedelta(seconds=PRESENCE_SECONDS)
    rows = EditingPresence.objects.filter(page=page, seen_at__gte=since).select_related("user")
    if exclude is not None:
        rows = rows.exclude(user=exclude)
    return [row.user for row in rows.order_by("user__username")]


def list_stale_pages(
    *,
    user: AbstractBaseUser,
    space: Space | None = None,
    owner: AbstractBaseUser | None = None,
    today: date | None = None,
) -> QuerySet[Page]:
    """Live, readable pages whose review-by date has passed, oldest first.

    Filter by ``space`` for the space's list and by ``owner`` for "my pages to review".
    """
    today = today or timezone.localdate()
    pages = readable_pages(user=user).filter(review_by__lte=today)
    if space is not None:
        pages = pages.filter(space=space)
    if owner is not None:
        pages = pages.filter(owners=owner)
    return (
        pages.select_related("space", "verified_by")
        .prefetch_related("owners")
        .order_by("review_by", "title")
    )


def list_owned_pages(*, user: AbstractBaseUser, owner: AbstractBaseUser) -> QuerySet[Page]:
    """Live pages ``owner`` owns that ``user`` may read (a handover lists these)."""
    return (
        readable_pages(user=user)
        .filter(owners=owner)
        .select_related("space")
        .defer("search_vector", "title_vector", "search_text")
        .order_by("space__name", "path")
    )


def list_space_audit_events(*, space: Space) -> QuerySet[AuditEvent]:
    """The space's audit log, newest first; only admins reach it (views check the role)."""
    return AuditEvent.objects.filter(scope=space.audit_scope).select_related("actor")


def list_space_roles(*, space: Space) -> QuerySet[SpaceRole]:
    return SpaceRole.objects.filter(space=space).select_related("user", "team").order_by("id")


# --- Search -----------------------------------------------------------------------------------

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
