"""Reads of pages: access-checked getters, moved-page redirects, lists, tree and links."""

from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.fields import ArrayField
from django.db.models import BooleanField, CharField, Count, F, JSONField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from core.compiled_queries import CompiledQuery
from wiki.models import (
    Page,
    PageLink,
    PageRedirect,
    Space,
)
from wiki.selectors.access import (
    readable_pages,
    readable_pages_with_roles,
    readable_spaces_q,
)
from wiki.selectors.ownership import with_staleness

# Large TOAST columns only the search reads; lists of pages leave them out (fetching them
# for a page's 99 children took 8 ms of a 25 ms page view).
SEARCH_COLUMNS = ("search_vector", "title_vector", "search_text")


# What a link to a page needs: the page view's ancestors, backlinks and up to ~100 children
# are links, and turning every column of each row into Python cost more than the query.
LINK_COLUMNS = ("id", "space_id", "title", "path")


def _page_queryset(
    user: AbstractBaseUser,
    include_deleted: bool,
    view_state: bool = False,
    today: date | None = None,
) -> QuerySet[Page]:
    # The search columns are large and only the search reads them: the page's and its
    # parent's (the parent came with its whole text and vectors to every page view).
    if view_state and user.is_authenticated:
        pages = readable_pages_with_roles(user=user, include_deleted=include_deleted)
        # The page view shows no parent (its ancestors come by path): 0.3 ms less to build.
        return (
            _with_view_state(with_staleness(pages, today=today), user)
            .select_related("space", "current_revision__author", "verified_by")
            .defer(*SEARCH_COLUMNS)
        )
    # A signed-in user's lookup carries their roles in the page's space (``viewer_roles``),
    # so that a view's role check needs no query of its own (``get_space_access``).
    readable = readable_pages_with_roles if user.is_authenticated else readable_pages
    pages = with_staleness(readable(user=user, include_deleted=include_deleted), today=today)
    return pages.select_related(
        "space", "parent", "current_revision", "current_revision__author", "verified_by"
    ).defer(*SEARCH_COLUMNS, *(f"parent__{column}" for column in SEARCH_COLUMNS))


def _with_view_state(pages: QuerySet[Page], user: AbstractBaseUser) -> QuerySet[Page]:
    """Annotate what the page view would otherwise ask in a query each.

    ``pages`` come from ``readable_pages_with_roles``, so they carry ``viewer_roles``, the
    user's role rows in the page's space (``get_space_access`` reads them). Added here:

    - ``viewer_watching``: whether the user watches the page;
    - ``tag_names``: the page's tags, by name;
    - ``owner_rows``: its owners, by username, as [id, username, first name, last name];
    - ``ancestor_rows`` and ``child_rows``: [title, path] of what ``list_ancestors`` and
      ``list_children`` list, in their order;
    - ``backlink_rows``: [title, path, space id, space key] of the live pages linking
      here, by title, before ``readable_backlinks`` drops those of spaces the user may
      not read;
    - ``has_attachments``, ``has_comments``: most pages have none, and then their lists
      are not queried at all.

    Each query cost 0.5-0.9 ms, mostly Python building and reading it, and so did each
    ORM subquery in its place (``Exists`` of a queryset: 0.3-0.4 ms to resolve and
    compile). Those that read no access rule are fixed SQL (``_VIEW_STATE_SQL``), which
    costs nothing to build; PostgreSQL runs each in microseconds on its index. The roles
    stay the ORM's, built by ``access``, the one home of the access rule.
    """
    sql, boolean = _VIEW_STATE_SQL, BooleanField()
    # Fixed SQL with bound parameters only (the user's id), hence the noqa.
    return pages.annotate(
        viewer_watching=RawSQL(sql["watching"], [user.pk], output_field=boolean),  # noqa: S611
        tag_names=RawSQL(sql["tags"], [], output_field=ArrayField(CharField())),  # noqa: S611
        owner_rows=RawSQL(sql["owners"], [], output_field=JSONField()),  # noqa: S611
        has_attachments=RawSQL(sql["attachments"], [], output_field=boolean),  # noqa: S611
        has_comments=RawSQL(sql["comments"], [], output_field=boolean),  # noqa: S611
        ancestor_rows=RawSQL(sql["ancestors"], [], output_field=JSONField()),  # noqa: S611
        child_rows=RawSQL(sql["children"], [], output_field=JSONField()),  # noqa: S611
        backlink_rows=RawSQL(sql["backlinks"], [], output_field=JSONField()),  # noqa: S611
    )


