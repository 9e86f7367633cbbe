"""Noting who has a page's editor open."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from wiki.models import (
    EditingPresence,
    Page,
)


def touch_presence(*, page: Page, user: AbstractBaseUser) -> None:
    """Note that ``user`` has the page's editor open right now."""
    EditingPresence.objects.update_or_create(
        page=page, user=user, defaults={"seen_at": timezone.now()}
    )


def leave_presence(*, page: Page, user: AbstractBaseUser) -> None:
    """Forget that ``user`` is editing the page (they saved or left)."""
    EditingPresence.objects.filter(page=page, user=user).delete()
