"""Every write to the wiki, one keyword-only function per use case.

Each public function owns its transaction (nested calls join the caller's), checks that the
acting user holds the role the action needs (raising ``WikiPermissionError``, a Django
``PermissionDenied``, so views and the API answer 403), and schedules Celery work with
``transaction.on_commit``. Permission changes, deletions, restores and ownership changes
write an audit row in the same transaction, scoped to the space (``space:<id>``).

Errors a user can cause raise a subclass of ``WikiError`` with a message fit to show.
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Team
from core.services import record_audit_event
from wiki import selectors
from wiki.merge import MergeResult, merge_texts
from wiki.models import (
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
    Tag,
    Watch,
)
from wiki.rendering import (
    RenderedMarkdown,
    ResolvedLink,
    WikiLink,
    is_linkable_title,
    render_markdown,
    replace_section,
    rewrite_wikilinks,
    split_sections,
)
from wiki.text import RESERVED_SLUGS, cjk_bigrams, find_mentions, slug_for_title

User = get_user_model()

# A verified page with a review date is due again this many days later.
REVIEW_INTERVAL_DAYS = 90
MAX_TITLE_LENGTH = 200
MAX_COMMENT_LENGTH = 10_000
SPACE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# Sniffed types we accept; anything else (executables, archives we cannot vouch for) is refused.
ALLOWED_ATTACHMENT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


# --- Errors ------------------------------------------------------------------------------------


class WikiError(Exception):
    """A request the wiki refuses, with a message to show the user."""


class WikiPermissionError(PermissionDenied):
    """The user may read the object but lacks the role for this action."""


class InvalidTitleError(WikiError):
    pass


class PageTitleTakenError(WikiError):
    pass


class InvalidMoveError(WikiError):
    pass


class PageDeletedError(WikiError):
    pass


class PageHasChildrenError(WikiError):
    pass


class SpaceKeyError(WikiError):
    pass


class LastAdminError(WikiError):
    pass


class AttachmentError(WikiError):
    pass


class CommentError(WikiError):
    pass


class TextTooLongError(WikiError):
    """A page, template or comment is longer than settings.WIKI_PAGE_MAX_CHARS."""


class ConflictError(WikiError):
    """A stale edit whose changes overlap newer ones; nothing was saved.

    Carries both texts so the user can resolve: ``submitted`` (theirs, as typed),
    ``current_revision`` (what is saved now) and ``merge`` (with conflict markers).
    """

    def __init__(self, *, merge: MergeResult, current_revision: Revision, submitted: str) -> None:
        super().__init__(
            _(
                "Someone else changed the same lines since you started editing. "
                "Nothing was saved; resolve the conflict and save again."
            )
        )
        self.merge = merge
        self.current_revision = current_revision
        self.submitted = submitted


@dataclass(frozen=True)
class PublishResult:
    """The outcome of a save: ``saved``, ``merged`` (with a notice) or ``unchanged``."""

    status: Literal["saved", "merged", "unchanged"]
    revision: Revision
    notice: str = ""

    @property
    def created(self) -> bool:
        return self.status != "unchanged"


# --- Permission helpers ------------------------------------------------------------------------


def _require_role(user: AbstractBaseUser, space: Space, role: Role) -> None:
    if not selectors.has_space_role(user=user, space=space, role=role):
        raise WikiPermissionError(_("You need the %(role)s role in this space.") % {"role": role})


# --- Spaces and roles --------------------------------------------------------------------------


@transaction.atomic
def create_space(
    *,
    name: str,
    key: str,
    by: AbstractBaseUser,
    description: str = "",
    is_private: bool = True,
    team: Team | None = None,
) -> Space:
    """Create a space; its creator becomes admin and its team, when given, editor."""
    name = name.strip()
    key = key.strip().lower()
    if not name:
        raise WikiError(_("A space needs a name."))
    if not SPACE_KEY_RE.match(key):
        raise SpaceKeyError(
            _(
                "A space key uses lowercase letters, digits, - and _, "
                "and starts with a letter or digit."
            )
        )
    if Space.objects.filter(key=key).exists():
        raise SpaceKeyError(_("The key “%(key)s” is already used by another space.") % {"key": key})
    space = Space.objects.create(
        name=name,
        key=key,
        description=description,
        is_private=is_private,
        team=team,
        created_by=by,
    )
    SpaceRole.objects.create(space=space, user=by, role=Role.ADMIN)
    if team is not None:
        SpaceRole.objects.create(space=space, team=team, role=Role.EDITOR)
    record_audit_event(
        actor=by,
        action="space.created",
        target=space,
        scope=space.audit_scope,
        details={"key": key, "is_private": is_private, "team_id": team.pk if team else None},
    )
    return space


@transaction.atomic
def update_space(
    *, space: Space, by: AbstractBaseUser, name: str, description: str, is_private: bool
) -> Space:
    """Change a space's name, description and visibility (admins only)."""
    _require_role(by, space, Role.ADMIN)
    name = name.strip()
    if not name:
        raise WikiError(_("A space needs a name."))
    was_private = space.is_private
    space.name, space.description, space.is_private = name, description, is_private
    space.save(update_fields=["name", "description", "is_private"])
    if was_private != is_private:
        record_audit_event(
            actor=by,
            action="space.visibility_changed",
            target=space,
            scope=space.audit_scope,
            details={"is_private": is_private},
        )
    return space