# The fixed subqueries of _with_view_state, on the outer query's wiki_page (a page
# lookup's base table, never aliased). Their parameters are bound, never formatted in.
_VIEW_STATE_SQL = {
    "watching": "EXISTS (SELECT 1 FROM wiki_watch w WHERE w.page_id = wiki_page.id "
    "AND w.user_id = %s)",
    "tags": "ARRAY(SELECT t.name FROM wiki_tag t JOIN wiki_page_tags pt ON pt.tag_id = t.id "
    "WHERE pt.page_id = wiki_page.id ORDER BY t.name)",
    "owners": "COALESCE((SELECT jsonb_agg(jsonb_build_array(u.id, u.username, u.first_name, "
    "u.last_name) ORDER BY u.username) FROM auth_user u JOIN wiki_page_owners po "
    "ON po.user_id = u.id WHERE po.page_id = wiki_page.id), '[]'::jsonb)",
    "attachments": "EXISTS (SELECT 1 FROM wiki_attachment a WHERE a.page_id = wiki_page.id)",
    "comments": "EXISTS (SELECT 1 FROM wiki_comment c WHERE c.page_id = wiki_page.id)",
    # list_ancestors: the live pages of the space at each prefix of the path, root first.
    "ancestors": "COALESCE((SELECT jsonb_agg(jsonb_build_array(a.title, a.path) "
    "ORDER BY length(a.path)) FROM wiki_page a WHERE a.space_id = wiki_page.space_id "
    "AND a.deleted_at IS NULL AND a.path = ANY(ARRAY(SELECT array_to_string(s.parts[1:n], '/') "
    "FROM (SELECT string_to_array(wiki_page.path, '/') AS parts) s, "
    "generate_series(1, cardinality(s.parts) - 1) n))), '[]'::jsonb)",
    # list_backlinks before its check of other spaces: live pages linking here, by title.
    "backlinks": "COALESCE((SELECT jsonb_agg(jsonb_build_array(b.title, b.path, b.space_id, "
    "bs.key) ORDER BY b.title) FROM wiki_page b JOIN wiki_space bs ON bs.id = b.space_id "
    "WHERE b.id IN (SELECT l.from_page_id FROM wiki_pagelink l WHERE l.to_page_id = wiki_page.id) "
    "AND b.deleted_at IS NULL AND b.id <> wiki_page.id), '[]'::jsonb)",
    # list_children: the live child pages, by title.
    "children": "COALESCE((SELECT jsonb_agg(jsonb_build_array(c.title, c.path) "
    "ORDER BY c.title) FROM wiki_page c WHERE c.parent_id = wiki_page.id "
    "AND c.deleted_at IS NULL), '[]'::jsonb)",
}


def _found(page: Page | None, user: AbstractBaseUser, view_state: bool) -> Page:
    if page is None:
        raise Http404("No such page.")
    if user.is_authenticated:
        # Whose roles and view state it carries, so that get_space_access never takes them
        # for another user's.
        page.viewer_pk = user.pk
    if view_state and user.is_authenticated:
        user_model = get_user_model()
        page.owner_list = [
            user_model(pk=pk, username=username, first_name=first, last_name=last)
            for pk, username, first, last in page.owner_rows
        ]
    return page


def _pages_at(
    user: AbstractBaseUser,
    space_key: str,
    path: str,
    *,
    include_deleted: bool,
    view_state: bool,
    today: date | None = None,
) -> QuerySet[Page]:
    """The lookup of ``get_page_for_user``: the page at ``path``, live ones first."""
    pages = _page_queryset(user, include_deleted, view_state, today).filter(
        space__key=space_key, path=path
    )
    return pages.order_by(F("deleted_at").desc(nulls_first=True))[:1]


