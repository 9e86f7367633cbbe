"""The page tree: rename, move, trash and undelete, with redirects and link updates."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from wiki.errors import InvalidMoveError, PageDeletedError, PageHasChildrenError
from wiki.hooks import announce_pages_changed
from wiki.models import (
    Page,
    PageLink,
    PageRedirect,
    Role,
)
from wiki.rendering import (
    rewrite_wikilinks,
)
from wiki.selectors.access import require_space_role
from wiki.services.indexing import (
    _index,
    schedule_rerender_linking_to,
    schedule_rerender_pages,
)
from wiki.services.revisions import _append_revision
from wiki.services.validation import _check_title_free, _free_path, _validate_title


def _relocate(page: Page, parent: Page | None, slug: str, path: str) -> None:
    """Give ``page`` a new parent/slug/path, carry its subtree along, keep old URLs working."""
    old_path = page.path
    moved = [page, *Page.objects.filter(space=page.space, path__startswith=f"{old_path}/")]
    new_paths = {}
    for each in moved:
        new_paths[each.pk] = path + each.path[len(old_path) :]
    for each in moved:
        PageRedirect.objects.update_or_create(
            space=page.space, old_path=each.path, defaults={"page": each}
        )
    # A path in use again belongs to its page, not to a redirect.
    PageRedirect.objects.filter(space=page.space, old_path__in=new_paths.values()).delete()
    # Children first would collide with nothing; parents first keep the prefix logic simple.
    for each in sorted(moved, key=lambda p: len(p.path)):
        each.path = new_paths[each.pk]
        if each.pk == page.pk:
            each.parent, each.slug = parent, slug
            each.save(update_fields=["parent", "slug", "path"])
        else:
            each.save(update_fields=["path"])
    page.parent, page.slug, page.path = parent, slug, path
    announce_pages_changed(each.pk for each in moved)
    # Old URLs redirect, but pages that link here should point at the new ones directly.
    schedule_rerender_pages(
        PageLink.objects.filter(to_page__in=[each.pk for each in moved]).values_list(
            "from_page_id", flat=True
        )
    )


@transaction.atomic
def rename_page(*, page: Page, by: AbstractBaseUser, new_title: str) -> Page:
    """Retitle a page; its URL follows, old URLs redirect, and [[links]] to it are rewritten.

    Each linking page gets a new revision by ``by`` whose only change is the link text.
    """
    require_space_role(by, page.space, Role.EDITOR)
    page = (
        Page.objects.select_for_update(of=("self",))
        .select_related("space", "parent")
        .get(pk=page.pk)
    )
    if page.is_deleted:
        raise PageDeletedError(_("This page is in the trash; restore it before renaming."))
    new_title = _validate_title(new_title)
    old_title = page.title
    if new_title == old_title:
        return page
    _check_title_free(page.space, new_title, exclude=page)
    # Who links here must be known before the title changes: re-rendering after it would
    # no longer match [[Old title]] to this page.
    linking = list(
        Page.objects.filter(
            deleted_at__isnull=True,
            pk__in=PageLink.objects.filter(to_page=page).values("from_page_id"),
        )
        .select_related("space", "current_revision")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    page.title = new_title
    page.save(update_fields=["title"])
    slug, path = _free_path(page.space, page.parent, new_title, exclude=page)
    if path != page.path:
        _relocate(page, page.parent, slug, path)
    body = page.current_revision.body if page.current_revision_id else ""
    _index(page, body)
    announce_pages_changed([page.pk])
    for source in linking:
        # A page that links to itself was renamed above; reload what may have changed.
        source.refresh_from_db(fields=["current_revision", "title", "slug", "path"])
        current = source.current_revision
        if current is None:
            continue
        rewritten = rewrite_wikilinks(
            current.body,
            old_title=old_title,
            new_title=new_title,
            space_key=page.space.key,
            in_same_space=source.space_id == page.space_id,
        )
        if rewritten != current.body:
            _append_revision(
                page=source,
                author=by,
                body=rewritten,
                summary=_("Updated links: “%(old)s” was renamed “%(new)s”")
                % {"old": old_title, "new": new_title},
                base_revision=current,
            )
    # Pages whose red links named the new title now link here; the rest re-render.
    schedule_rerender_linking_to(page.space, [new_title, old_title])
    record_audit_event(
        actor=by,
        action="page.renamed",
        target=page,
        scope=page.space.audit_scope,
        personal={"old_title": old_title, "new_title": new_title},
    )
    return page


@transaction.atomic
def move_page(*, page: Page, by: AbstractBaseUser, new_parent: Page | None) -> Page:
    """Put a page (with its subtree) under ``new_parent`` (None: top level) in its space."""
    require_space_role(by, page.space, Role.EDITOR)
    page = (
        Page.objects.select_for_update(of=("self",))
        .select_related("space", "parent")
        .get(pk=page.pk)
    )
    if page.is_deleted:
        raise PageDeletedError(_("This page is in the trash; restore it before moving."))
    if new_parent is not None:
        if new_parent.space_id != page.space_id or new_parent.is_deleted:
            raise InvalidMoveError(_("The new parent must be a live page of the same space."))
        if new_parent.pk == page.pk or new_parent.path.startswith(f"{page.path}/"):
            raise InvalidMoveError(_("A page cannot move under itself or one of its children."))
    if (new_parent.pk if new_parent else None) == page.parent_id:
        return page
    slug, path = _free_path(page.space, new_parent, page.title, exclude=page)
    old_path = page.path
    _relocate(page, new_parent, slug, path)
    record_audit_event(
        actor=by,
        action="page.moved",
        target=page,
        scope=page.space.audit_scope,
        personal={"old_path": old_path, "new_path": path},
    )
    return page


@transaction.atomic
def delete_page(*, page: Page, by: AbstractBaseUser) -> Page:
    """Move a page to its space's trash; links to it turn red. It can be undeleted."""
    require_space_role(by, page.space, Role.EDITOR)
    page = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
    if page.is_deleted:
        return page
    if Page.objects.filter(parent=page, deleted_at__isnull=True).exists():
        raise PageHasChildrenError(_("This page has child pages; move or delete them first."))
    page.deleted_at = timezone.now()
    page.deleted_by = by
    page.save(update_fields=["deleted_at", "deleted_by"])
    announce_pages_changed([page.pk])
    schedule_rerender_linking_to(page.space, [page.title])
    record_audit_event(
        actor=by,
        action="page.deleted",
        target=page,
        scope=page.space.audit_scope,
        personal={"title": page.title, "path": page.path},
    )
    return page