@transaction.atomic
def set_space_role(
    *,
    space: Space,
    by: AbstractBaseUser,
    role: str | None,
    user: AbstractBaseUser | None = None,
    team: Team | None = None,
) -> SpaceRole | None:
    """Give ``user`` or ``team`` a role in the space, or remove it with ``role=None``.

    Only admins may do this, and a space always keeps at least one user admin.
    """
    _require_role(by, space, Role.ADMIN)
    if (user is None) == (team is None):
        raise WikiError(_("Choose a person or a team."))
    if role is not None and role not in Role.values:
        raise WikiError(_("Unknown role “%(role)s”.") % {"role": role})
    holder = {"user": user} if user is not None else {"team": team}
    # Lock the space's role rows so two admins demoting each other cannot both succeed.
    list(SpaceRole.objects.select_for_update().filter(space=space))
    existing = SpaceRole.objects.filter(space=space, **holder).first()
    demoting_admin = (
        user is not None
        and existing is not None
        and existing.role == Role.ADMIN
        and role != Role.ADMIN
    )
    if demoting_admin:
        others = SpaceRole.objects.filter(space=space, user__isnull=False, role=Role.ADMIN).exclude(
            pk=existing.pk
        )
        if not others.exists():
            raise LastAdminError(_("A space needs at least one admin."))
    details = {
        "user_id": user.pk if user is not None else None,
        "team_id": team.pk if team is not None else None,
        "role": role,
        "previous_role": existing.role if existing is not None else None,
    }
    if role is None:
        if existing is not None:
            existing.delete()
        record_audit_event(
            actor=by, action="space.role_removed", target=space, scope=space.audit_scope,
            details=details,
        )  # fmt: skip
        return None
    if existing is None:
        result = SpaceRole.objects.create(space=space, role=role, **holder)
    else:
        existing.role = role
        existing.save(update_fields=["role"])
        result = existing
    record_audit_event(
        actor=by, action="space.role_set", target=space, scope=space.audit_scope, details=details
    )
    return result


# --- Rendering, links and the search index -----------------------------------------------------


def page_url(page: Page) -> str:
    return reverse("wiki:page-view", kwargs={"key": page.space.key, "path": page.path})


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
        visible |= selectors.readable_spaces_q(viewer, prefix="space__")
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


def _index(page: Page, body: str) -> None:
    """Refresh the page's search columns from its title and current text."""
    page.search_text = f"{page.title}\n{body}"
    Page.objects.filter(pk=page.pk).update(
        search_text=page.search_text,
        search_vector=(
            SearchVector(Value(cjk_bigrams(page.title)), weight="A", config=SEARCH_CONFIG)
            + SearchVector(Value(cjk_bigrams(body)), weight="B", config=SEARCH_CONFIG)
        ),
        title_vector=SearchVector(Value(cjk_bigrams(page.title)), config=SEARCH_CONFIG),
    )