def _page_with_id(
    user: AbstractBaseUser,
    page_id: int,
    *,
    include_deleted: bool,
    view_state: bool,
    today: date | None = None,
) -> QuerySet[Page]:
    """The lookup of ``get_page_by_id_for_user``, as ``.first()`` orders it."""
    pages = _page_queryset(user, include_deleted, view_state, today).filter(pk=page_id)
    return (pages if pages.ordered else pages.order_by("pk"))[:1]


def _compiled_lookup(by_id: bool, include_deleted: bool, view_state: bool) -> CompiledQuery[Page]:
    """A page lookup for a signed-in user, compiled once per process (see the markers)."""
    lookup = _page_with_id if by_id else _pages_at

    def build(user_pk: int, today: date, **where: object) -> QuerySet[Page]:
        # A user row holding only the id: the lookup reads nothing else of the user.
        user = get_user_model()(pk=user_pk)
        return lookup(
            user, **where, include_deleted=include_deleted, view_state=view_state, today=today
        )

    where = (
        {"page_id": -2_147_000_002}
        if by_id
        else {"space_key": "\x00key\x00", "path": "\x00path\x00"}
    )
    return CompiledQuery(build, user_pk=-2_147_000_001, today=date(1, 1, 1), **where)


# The page lookups of signed-in users, by (by id, include_deleted, view_state), compiled
# once per process: building and compiling their annotations, access subqueries and joins
# cost the ORM 2.5-5 ms of Python a request; PostgreSQL runs each in ~0.3 ms. Each marker
# is a value no other parameter of the query has (see core.compiled_queries).
_LOOKUPS = {
    (by_id, include_deleted, view_state): _compiled_lookup(by_id, include_deleted, view_state)
    for by_id in (False, True)
    for include_deleted in (False, True)
    for view_state in (False, True)
}


def get_page_for_user(
    *,
    user: AbstractBaseUser,
    space_key: str,
    path: str,
    include_deleted: bool = False,
    view_state: bool = False,
) -> Page:
    """The live page at ``path`` in space ``space_key`` if the user may read it, else 404.

    With ``include_deleted`` a page in the trash is found too (the newest one at that path).
    A signed-in user's page carries their roles in its space (``get_space_access`` reads
    them). With ``view_state`` the page also carries the user's roles and watch, its tags, owners,
    ancestors and children and whether it has attachments and comments, in the same query
    (``_with_view_state``).
    """
    if user.is_authenticated and isinstance(space_key, str) and isinstance(path, str):
        lookup = _LOOKUPS[(False, bool(include_deleted), bool(view_state))]
        page = lookup.first(
            user_pk=user.pk, today=timezone.localdate(), space_key=space_key, path=path
        )
    else:
        pages = _pages_at(
            user, space_key, path, include_deleted=include_deleted, view_state=view_state
        )
        page = pages.first()
    return _found(page, user, view_state)


def get_page_by_id_for_user(
    *, user: AbstractBaseUser, page_id: int, include_deleted: bool = False, view_state: bool = False
) -> Page:
    """The page with ``page_id`` if the user may read it, else 404 (``view_state``: as above)."""
    if user.is_authenticated and type(page_id) is int:
        lookup = _LOOKUPS[(True, bool(include_deleted), bool(view_state))]
        page = lookup.first(user_pk=user.pk, today=timezone.localdate(), page_id=page_id)
    else:
        pages = _page_with_id(user, page_id, include_deleted=include_deleted, view_state=view_state)
        page = pages.first()
    return _found(page, user, view_state)


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


@dataclass(frozen=True)
class PageLookup:
    """The page found at an address; ``moved`` when it lives elsewhere now (a redirect)."""

    page: Page
    moved: bool


def resolve_page_for_user(
    *, user: AbstractBaseUser, space_key: str, path: str, view_state: bool = False
) -> PageLookup:
    """The live page at ``path``, or the page that moved away from there; else 404.

    The one place a moved page's old address is resolved: HTML views redirect a GET (and
    let a POST reach the page, so nothing typed is lost), the API answers 301.
    ``view_state`` is passed to ``get_page_for_user``.
    """
    try:
        page = get_page_for_user(user=user, space_key=space_key, path=path, view_state=view_state)
        return PageLookup(page=page, moved=False)
    except Http404:
        moved = find_redirect_for_user(user=user, space_key=space_key, path=path)
        if moved is None:
            raise
        page = get_page_by_id_for_user(user=user, page_id=moved.pk, view_state=view_state)
        return PageLookup(page=page, moved=True)


