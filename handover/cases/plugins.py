"""What handover cases hand to plugins: a case as a ``CaseRef``, and the opened-case notice."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from handover.models import HandoverCase
from plugins.types import CaseRef


def find_case_for_plugins(*, case_id: int) -> HandoverCase | None:
    """The case with what ``case_ref`` reads of it, or None when it is gone.

    For the worker, which acts on a case by id: no user's access is checked, since what
    plugins get of it is a ``CaseRef`` and only what consent lets through.
    """
    return (
        HandoverCase.objects.select_related("subject", "team", "space").filter(pk=case_id).first()
    )


def case_ref(case: HandoverCase) -> CaseRef:
    """``case`` as the plugin hooks receive it."""
    subject = case.subject
    return CaseRef(
        case_id=case.pk,
        subject_user_id=subject.pk,
        subject_display_name=subject.get_full_name() or subject.get_username(),
        team_id=case.team_id,
        team_name=case.team.name,
        last_day=case.last_day,
        url=reverse("handover:case-detail", kwargs={"case_id": case.pk}),
        space_key=case.space.key if case.space_id else "",
        successor_user_ids=tuple(
            sorted(case.successors.filter(is_active=True).values_list("pk", flat=True))
        ),
    )


def announce_case_opened(*, case_id: int) -> None:
    """Tell every plugin the case was opened (the worker runs it once the case committed)."""
    from plugins.manager import notify_case_opened

    case = find_case_for_plugins(case_id=case_id)
    if case is None or case.is_finished:
        return
    notify_case_opened(case_ref(case))


def schedule_case_opened(*, case_id: int) -> None:
    """Announce the case to plugins on the worker once the caller's transaction commits."""
    from handover.cases.tasks import announce_case_opened_task

    transaction.on_commit(lambda: announce_case_opened_task.delay(case_id))