def _toc_entries(rendered: RenderedMarkdown, body: str) -> list[dict]:
    """The table of contents as JSON, each heading with the section index that edits it.

    Stored with the revision so that viewing a page never parses Markdown; headings that
    start no section (inside a list or a quote) carry no index.
    """
    sections = [section for section in split_sections(body) if section.index]
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
        revision.toc = _toc_entries(rendered, revision.body)
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
        toc=_toc_entries(rendered, body),
    )
    page.current_revision = revision
    page.updated_at = revision.created_at
    page.save(update_fields=["current_revision", "updated_at"])
    _sync_links(page, rendered.links, targets)
    _index(page, body)
    from wiki.tasks import notify_watchers_task

    transaction.on_commit(lambda: notify_watchers_task.delay(revision.pk))
    return revision


def _check_length(body: str) -> None:
    # Rendering, diffing and merging grow with the text; a cap keeps one request from
    # occupying a worker for seconds (pathological Markdown takes ~1 s per 100 KB).
    limit = settings.WIKI_PAGE_MAX_CHARS
    if len(body) > limit:
        raise TextTooLongError(
            _("The text is %(length)s characters long; the most a page may hold is %(limit)s.")
            % {"length": f"{len(body):,}", "limit": f"{limit:,}"}
        )


def _normalise(body: str) -> str:
    """Browsers send CRLF from textareas; store LF so diffs and merges compare lines."""
    _check_length(body)
    return body.replace("\r\n", "\n").replace("\r", "\n")


def _validate_title(title: str) -> str:
    title = unicodedata.normalize("NFC", " ".join(title.split()))
    if not title:
        raise InvalidTitleError(_("A page needs a title."))
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidTitleError(
            _("A title has at most %(count)d characters.") % {"count": MAX_TITLE_LENGTH}
        )
    if not is_linkable_title(title):
        raise InvalidTitleError(
            _("A title cannot contain “|”, “[[”, “]]” or unbalanced square brackets.")
        )
    return title


def _check_title_free(space: Space, title: str, exclude: Page | None = None) -> None:
    taken = Page.objects.filter(space=space, deleted_at__isnull=True, title__iexact=title)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise PageTitleTakenError(
            _("A page titled “%(title)s” already exists in this space.") % {"title": title}
        )


def _free_path(
    space: Space, parent: Page | None, title: str, exclude: Page | None = None
) -> tuple[str, str]:
    """A (slug, path) for ``title`` under ``parent`` that no live page uses."""
    base = slug_for_title(title)
    prefix = f"{parent.path}/" if parent is not None else ""
    taken = set(
        Page.objects.filter(space=space, deleted_at__isnull=True, path__startswith=prefix)
        .exclude(pk=exclude.pk if exclude is not None else None)
        .values_list("path", flat=True)
    )
    number = 1
    while True:
        slug = base if number == 1 else f"{base}-{number}"
        if (parent is not None or slug not in RESERVED_SLUGS) and f"{prefix}{slug}" not in taken:
            return slug, f"{prefix}{slug}"
        number += 1


# --- Pages and revisions -----------------------------------------------------------------------


@transaction.atomic
def create_page(
    *,
    space: Space,
    author: AbstractBaseUser,
    title: str,
    body: str = "",
    parent: Page | None = None,
    summary: str = "",
    tags: Sequence[str] = (),
    review_by: date | None = None,
) -> Page:
    """Create a page with its first revision; its author becomes its owner and watches it.

    Red links elsewhere that named this title turn into links to the new page.
    """
    _require_role(author, space, Role.EDITOR)
    title = _validate_title(title)
    if parent is not None and (parent.space_id != space.pk or parent.is_deleted):
        raise InvalidMoveError(_("The parent page must be a live page of the same space."))
    _check_title_free(space, title)
    slug, path = _free_path(space, parent, title)
    try:
        with transaction.atomic():
            page = Page.objects.create(
                space=space,
                parent=parent,
                title=title,
                slug=slug,
                path=path,
                created_by=author,
                review_by=review_by,
            )
    except IntegrityError as error:
        # Another request created the same title or path between our check and insert.
        raise PageTitleTakenError(
            _("A page titled “%(title)s” already exists in this space.") % {"title": title}
        ) from error
    page.owners.add(author)
    Watch.objects.get_or_create(user=author, page=page)
    _set_tags(page, tags)
    PageRedirect.objects.filter(space=space, old_path=path).delete()
    _append_revision(
        page=page,
        author=author,
        body=_normalise(body),
        summary=summary or _("Created page"),
        base_revision=None,
    )
    _refresh_current_rendering(_pages_linking_to(space, [title]))
    return page


