"""Watching pages and spaces, and the notifications of changes and mentions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wiki.errors import WikiError
from wiki.models import (
    Comment,
    Notification,
    Page,
    Revision,
    Role,
    Space,
    Watch,
)
from wiki.selectors.access import has_space_role, require_space_role
from wiki.text import find_mentions

User = get_user_model()


@transaction.atomic
def watch(*, user: AbstractBaseUser, page: Page | None = None, space: Space | None = None) -> Watch:
    """Follow a page or a whole space (a reader's right)."""
    target_space = page.space if page is not None else space
    if target_space is None or (page is not None and space is not None):
        raise WikiError(_("Watch either a page or a space."))
    require_space_role(user, target_space, Role.READER)
    watch_row, _created = Watch.objects.get_or_create(user=user, page=page, space=space)
    return watch_row


@transaction.atomic
def unwatch(
    *, user: AbstractBaseUser, page: Page | None = None, space: Space | None = None
) -> None:
    """Stop following a page or a space; not watching it already is fine."""
    Watch.objects.filter(user=user, page=page, space=space).delete()


def _readers_among(users: Iterable[AbstractBaseUser], space: Space) -> list[AbstractBaseUser]:
    return [u for u in users if has_space_role(user=u, space=space, role=Role.READER)]


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
