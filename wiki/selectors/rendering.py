"""Rendering Markdown for a space and building page URLs (reads only)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models import Q
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _

from wiki.errors import TextTooLongError
from wiki.models import (
    Page,
    Space,
)
from wiki.rendering import (
    RenderedMarkdown,
    ResolvedLink,
    WikiLink,
    render_markdown,
)
from wiki.selectors.access import readable_spaces_q


def page_url(page: Page) -> str:
    return reverse("wiki:page-view", kwargs={"key": page.space.key, "path": page.path})


# reverse() quotes what it substitutes with these safe characters (RFC 3986's pchar).
_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


class PageHrefs:
    """``page_url`` for the many pages one view links to, one ``reverse`` per space.

    Each path is quoted into the space's address exactly as ``reverse`` quotes it. A page
    view links to its ancestors, children and backlinks; a ``{% url %}`` for each cost
    about 35 microseconds. One instance serves one request (the script prefix is per
    request).
    """

    def __init__(self) -> None:
        self._prefixes: dict[str, str] = {}

    def __call__(self, space_key: str, path: str) -> str:
        prefix = self._prefixes.get(space_key)
        if prefix is None:
            prefix = self._prefixes[space_key] = _prefix_before(
                reverse("wiki:page-view", kwargs={"key": space_key, "path": "0"}), "0/"
            )
        return f"{prefix}{quote(path, safe=_PATH_SAFE)}/"


def section_edit_hrefs(page: Page) -> Callable[[int], str]:
    """The address of the editor of each section of ``page``, from one ``reverse``."""
    probe = reverse(
        "wiki:section-edit", kwargs={"key": page.space.key, "path": page.path, "index": 0}
    )
    prefix = _prefix_before(probe, "0/edit/")
    return lambda index: f"{prefix}{int(index)}/edit/"


# The actions the page view links to, by the name its template uses.
PAGE_ACTIONS = {
    "edit": "wiki:page-edit",
    "history": "wiki:page-history",
    "move": "wiki:page-move",
    "settings": "wiki:page-settings",
    "verify": "wiki:page-verify",
    "delete": "wiki:page-delete",
    "upload": "wiki:attachment-upload",
}


def page_action_hrefs(page: Page, hrefs: PageHrefs) -> dict[str, str]:
    """The address of each of ``PAGE_ACTIONS`` for ``page``, as ``{% url %}`` gives it.

    Each is the page's own address (``hrefs``) and the action's tail, which ``reverse``
    gave once per process: the page view's seven ``{% url %}`` cost ~0.4 ms a view.
    """
    base = hrefs(page.space.key, page.path)
    return {name: f"{base}{tail}" for name, tail in _action_tails(get_script_prefix()).items()}


@lru_cache(maxsize=16)
def _action_tails(script_prefix: str) -> dict[str, str]:
    probe = {"key": "0", "path": "0"}
    page = reverse("wiki:page-view", kwargs=probe)
    tails = {}
    for name, url_name in PAGE_ACTIONS.items():
        url = reverse(url_name, kwargs=probe)
        if not url.startswith(page):
            raise ImproperlyConfigured(f"{url} no longer starts with {page}: update wiki.selectors")
        tails[name] = url[len(page) :]
    return tails


@receiver(setting_changed)
def _forget_action_tails(*, setting: str, **kwargs: object) -> None:
    if setting == "ROOT_URLCONF":
        _action_tails.cache_clear()


def _prefix_before(url: str, tail: str) -> str:
    if not url.endswith(tail):
        raise ImproperlyConfigured(f"{url} no longer ends with {tail}: update wiki.selectors")
    return url[: -len(tail)]


def new_page_url(space_key: str, title: str) -> str:
    from urllib.parse import urlencode

    base = reverse("wiki:page-create", kwargs={"key": space_key})
    return f"{base}?{urlencode({'title': title})}"


# A quick scan for [[...]] so that the pages a text links to are fetched in one query before
# rendering; the renderer's own parser stays the authority (anything this misses is looked up
# when the renderer asks for it).
_LINK_HINT_RE = re.compile(r"\[\[([^\[\]|\n]+)")


_SPACE_HINT_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*):(?=\S)(.+)$")


def _link_hints(space: Space, body: str) -> set[tuple[str, str]]:
    """(space key, lowercased title) pairs that ``body`` probably links to."""
    hints: set[tuple[str, str]] = set()
    for raw in _LINK_HINT_RE.findall(body):
        target = " ".join(raw.split())
        if not target:
            continue
        hints.add((space.key, target.lower()))
        prefixed = _SPACE_HINT_RE.match(target)
        if prefixed:
            hints.add((prefixed.group(1), prefixed.group(2).strip().lower()))
    return hints


def _lookup_targets(
    space: Space, wanted: set[tuple[str, str]], viewer: AbstractBaseUser | None
) -> dict[tuple[str, str], Page]:
    """Live pages for (space key, lowercased title) pairs, in one query.

    Pages of other spaces count only where ``viewer`` may read that space: otherwise a
    preview of ``[[secret:Title]]`` would tell anyone whether a private page exists.
    """
    if not wanted:
        return {}
    by_space: dict[str, set[str]] = {}
    for key, title in wanted:
        by_space.setdefault(key, set()).add(title)
    condition = Q()
    for key, titles in by_space.items():
        condition |= Q(space__key=key, title_lower__in=titles)
    visible = Q(space=space)
    if viewer is not None:
        visible |= readable_spaces_q(viewer, prefix="space__")
    pages = (
        Page.objects.filter(deleted_at__isnull=True)
        .filter(visible)
        .annotate(title_lower=Lower("title"))
        .filter(condition)
        .select_related("space")
    )
    return {(page.space.key, page.title.lower()): page for page in pages}


def render_body(
    *, space: Space, body: str, viewer: AbstractBaseUser | None
) -> tuple[RenderedMarkdown, dict[tuple[str, str], Page]]:
    """Render Markdown for a page in ``space``, resolving wikilinks to pages or red links.

    ``viewer`` is whose rights decide which other spaces' pages may show as existing: the
    author when a revision is saved, the requesting user for a preview. Returns the
    ``RenderedMarkdown`` and the pages its links resolved to.
    """
    _check_length(body)
    checked = _link_hints(space, body)
    targets = _lookup_targets(space, checked, viewer)

    def resolve(link: WikiLink) -> ResolvedLink:
        key = (link.space_key or space.key, link.title.lower())
        if key not in checked:
            checked.add(key)
            targets.update(_lookup_targets(space, {key}, viewer))
        target = targets.get(key)
        if target is not None:
            return ResolvedLink(url=page_url(target), exists=True)
        return ResolvedLink(url=new_page_url(key[0], link.title), exists=False)

    rendered = render_markdown(body, resolve_link=resolve)
    return rendered, targets


def _check_length(body: str) -> None:
    # Rendering, diffing and merging grow with the text; a cap keeps one request from
    # occupying a worker for seconds (pathological Markdown takes ~1 s per 100 KB).
    limit = settings.WIKI_PAGE_MAX_CHARS
    if len(body) > limit:
        raise TextTooLongError(
            _("The text is %(length)s characters long; the most a page may hold is %(limit)s.")
            % {"length": f"{len(body):,}", "limit": f"{limit:,}"}
        )