def fill_template(*, template: PageTemplate, title: str) -> str:
    """The template's text with {{title}} and {{date}} filled in."""
    return template.body.replace("{{title}}", title.strip()).replace(
        "{{date}}", timezone.localdate().isoformat()
    )


@transaction.atomic
def create_page_from_template(
    *,
    space: Space,
    author: AbstractBaseUser,
    title: str,
    template: PageTemplate,
    parent: Page | None = None,
) -> Page:
    """Create a page whose first text is ``template``'s, with {{title}}, {{date}} filled in."""
    if template.space_id is not None and template.space_id != space.pk:
        raise WikiError(_("That template belongs to another space."))
    body = fill_template(template=template, title=title)
    return create_page(
        space=space,
        author=author,
        title=title,
        body=body,
        parent=parent,
        summary=_("Created from template “%(name)s”") % {"name": template.name},
    )


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
    _require_role(author, page.space, Role.EDITOR)
    body = _normalise(body)
    # The row lock serialises concurrent saves of one page: each sees the previous one.
    locked = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
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
    _require_role(by, page.space, Role.EDITOR)
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


# --- Tree: rename, move, trash -----------------------------------------------------------------


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
    # Old URLs redirect, but pages that link here should point at the new ones directly.
    linking = Page.objects.filter(
        deleted_at__isnull=True,
        pk__in=PageLink.objects.filter(to_page__in=[each.pk for each in moved]).values(
            "from_page_id"
        ),
    ).select_related("space", "current_revision", "current_revision__author")
    _refresh_current_rendering(linking)


@transaction.atomic
def rename_page(*, page: Page, by: AbstractBaseUser, new_title: str) -> Page:
    """Retitle a page; its URL follows, old URLs redirect, and [[links]] to it are rewritten.

    Each linking page gets a new revision by ``by`` whose only change is the link text.
    """
    _require_role(by, page.space, Role.EDITOR)
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
    _refresh_current_rendering(_pages_linking_to(page.space, [new_title, old_title]))
    record_audit_event(
        actor=by,
        action="page.renamed",
        target=page,
        scope=page.space.audit_scope,
        details={"old_title": old_title, "new_title": new_title},
    )
    return page


@transaction.atomic
def move_page(*, page: Page, by: AbstractBaseUser, new_parent: Page | None) -> Page:
    """Put a page (with its subtree) under ``new_parent`` (None: top level) in its space."""
    _require_role(by, page.space, Role.EDITOR)
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
        details={"old_path": old_path, "new_path": path},
    )
    return page


@transaction.atomic
def delete_page(*, page: Page, by: AbstractBaseUser) -> Page:
    """Move a page to its space's trash; links to it turn red. It can be undeleted."""
    _require_role(by, page.space, Role.EDITOR)
    page = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
    if page.is_deleted:
        return page
    if Page.objects.filter(parent=page, deleted_at__isnull=True).exists():
        raise PageHasChildrenError(_("This page has child pages; move or delete them first."))
    page.deleted_at = timezone.now()
    page.deleted_by = by
    page.save(update_fields=["deleted_at", "deleted_by"])
    _refresh_current_rendering(_pages_linking_to(page.space, [page.title]))
    record_audit_event(
        actor=by,
        action="page.deleted",
        target=page,
        scope=page.space.audit_scope,
        details={"title": page.title, "path": page.path},
    )
    return page


@transaction.atomic
def undelete_page(*, page: Page, by: AbstractBaseUser) -> Page:
    """Bring a page back from the trash at its old place, if its title and path are free."""
    _require_role(by, page.space, Role.EDITOR)
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
    _refresh_current_rendering(_pages_linking_to(page.space, [page.title]))
    record_audit_event(
        actor=by,
        action="page.undeleted",
        target=page,
        scope=page.space.audit_scope,
        details={"title": page.title, "path": page.path},
    )
    return page