def list_pages(
    *,
    user: AbstractBaseUser,
    space: Space | None = None,
    tag: str | None = None,
    parent: int | Literal["root"] | None = None,
    owner_username: str | None = None,
    stale: bool | None = None,
) -> QuerySet[Page]:
    """Live pages the user may read, filtered by what is given.

    ``space``, ``tag``; ``parent`` a page id or ``"root"`` (top-level pages only);
    ``owner_username`` pages that user owns; ``stale`` True or False on ``is_stale``.
    """
    pages = readable_pages(user=user).select_related("space", "current_revision__author")
    if space is not None:
        pages = pages.filter(space=space)
    if tag:
        pages = pages.filter(tags__name=tag)
    if parent == "root":
        pages = pages.filter(parent__isnull=True)
    elif parent is not None:
        pages = pages.filter(parent_id=parent)
    if owner_username:
        pages = pages.filter(owners__username=owner_username)
    if stale is not None:
        pages = with_staleness(pages).filter(is_stale=stale)
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


def _ancestor_paths(page: Page) -> list[str]:
    if not page.path or "/" not in page.path:
        return []
    parts = page.path.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def list_ancestors(*, page: Page) -> list[Page]:
    """The page's ancestors from the root down (a few queries at most, trees are shallow)."""
    prefixes = _ancestor_paths(page)
    if not prefixes:
        return []
    ancestors = Page.objects.filter(
        space_id=page.space_id, path__in=prefixes, deleted_at=None
    ).only(*LINK_COLUMNS)
    return sorted(ancestors, key=lambda ancestor: len(ancestor.path))


def list_backlinks(*, user: AbstractBaseUser, page: Page) -> list[Page]:
    """Live pages the user may read that link to ``page``, by title.

    ``page`` is one the user got through an access-checked getter, so the pages of its own
    space need no check; only pages of other spaces are checked, in a second query that
    runs when there are some (the readability subquery cost more to build than to run).
    """
    linking = PageLink.objects.filter(to_page=page).values("from_page_id")
    sources = list(
        Page.objects.filter(pk__in=linking, deleted_at__isnull=True)
        .exclude(pk=page.pk)
        .select_related("space")
        .only(*LINK_COLUMNS, "space__key")
        .order_by("title")
    )
    readable = _readable_foreign_spaces(user, page, {source.space_id for source in sources})
    return [source for source in sources if source.space_id in readable]


def readable_backlinks(*, user: AbstractBaseUser, page: Page) -> list[tuple[str, str, str]]:
    """``list_backlinks`` of a page looked up with its view state, as (title, path, space
    key): the same pages in the same order, with no query unless other spaces link here."""
    rows = page.backlink_rows
    readable = _readable_foreign_spaces(user, page, {space_id for _t, _p, space_id, _k in rows})
    return [(title, path, key) for title, path, space_id, key in rows if space_id in readable]


def _readable_foreign_spaces(user: AbstractBaseUser, page: Page, space_ids: set[int]) -> set[int]:
    """Those of ``space_ids`` the user may read: ``page``'s own without a query (the user
    got it through an access-checked getter), the others in one query when there are some
    (the readability subquery cost more to build than to run)."""
    readable = {page.space_id}
    foreign = space_ids - readable
    if foreign:
        spaces = Space.objects.filter(readable_spaces_q(user), pk__in=foreign)
        readable.update(spaces.values_list("pk", flat=True))
    return readable


def list_children(*, page: Page) -> QuerySet[Page]:
    """The live child pages of ``page`` (readable wherever ``page`` is), by title."""
    children = page.children.filter(deleted_at__isnull=True)
    return children.only(*LINK_COLUMNS, "parent_id").order_by("title")


def list_trash(*, space: Space) -> QuerySet[Page]:
    """Pages of a space in the trash, most recently deleted first."""
    return (
        Page.objects.filter(space=space, deleted_at__isnull=False)
        .select_related("deleted_by", "space")
        .order_by("-deleted_at")
    )
