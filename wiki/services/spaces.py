"""Writes to spaces: create, change settings, give and remove roles."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.models import Team
from core.services import record_audit_event
from wiki.errors import LastAdminError, SpaceKeyError, WikiError
from wiki.models import (
    Role,
    Space,
    SpaceRole,
)
from wiki.selectors.access import require_space_role

SPACE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


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
        details={"is_private": is_private, "team_id": team.pk if team else None},
        # A key can name a person (a personal space such as "~ana").
        personal={"key": key},
    )
    return space


@transaction.atomic
def update_space(
    *, space: Space, by: AbstractBaseUser, name: str, description: str, is_private: bool
) -> Space:
    """Change a space's name, description and visibility (admins only)."""
    require_space_role(by, space, Role.ADMIN)
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
    require_space_role(by, space, Role.ADMIN)
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
