"""Handover cases: who may open one, every allowed and forbidden transition, audit rows."""

import datetime

import pytest
from django.utils import timezone

from core.models import AuditEvent
from handover.cases import services
from handover.cases.selectors import build_checklist, case_roles, list_cases_for_user
from handover.consent import services as consent_services
from handover.errors import (
    CasePermissionError,
    ConsentRequiredError,
    InvalidTransitionError,
)
from handover.models import Conversation, HandoverCase, Purpose

pytestmark = pytest.mark.django_db

State = HandoverCase.State


def _last_day() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=10)


def test_it_lets_the_subject_their_manager_and_hr_open_a_case(
    subject,
    manager,
    hr,
    team,
    successor,  # noqa: ANN001
) -> None:
    for opener in (subject, manager, hr):
        case = services.open_case(
            subject=subject, team=team, by=opener, last_day=_last_day(), successors=[successor]
        )
        assert case.state == State.OPENED and case.opened_by == opener
        assert AuditEvent.objects.filter(action="case.opened", target_id=str(case.pk)).exists()


@pytest.mark.parametrize("persona", ["successor", "teammate", "outsider", "operator", "superuser"])
def test_it_refuses_anyone_else_opening_a_case(request, subject, team, persona: str) -> None:  # noqa: ANN001
    by = request.getfixturevalue(persona)
    with pytest.raises(CasePermissionError):
        services.open_case(subject=subject, team=team, by=by, last_day=_last_day())
    assert not HandoverCase.objects.exists()


def test_it_refuses_a_successor_outside_the_team(subject, manager, team, outsider) -> None:  # noqa: ANN001
    with pytest.raises(services.NotATeamMemberError):
        services.open_case(
            subject=subject, team=team, by=manager, last_day=_last_day(), successors=[outsider]
        )
    assert not HandoverCase.objects.exists()


def test_it_shows_each_case_to_its_people_only(
    case,
    subject,
    manager,
    hr,
    successor,
    teammate,
    outsider,
    operator,
    superuser,  # noqa: ANN001
) -> None:
    for user in (subject, manager, hr, successor):
        assert list(list_cases_for_user(user=user)) == [case]
    for user in (teammate, outsider, operator, superuser):
        assert not list_cases_for_user(user=user).exists()
    assert case_roles(case=case, user=manager) >= {"manager", "opener"}
    assert case_roles(case=case, user=successor) == {"successor"}


def _share(case, subject) -> None:  # noqa: ANN001
    conversation = Conversation.objects.create(
        owner=subject, platform="slack", external_key="C1", name="general"
    )
    consent_services.record_consent(
        case=case, by=subject, purposes=[Purpose.PUBLISH], conversation_ids=[conversation.pk]
    )


def test_it_walks_the_whole_happy_path_writing_an_audit_row_per_step(
    case, subject, manager
) -> None:  # noqa: ANN001
    _share(case, subject)
    assert case.state == State.CONSENTING
    services.start_drafting(case=case, by=subject)
    services.submit_for_review(case=case, by=subject)
    services.return_to_drafting(case=case, by=subject)
    services.submit_for_review(case=case, by=subject)
    services.mark_published(case=case, by=subject)
    services.close_case(case=case, by=manager)
    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert case.pseudonym_key is None and case.key_destroyed_at is not None
    moves = [
        (event.details["from"], event.details["to"])
        for event in AuditEvent.objects.filter(
            action="case.state_changed", scope=f"case:{case.pk}"
        ).order_by("id")
    ]
    assert moves == [
        ("opened", "consenting"),
        ("consenting", "drafting"),
        ("drafting", "review"),
        ("review", "drafting"),
        ("drafting", "review"),
        ("review", "published"),
        ("published", "closed"),
    ]


ALL_STATES = [choice for choice, _label in State.choices]


@pytest.mark.parametrize("start", ALL_STATES)
@pytest.mark.parametrize("target", ALL_STATES)
def test_it_refuses_every_forbidden_transition(case, subject, start: str, target: str) -> None:  # noqa: ANN001
    if target in services.TRANSITIONS[start]:
        pytest.skip("an allowed transition")
    HandoverCase.objects.filter(pk=case.pk).update(state=start)
    case.refresh_from_db()
    with pytest.raises(InvalidTransitionError) as error:
        services.transition(case=case, to=target, by=subject)
    assert str(State(start).label) in str(error.value)
    case.refresh_from_db()
    assert case.state == start


@pytest.mark.parametrize("persona", ["manager", "hr", "successor"])
def test_it_lets_only_the_subject_move_the_work_on(request, case, subject, persona: str) -> None:  # noqa: ANN001
    _share(case, subject)
    with pytest.raises(CasePermissionError):
        services.start_drafting(case=case, by=request.getfixturevalue(persona))
    case.refresh_from_db()
    assert case.state == State.CONSENTING


def test_it_needs_consent_to_draft_and_to_publish(case, subject) -> None:  # noqa: ANN001
    HandoverCase.objects.filter(pk=case.pk).update(state=State.CONSENTING)
    case.refresh_from_db()
    with pytest.raises(ConsentRequiredError):
        services.start_drafting(case=case, by=subject)
    HandoverCase.objects.filter(pk=case.pk).update(state=State.REVIEW)
    case.refresh_from_db()
    with pytest.raises(ConsentRequiredError):
        services.mark_published(case=case, by=subject)


def test_the_checklist_of_an_overseer_names_no_choice(case, subject, manager) -> None:  # noqa: ANN001
    _share(case, subject)
    roles = case_roles(case=case, user=manager)
    keys = [item.key for item in build_checklist(case=case, roles=roles)]
    assert "consent" not in keys and "redactions" not in keys and "consenting" in keys
    subject_keys = [
        item.key for item in build_checklist(case=case, roles=case_roles(case=case, user=subject))
    ]
    assert "consent" in subject_keys
