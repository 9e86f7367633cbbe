"""Saving page text: append-only revisions, three-way merges, section edits, restores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.services import record_audit_event
from wiki.errors import ConflictError, PageDeletedError, WikiError
from wiki.hooks import announce_pages_changed
from wiki.merge import merge_texts
from wiki.models import (
    Page,
    Revision,
    Role,
)
from wiki.rendering import (
    replace_section,
)
from wiki.selectors.access import require_space_role
from wiki.selectors.pages import SEARCH_COLUMNS
from wiki.selectors.rendering import render_body
from wiki.services.indexing import _index, _sync_links, _toc_entries
from wiki.services.validation import _normalise


@dataclass(frozen=True)
class PublishResult:
    """The outcome of a save: ``saved``, ``merged`` (with a notice) or ``unchanged``."""

    status: Literal["saved", "merged", "unchanged"]
    revision: Revision
    notice: str = ""

    @property
    def created(self) -> bool:
        return self.status != "unchanged"


def _append_revision(
    *,
    page: Page,
    author: AbstractBaseUser,
    body: str,
    summary: str,
    base_revision: Revision | None,
    merged: bool = False,
) -> Revision:
    """Insert the next revision of a locked page, point the page at it, refresh caches."""
    rendered, targets = render_body(space=page.space, body=body, viewer=author)
    last = Revision.objects.filter(page=page).aggregate(last=Max("number"))["last"] or 0
    revision = Revision.objects.create(
        page=page,
        number=last + 1,
        body=body,
        summary=summary[:300],
        author=author,
        base_revision=base_revision,
        merged=merged,
        rendered_html=rendered.html,
        toc=_toc_entries(rendered),
    )
    page.current_revision = revision
    page.updated_at = revision.created_at
    _sync_links(page, rendered.links, targets)
    _index(page, body, revision=revision)
    announce_pages_changed([page.pk])
    from wiki.tasks import notify_watchers_task

    transaction.on_commit(lambda: notify_watchers_task.delay(revision.pk))
    return revision


@transaction.atomic
def publish_revision(
    *,
    page: Page,
    author: AbstractBaseUser,
    body: str,
    base_revision: Revision | None,
    summary: str = "",
) -> PublishResult:
    """Save a new text of ``page`` that the author started from ``base_revision``.

    - base is the current revision: saved as is (or ``unchanged`` if the text is the same);
    - base is older and the changes do not overlap newer ones: merged three-way and saved
      with a notice;
    - they overlap: ``ConflictError`` with both texts and the merge; nothing is saved.
    """
    require_space_role(author, page.space, Role.EDITOR)
    body = _normalise(body)
    # The row lock serialises concurrent saves of one page: each sees the previous one.
    locked = (
        Page.objects.select_for_update(of=("self",))
        .select_related("space")
        .defer(*SEARCH_COLUMNS)
        .get(pk=page.pk)
    )
    if locked.is_deleted:
        raise PageDeletedError(_("This page is in the trash; restore it before editing."))
    current = (
        Revision.objects.get(pk=locked.current_revision_id) if locked.current_revision_id else None
    )
    if base_revision is not None and base_revision.page_id != page.pk:
        raise WikiError(_("The base revision belongs to another page."))
    if current is None:
        revision = _append_revision(
            page=locked, author=author, body=body, summary=summary, base_revision=None
        )
        return _published(page, locked, PublishResult("saved", revision))
    if base_revision is None or base_revision.pk == current.pk:
        if body == current.body:
            return _published(page, locked, PublishResult("unchanged", current))
        revision = _append_revision(
            page=locked, author=author, body=body, summary=summary, base_revision=current
        )
        return _published(page, locked, PublishResult("saved", revision))
    merge = merge_texts(base=base_revision.body, ours=body, theirs=current.body)
    if not merge.clean or merge.text is None:
        raise ConflictError(merge=merge, current_revision=current, submitted=body)
    if merge.text == current.body:
        notice = _("Your changes were already in the current version; nothing new was saved.")
        return _published(page, locked, PublishResult("unchanged", current, notice))
    revision = _append_revision(
        page=locked,
        author=author,
        body=merge.text,
        summary=summary,
        base_revision=base_revision,
        merged=True,
    )
    notice = _(
        "The page changed while you were editing (revision %(number)d). Your changes did not "
        "overlap and were merged with it."
    ) % {"number": current.number}
    return _published(page, locked, PublishResult("merged", revision, notice))


def _published(page: Page, locked: Page, result: PublishResult) -> PublishResult:
    """Copy the locked row's new state onto the caller's instance."""
    page.current_revision = locked.current_revision
    page.updated_at = locked.updated_at
    return result


@transaction.atomic
def edit_section(
    *,
    page: Page,
    author: AbstractBaseUser,
    index: int,
    text: str,
    base_revision: Revision,
    summary: str = "",
) -> PublishResult:
    """Replace section ``index`` of ``base_revision``'s text and publish it (merging if stale).

    Raises ``wiki.rendering.SectionNotFoundError`` when the base has no such section.
    """
    body = replace_section(base_revision.body, index, _normalise(text))
    return publish_revision(
        page=page, author=author, body=body, base_revision=base_revision, summary=summary
    )


@transaction.atomic
def restore_revision(*, page: Page, revision: Revision, by: AbstractBaseUser) -> Revision:
    """Make an old revision's text current again, as a new revision (history is kept)."""
    require_space_role(by, page.space, Role.EDITOR)
    if revision.page_id != page.pk:
        raise WikiError(_("That revision belongs to another page."))
    locked = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
    if locked.is_deleted:
        raise PageDeletedError(_("This page is in the trash; restore it before editing."))
    new = _append_revision(
        page=locked,
        author=by,
        body=revision.body,
        summary=_("Restored revision %(number)d") % {"number": revision.number},
        base_revision=locked.current_revision,
    )
    page.current_revision = new
    record_audit_event(
        actor=by,
        action="page.revision_restored",
        target=page,
        scope=page.space.audit_scope,
        details={"restored_number": revision.number, "new_number": new.number},
    )
    return new