# --- Ownership, freshness, tags ----------------------------------------------------------------


@transaction.atomic
def set_page_owners(
    *, page: Page, by: AbstractBaseUser, owners: Sequence[AbstractBaseUser]
) -> Page:
    """Replace the page's owners; each must be able to read the space."""
    _require_role(by, page.space, Role.EDITOR)
    for owner in owners:
        if not selectors.has_space_role(user=owner, space=page.space, role=Role.READER):
            raise WikiError(
                _("%(name)s cannot read this space, so cannot own its pages.")
                % {"name": owner.get_username()}
            )
    before = sorted(page.owners.values_list("pk", flat=True))
    page.owners.set(owners)
    record_audit_event(
        actor=by,
        action="page.owners_set",
        target=page,
        scope=page.space.audit_scope,
        details={"before": before, "after": sorted(owner.pk for owner in owners)},
    )
    return page


@transaction.atomic
def reassign_pages(
    *,
    from_user: AbstractBaseUser,
    to_user: AbstractBaseUser,
    by: AbstractBaseUser | None,
    space: Space | None = None,
) -> int:
    """Hand every page ``from_user`` owns (optionally in one space) over to ``to_user``.

    Used by the handover workflow, which authorises the call itself. Returns how many pages
    changed; one audit row per space records it.
    """
    if from_user.pk == to_user.pk:
        return 0
    pages = Page.objects.filter(owners=from_user).select_related("space")
    if space is not None:
        pages = pages.filter(space=space)
    pages = list(pages)
    per_space: dict[int, list[int]] = {}
    for page in pages:
        page.owners.remove(from_user)
        page.owners.add(to_user)
        per_space.setdefault(page.space_id, []).append(page.pk)
    spaces = {page.space_id: page.space for page in pages}
    for space_id, page_ids in per_space.items():
        record_audit_event(
            actor=by,
            action="page.owners_reassigned",
            target=spaces[space_id],
            scope=spaces[space_id].audit_scope,
            details={"from_user_id": from_user.pk, "to_user_id": to_user.pk, "pages": page_ids},
        )
    return len(pages)


@transaction.atomic
def mark_verified(*, page: Page, by: AbstractBaseUser, today: date | None = None) -> Page:
    """Record that an owner (or a space admin) checked the page is still right.

    A page with a review date gets the next one ``REVIEW_INTERVAL_DAYS`` from today.
    """
    if not selectors.can_verify_page(user=by, page=page):
        raise WikiPermissionError(_("Only the page's owners or a space admin can verify it."))
    today = today or timezone.localdate()
    page.verified_at = timezone.now()
    page.verified_by = by
    fields = ["verified_at", "verified_by"]
    if page.review_by is not None:
        page.review_by = today + timedelta(days=REVIEW_INTERVAL_DAYS)
        fields.append("review_by")
    page.save(update_fields=fields)
    return page


@transaction.atomic
def set_review_by(*, page: Page, by: AbstractBaseUser, review_by: date | None) -> Page:
    """Set or clear the date by which the page should be checked again."""
    _require_role(by, page.space, Role.EDITOR)
    page.review_by = review_by
    page.save(update_fields=["review_by"])
    return page


def _set_tags(page: Page, names: Iterable[str]) -> None:
    cleaned = []
    for name in names:
        name = " ".join(name.split()).lower()[:64]
        if name and name not in cleaned:
            cleaned.append(name)
    tags = [Tag.objects.get_or_create(name=name)[0] for name in cleaned]
    page.tags.set(tags)


@transaction.atomic
def set_page_tags(*, page: Page, by: AbstractBaseUser, names: Sequence[str]) -> Page:
    """Replace the page's tags (lowercased, blanks dropped)."""
    _require_role(by, page.space, Role.EDITOR)
    _set_tags(page, names)
    return page


# --- Templates ---------------------------------------------------------------------------------


