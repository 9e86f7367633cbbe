"""Reads of who has a page's editor open."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from wiki.models import (
    EditingPresence,
    Page,
)

PRESENCE_SECONDS = 30


def list_editors_present(
    *, page: Page, exclude: AbstractBaseUser | None = None
) -> list[AbstractBaseUser]:
    """Users who had the page's editor open within the last ``PRESENCE_SECONDS``."""
    since = timezone.now() - timedelta(seconds=PRESENCE_SECONDS)
    rows = EditingPresence.objects.filter(page=page, seen_at__gte=since).select_related("user")
    if exclude is not None:
        rows = rows.exclude(user=exclude)
    return [row.user for row in rows.order_by("user__username")]
