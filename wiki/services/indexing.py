"""Keeping a page's link rows, search columns and cached rendering in step with its text."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models.functions import Lower

from core.cjk import cjk_bigrams
from wiki.models import (
    SEARCH_CONFIG,
    Page,
    PageLink,
    Revision,
    Space,
)
from wiki.rendering import (
    RenderedMarkdown,
    WikiLink,
)
from wiki.selectors.rendering import render_body


def _sync_links(page: Page, links: Sequence[WikiLink], targets: dict) -> None:
    """Replace the page's outgoing link rows with those of its current text."""
    PageLink.objects.filter(from_page=page).delete()
    seen: set[tuple[str, str]] = set()
    rows = []
    for link in links:
        key = (link.space_key or page.space.key, link.title.lower())
        if key in seen:
            continue
        seen.add(key)
        target = targets.get(key)
        rows.append(
            PageLink(from_page=page, to_page=target, to_space_key=key[0], to_title=link.title)
        )
    PageLink.objects.bulk_create(rows)


def _index(page: Page, body: str, *, revision: Revision | None = None) -> None:
    """Refresh the page's search columns from its title and current text.

    With ``revision``, the page's new current revision, the same UPDATE points the page at
    it: every UPDATE writes a new row version and an entry in each of the table's indexes
    (its GIN indexes too), and a save made two of them.
    """
    page.search_text = f"{page.title}\n{body}"
    pointer = [None, None] if revision is None else [revision.pk, revision.created_at]
    # The title's vector is computed once: stored as it is, and weighted A in the page's.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wiki_page SET current_revision_id = COALESCE(%s, current_revision_id), "
            "updated_at = COALESCE(%s, updated_at), search_text = %s, title_vector = t.vector, "
            "search_vector = setweight(t.vector, 'A') "
            "|| setweight(to_tsvector(%s::regconfig, %s), 'B') "
            "FROM (SELECT to_tsvector(%s::regconfig, %s) AS vector) AS t WHERE id = %s",
            [
                *pointer,
                page.search_text,
                SEARCH_CONFIG,
                cjk_bigrams(body),
                SEARCH_CONFIG,
                cjk_bigrams(page.title),
                page.pk,
            ],
        )


def _toc_entries(rendered: RenderedMarkdown) -> list[dict]:
    """The table of contents as JSON, each heading with the section index that edits it.

    Stored with the revision so that viewing a page never parses Markdown; headings that
    start no section (inside a list or a quote) carry no index.
    """
    sections = [section for section in rendered.sections if section.index]
    entries, cursor = [], 0
    for heading in rendered.toc:
        entry = dataclasses.asdict(heading)
        for position in range(cursor, len(sections)):
            if sections[position].title == heading.text:
                entry["section"] = sections[position].index
                cursor = position + 1
                break
        entries.append(entry)
    return entries


def _refresh_current_rendering(pages: Iterable[Page]) -> None:
    """Re-render the cached HTML of the pages' current revisions after a link target changed.

    Creating, renaming or trashing a page turns links to it blue or red; the revisions'
    text does not change, only the cache of how it renders.
    """
    for page in pages:
        revision = page.current_revision
        if revision is None:
            continue
        rendered, targets = render_body(
            space=page.space, body=revision.body, viewer=revision.author
        )
        revision.rendered_html = rendered.html
        revision.toc = _toc_entries(rendered)
        revision.save(update_fields=["rendered_html", "toc"])
        _sync_links(page, rendered.links, targets)


def _pages_linking_to(space: Space, titles: Iterable[str]) -> list[Page]:
    lowered = {title.lower() for title in titles}
    return list(
        Page.objects.filter(
            deleted_at__isnull=True,
            outgoing_links__to_space_key=space.key,
        )
        .annotate(link_title_lower=Lower("outgoing_links__to_title"))
        .filter(link_title_lower__in=lowered)
        .select_related("space", "current_revision")
        .distinct()
    )


def rerender_pages_linking_to(*, space_id: int, titles: Sequence[str]) -> int:
    """Re-render the pages that link to ``titles`` in a space; returns how many.

    Run on the worker after a page is created, renamed, trashed or restored: the links to
    it turn blue or red. Safe to run twice (it writes the same HTML again).
    """
    space = Space.objects.filter(pk=space_id).first()
    if space is None:
        return 0
    pages = _pages_linking_to(space, titles)
    _refresh_current_rendering(pages)
    return len(pages)


def rerender_pages(*, page_ids: Sequence[int]) -> int:
    """Re-render the current revisions of ``page_ids`` (pages that link into a moved subtree)."""
    pages = list(
        Page.objects.filter(pk__in=page_ids, deleted_at__isnull=True).select_related(
            "space", "current_revision", "current_revision__author"
        )
    )
    _refresh_current_rendering(pages)
    return len(pages)


def schedule_rerender_linking_to(space: Space, titles: Iterable[str]) -> None:
    """After the transaction commits, have a worker re-render what links to ``titles``."""
    from wiki.tasks import rerender_pages_linking_to_task

    space_id, wanted = space.pk, sorted(set(titles))
    transaction.on_commit(lambda: rerender_pages_linking_to_task.delay(space_id, wanted))


def schedule_rerender_pages(page_ids: Iterable[int]) -> None:
    """After the transaction commits, have a worker re-render ``page_ids``."""
    from wiki.tasks import rerender_pages_task

    wanted = sorted(set(page_ids))
    if wanted:
        transaction.on_commit(lambda: rerender_pages_task.delay(wanted))