@transaction.atomic
def create_template(
    *, space: Space, by: AbstractBaseUser, name: str, body: str, description: str = ""
) -> PageTemplate:
    """Add a page template to a space (editors)."""
    _require_role(by, space, Role.EDITOR)
    name = " ".join(name.split())
    if not name:
        raise WikiError(_("A template needs a name."))
    if PageTemplate.objects.filter(space=space, name__iexact=name).exists():
        raise WikiError(_("A template named “%(name)s” already exists.") % {"name": name})
    return PageTemplate.objects.create(
        space=space, name=name, body=_normalise(body), description=description, created_by=by
    )


# --- Attachments -------------------------------------------------------------------------------


def _clean_filename(name: str) -> str:
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or "attachment"


def _sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes; plain UTF-8 text is text/plain."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return None
    return "text/plain"


@transaction.atomic
def upload_attachment(*, page: Page, by: AbstractBaseUser, upload: UploadedFile) -> Attachment:
    """Store a file on a page after checking its size and sniffing its real type.

    The type the browser claims is ignored except to catch a mismatch: a file that says it
    is an image but is not one is refused, as are empty files, files over
    ``WIKI_ATTACHMENT_MAX_BYTES`` and types not in ``ALLOWED_ATTACHMENT_TYPES``.
    """
    _require_role(by, page.space, Role.EDITOR)
    if page.is_deleted:
        raise PageDeletedError(_("This page is in the trash; restore it before uploading."))
    limit = settings.WIKI_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise AttachmentError(_("The file is empty."))
    if upload.size > limit:
        raise AttachmentError(
            _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": upload.size, "limit": limit}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    sniffed = _sniff(head)
    if sniffed is None or sniffed not in ALLOWED_ATTACHMENT_TYPES:
        raise AttachmentError(
            _("This kind of file (%(type)s) is not allowed.")
            % {"type": sniffed or _("unknown binary")}
        )
    claimed = (upload.content_type or "").split(";")[0].strip().lower()
    for family in ("image/", "application/pdf"):
        if claimed.startswith(family) and not sniffed.startswith(family):
            raise AttachmentError(
                _("The file claims to be %(claimed)s but its content is %(sniffed)s.")
                % {"claimed": claimed, "sniffed": sniffed}
            )
    name = _clean_filename(upload.name or "")
    attachment = Attachment(
        page=page, name=name, content_type=sniffed, size=upload.size, uploaded_by=by
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: Attachment, by: AbstractBaseUser) -> None:
    """Remove an attachment; the file goes once the deletion is committed."""
    page = attachment.page
    _require_role(by, page.space, Role.EDITOR)
    record_audit_event(
        actor=by,
        action="attachment.deleted",
        target=attachment,
        scope=page.space.audit_scope,
        details={"name": attachment.name, "page_id": page.pk},
    )
    file_name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(file_name))


# --- Comments, watching, notifications, presence ---------------------------------------------


@transaction.atomic
def add_comment(*, page: Page, author: AbstractBaseUser, body: str) -> Comment:
    """Comment on a page (any reader); watchers and @mentioned readers are notified."""
    _require_role(author, page.space, Role.READER)
    body = _normalise(body).strip()
    if not body:
        raise CommentError(_("A comment cannot be empty."))
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError(
            _("A comment has at most %(count)d characters.") % {"count": MAX_COMMENT_LENGTH}
        )
    comment = Comment.objects.create(page=page, author=author, body=body)
    from wiki.tasks import notify_comment_task

    transaction.on_commit(lambda: notify_comment_task.delay(comment.pk))
    return comment


@transaction.atomic
def watch(*, user: AbstractBaseUser, page: Page | None = None, space: Space | None = None) -> Watch:
    """Follow a page or a whole space (a reader's right)."""
    target_space = page.space if page is not None else space
    if target_space is None or (page is not None and space is not None):
        raise WikiError(_("Watch either a page or a space."))
    _require_role(user, target_space, Role.READER)
    watch_row, _created = Watch.objects.get_or_create(user=user, page=page, space=space)
    return watch_row


