"""Hard deletion of pages, for withdrawals of consented content and nothing else.

Everything else in the wiki keeps history: trashing a page can be undone and revisions
are only ever appended. ``purge_pages`` is the one exception. It exists so that content
published under a consent that was later withdrawn leaves no copy behind; no other
feature should call it (trash pages with ``delete_page`` instead).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from core.services import record_audit_event
from wiki.errors import PageHasChildrenError
from wiki.hooks import announce_pages_changed
from wiki.models import Attachment, Page, Revision, Space
from wiki.services.indexing import schedule_rerender_linking_to


def _depth(page: Page) -> int:
    return page.path.count("/")


@transaction.atomic
def purge_pages(*, pages: Iterable[Page], reason: str) -> int:
    """Delete ``pages`` for good: every revision, attachment file, comment, redirect, link.

    For withdrawals of consented content only (see the module docstring); the caller
    authorises it. Children are never orphaned or silently moved: a page whose children
    (live or in the trash) are not purged with it raises ``PageHasChildrenError`` and
    nothing is deleted, so pass a whole tree. Search columns live on the page row and go
    with it; pages that linked here are re-rendered (their links turn red). One audit row
    per space records the page ids, how many revisions went and ``reason`` (a short code
    such as ``"consent_withdrawn"``), never the pages' text or titles.
    Returns how many pages were deleted.
    """
    page_ids = {page.pk for page in pages}
    if not page_ids:
        return 0
    locked = list(
        Page.objects.select_for_update(of=("self",))
        .filter(pk__in=page_ids)
        .select_related("space")
        .defer("search_vector", "title_vector", "search_text")
    )
    found = {page.pk for page in locked}
    if Page.objects.filter(parent_id__in=found).exclude(pk__in=found).exists():
        raise PageHasChildrenError(
            _("These pages have child pages that are not being purged with them.")
        )
    spaces: dict[int, Space] = {page.space_id: page.space for page in locked}
    titles: dict[int, list[str]] = {}
    per_space: dict[int, list[int]] = {}
    for page in locked:
        titles.setdefault(page.space_id, []).append(page.title)
        per_space.setdefault(page.space_id, []).append(page.pk)
    revisions = dict(
        Revision.objects.filter(page_id__in=found)
        .values("page__space_id")
        .annotate(n=Count("pk"))
        .values_list("page__space_id", "n")
    )
    files = [
        (attachment.file.storage, attachment.file.name)
        for attachment in Attachment.objects.filter(page_id__in=found).only("pk", "file")
    ]
    # The page points at its current revision (PROTECT) and revisions at their page:
    # unhook the pointer, then revisions, then pages deepest first (parent is PROTECT).
    Page.objects.filter(pk__in=found).update(current_revision=None)
    Revision.objects.filter(page_id__in=found).delete()
    for page in sorted(locked, key=_depth, reverse=True):
        Page.objects.filter(pk=page.pk).delete()
    announce_pages_changed(found)
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    for space_id, ids in per_space.items():
        space = spaces[space_id]
        schedule_rerender_linking_to(space, titles[space_id])
        record_audit_event(
            actor=None,
            action="page.purged",
            target=space,
            scope=space.audit_scope,
            details={
                "pages": sorted(ids),
                "revisions": revisions.get(space_id, 0),
                "reason": reason[:64],
            },
            personal=None,
        )
    return len(found)
