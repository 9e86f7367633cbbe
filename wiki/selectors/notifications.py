"""Reads of watches and notifications."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from wiki.models import (
    Notification,
    Page,
    Space,
    Watch,
)
from wiki.selectors.access import readable_pages


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