@transaction.atomic
def unwatch(
    *, user: AbstractBaseUser, page: Page | None = None, space: Space | None = None
) -> None:
    """Stop following a page or a space; not watching it already is fine."""
    Watch.objects.filter(user=user, page=page, space=space).delete()


def _readers_among(users: Iterable[AbstractBaseUser], space: Space) -> list[AbstractBaseUser]:
    return [u for u in users if selectors.has_space_role(user=u, space=space, role=Role.READER)]


@transaction.atomic
def notify_watchers(*, revision_id: int) -> int:
    """Notify watchers of a new revision and people newly @mentioned in it.

    Idempotent: a unique constraint makes a second delivery add nothing. Returns how many
    notifications were created.
    """
    revision = (
        Revision.objects.select_related("page__space", "author").filter(pk=revision_id).first()
    )
    if revision is None:
        return 0
    page = revision.page
    watchers = User.objects.filter(
        Q(wiki_watches__page=page) | Q(wiki_watches__space=page.space_id)
    ).distinct()
    if revision.author_id is not None:
        watchers = watchers.exclude(pk=revision.author_id)
    rows = [
        Notification(
            user=user, kind=Notification.Kind.CHANGE, page=page, revision=revision,
            actor=revision.author,
        )
        for user in _readers_among(watchers, page.space)
    ]  # fmt: skip
    previous = (
        Revision.objects.filter(page=page, number__lt=revision.number).order_by("-number").first()
    )
    mentioned = find_mentions(revision.body) - (find_mentions(previous.body) if previous else set())
    rows += [
        Notification(
            user=user, kind=Notification.Kind.MENTION, page=page, revision=revision,
            actor=revision.author,
        )
        for user in _readers_among(_mentioned_users(mentioned, revision.author_id), page.space)
    ]  # fmt: skip
    return _insert_notifications(rows, Notification.objects.filter(revision=revision))


def _insert_notifications(rows: list[Notification], existing: QuerySet[Notification]) -> int:
    """Insert rows, skipping those a unique constraint says exist; return how many were new."""
    before = existing.count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return existing.count() - before


def _mentioned_users(names: set[str], exclude_id: int | None) -> list[AbstractBaseUser]:
    if not names:
        return []
    users = User.objects.filter(username__in=names, is_active=True)
    if exclude_id is not None:
        users = users.exclude(pk=exclude_id)
    return list(users)


@transaction.atomic
def notify_comment(*, comment_id: int) -> int:
    """Notify a page's watchers of a new comment and the readers it @mentions."""
    comment = Comment.objects.select_related("page__space", "author").filter(pk=comment_id).first()
    if comment is None:
        return 0
    page = comment.page
    mentioned = _readers_among(
        _mentioned_users(find_mentions(comment.body), comment.author_id), page.space
    )
    mentioned_ids = {user.pk for user in mentioned}
    watchers = User.objects.filter(
        Q(wiki_watches__page=page) | Q(wiki_watches__space=page.space_id)
    ).distinct()
    if comment.author_id is not None:
        watchers = watchers.exclude(pk=comment.author_id)
    rows = [
        Notification(
            user=user, kind=Notification.Kind.MENTION, page=page, comment=comment,
            actor=comment.author,
        )
        for user in mentioned
    ]  # fmt: skip
    rows += [
        Notification(
            user=user, kind=Notification.Kind.COMMENT, page=page, comment=comment,
            actor=comment.author,
        )
        for user in _readers_among(watchers, page.space)
        if user.pk not in mentioned_ids
    ]  # fmt: skip
    return _insert_notifications(rows, Notification.objects.filter(comment=comment))


def mark_notifications_read(
    *, user: AbstractBaseUser, notification_ids: Sequence[int] | None = None
) -> int:
    """Mark the user's notifications (all, or the given ones) as read."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())


def touch_presence(*, page: Page, user: AbstractBaseUser) -> None:
    """Note that ``user`` has the page's editor open right now."""
    EditingPresence.objects.update_or_create(
        page=page, user=user, defaults={"seen_at": timezone.now()}
    )


def leave_presence(*, page: Page, user: AbstractBaseUser) -> None:
    """Forget that ``user`` is editing the page (they saved or left)."""
    EditingPresence.objects.filter(page=page, user=user).delete()
