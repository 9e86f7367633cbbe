"""Writes on the people an import found: merging two people of one archive into one."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.imports.services import InvalidTransitionError
from handover.models import Message, Person, PersonIdentity


def merge_people(*, keep: Person, absorb: Person, by: AbstractBaseUser | None) -> Person:
    """Make ``absorb`` part of ``keep``: its identities, handles and messages move over.

    Both must belong to the same owner. ``absorb`` stays as a row pointing at
    ``keep`` (``merged_into``) so the merge is visible and its audit row has a target.
    """
    if keep.pk == absorb.pk:
        raise InvalidTransitionError(_("A person cannot be merged into themselves."))
    if keep.owner_id != absorb.owner_id:
        raise InvalidTransitionError(_("Only people of the same archive can be merged."))
    with transaction.atomic():
        keep, absorb = (
            Person.objects.select_for_update().get(pk=keep.pk),
            Person.objects.select_for_update().get(pk=absorb.pk),
        )
        if absorb.merged_into_id is not None or keep.merged_into_id is not None:
            raise InvalidTransitionError(_("This person was already merged."))
        moved = Message.objects.filter(author=absorb).update(author=keep)
        PersonIdentity.objects.filter(person=absorb).update(person=keep)
        Person.objects.filter(merged_into=absorb).update(merged_into=keep)
        keep.handles = sorted(set(keep.handles) | set(absorb.handles))
        keep.email = keep.email or absorb.email
        keep.user_id = keep.user_id or absorb.user_id
        keep.display_name = keep.display_name or absorb.display_name
        keep.save(update_fields=["handles", "email", "user", "display_name"])
        absorb.merged_into = keep
        absorb.save(update_fields=["merged_into"])
        record_audit_event(
            actor=by,
            action="person.merged",
            target=keep,
            scope=f"people:{keep.owner_id}",
            details={"absorbed": absorb.pk, "messages_moved": moved},
        )
    return keep
