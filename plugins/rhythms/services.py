"""Writes of the rhythms plugin: the team's working agreements (the rhythms are never stored)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.models import Team
from core.services import record_audit_event
from plugins.rhythms.models import WorkingAgreement


@transaction.atomic
def save_working_agreement(*, team: Team, by: AbstractBaseUser, text: str) -> WorkingAgreement:
    """A member writes the team's working agreements (replacing the text before); audited.

    The caller has checked that ``by`` is a member of ``team``
    (``selectors.get_team_for_member``). The audit row holds ids and the length only.
    """
    now = timezone.now()
    agreement, created = WorkingAgreement.objects.select_for_update().get_or_create(
        team=team, defaults={"text": text, "written_by": by, "updated_at": now}
    )
    if not created:
        agreement.text = text
        agreement.written_by = by
        agreement.updated_at = now
        agreement.save(update_fields=["text", "written_by", "updated_at"])
    record_audit_event(
        actor=by,
        action="rhythms.agreement_saved",
        target=agreement,
        scope=f"team:{team.pk}",
        details={"team_id": team.pk, "characters": len(text), "created": created},
    )
    return agreement