@transaction.atomic
def undelete_page(*, page: Page, by: AbstractBaseUser) -> Page:
    """Bring a page back from the trash at its old place, if its title and path are free."""
    require_space_role(by, page.space, Role.EDITOR)
    page = (
        Page.objects.select_for_update(of=("self",))
        .select_related("space", "parent")
        .get(pk=page.pk)
    )
    if not page.is_deleted:
        return page
    if page.parent is not None and page.parent.is_deleted:
        raise InvalidMoveError(_("Its parent page is in the trash; restore the parent first."))
    _check_title_free(page.space, page.title, exclude=page)
    if Page.objects.filter(space=page.space, deleted_at__isnull=True, path=page.path).exists():
        slug, path = _free_path(page.space, page.parent, page.title, exclude=page)
        page.slug, page.path = slug, path
    page.deleted_at = None
    page.deleted_by = None
    page.save(update_fields=["deleted_at", "deleted_by", "slug", "path"])
    PageRedirect.objects.filter(space=page.space, old_path=page.path).delete()
    announce_pages_changed([page.pk])
    schedule_rerender_linking_to(page.space, [page.title])
    record_audit_event(
        actor=by,
        action="page.undeleted",
        target=page,
        scope=page.space.audit_scope,
        personal={"title": page.title, "path": page.path},
    )
    return page


_UNCHANGED = object()


@transaction.atomic
def move_and_rename_page(
    *,
    page: Page,
    by: AbstractBaseUser,
    new_parent: Page | None | object = _UNCHANGED,
    new_title: str | None = None,
) -> Page:
    """Move a page under ``new_parent`` and/or retitle it, both or neither.

    One form (and one API call) asks for both; leave ``new_parent`` out to keep the parent,
    ``new_title`` None to keep the title.
    """
    if new_parent is not _UNCHANGED:
        page = move_page(page=page, by=by, new_parent=new_parent)
    if new_title is not None:
        page = rename_page(page=page, by=by, new_title=new_title)
    return page
