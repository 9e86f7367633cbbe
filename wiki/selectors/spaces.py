"""Reads of spaces: the readable list, one space by key, its roles and audit log."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from core.models import AuditEvent
from wiki.models import (
    Space,
    SpaceRole,
)
from wiki.selectors.access import readable_spaces_q


def list_spaces(*, user: AbstractBaseUser) -> QuerySet[Space]:
    """Spaces the user may read, by name, with their team."""
    return Space.objects.filter(readable_spaces_q(user)).select_related("team").order_by("name")


def get_space_for_user(*, user: AbstractBaseUser, key: str) -> Space:
    """The space with ``key`` if the user may read it, else 404."""
    space = list_spaces(user=user).filter(key=key).first()
    if space is None:
        raise Http404("No such space.")
    return space


def list_space_audit_events(*, space: Space) -> QuerySet[AuditEvent]:
    """The space's audit log, newest first; only admins reach it (views check the role)."""
    return AuditEvent.objects.filter(scope=space.audit_scope).select_related("actor")


def list_space_roles(*, space: Space) -> QuerySet[SpaceRole]:
    return SpaceRole.objects.filter(space=space).select_related("user", "team").order_by("id")
