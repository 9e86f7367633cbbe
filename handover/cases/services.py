"""Writes of handover cases: open one, change who takes over, and move it through its states.

Every state change goes through ``transition`` with its table ``TRANSITIONS``, checks
who asks, and writes an audit row in the same transaction; a change the table does not
allow raises ``InvalidTransitionError`` with words fit to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Membership, Team
from core.services import record_audit_event
from handover.cases.plugins import schedule_case_opened
from handover.cases.selectors import (
    HR,
    MANAGER,
    OPENER,
    SUBJECT,
    case_roles,
    is_subject_of,
    may_open_case_for,
)
from handover.consent.read import live_grants
from handover.errors import (
    CasePermissionError,
    ConsentRequiredError,
    HandoverError,
    InvalidTransitionError,
)
from handover.models import HandoverCase, Person, Purpose

State = HandoverCase.State

# From each state, the states it may move to. Withdrawal is possible from every state
# but itself, after the last day and after closing too.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.OPENED: frozenset({State.CONSENTING, State.CLOSED, State.WITHDRAWN}),
    State.CONSENTING: frozenset({State.DRAFTING, State.CLOSED, State.WITHDRAWN}),
    State.DRAFTING: frozenset({State.REVIEW, State.CONSENTING, State.CLOSED, State.WITHDRAWN}),
    State.REVIEW: frozenset({State.DRAFTING, State.PUBLISHED, State.CLOSED, State.WITHDRAWN}),
    State.PUBLISHED: frozenset({State.DRAFTING, State.CLOSED, State.WITHDRAWN}),
    State.CLOSED: frozenset({State.WITHDRAWN}),
    State.WITHDRAWN: frozenset(),
}

# Who may ask for each target state. Withdrawal is the subject's alone.
MAY_MOVE_TO: dict[str, frozenset[str]] = {
    State.CONSENTING: frozenset({SUBJECT}),
    State.DRAFTING: frozenset({SUBJECT}),
    State.REVIEW: frozenset({SUBJECT}),
    State.PUBLISHED: frozenset({SUBJECT}),
    State.CLOSED: frozenset({SUBJECT, MANAGER, HR, OPENER}),
    State.WITHDRAWN: frozenset({SUBJECT}),
}


class NotATeamMemberError(HandoverError):
    """The subject or a successor is not in the case's team."""


def _state_label(state: str) -> str:
    return str(State(state).label)


def transition(
    *, case: HandoverCase, to: str, by: AbstractBaseUser | None, system: bool = False
) -> HandoverCase:
    """Move ``case`` to state ``to``, if the table allows it and ``by`` may ask for it.

    ``system=True`` is for the workflow's own moves (a task, another service that
    already checked who asked). Call inside the caller's transaction.
    """
    locked = HandoverCase.objects.select_for_update().get(pk=case.pk)
    if to not in TRANSITIONS[locked.state]:
        raise InvalidTransitionError(
            _("A handover that is “%(current)s” cannot become “%(target)s”.")
            % {"current": _state_label(locked.state), "target": _state_label(to)}
        )
    if not system:
        roles = case_roles(case=locked, user=by) if by is not None else frozenset()
        if not roles & MAY_MOVE_TO[to]:
            raise CasePermissionError(
                _("You cannot make this handover “%(target)s”.") % {"target": _state_label(to)}
            )
    previous = locked.state
    locked.state = to
    locked.state_changed_at = timezone.now()
    locked.save(update_fields=["state", "state_changed_at"])
    if to == State.WITHDRAWN:
        from handover.indexing.services import hide_case_passages

        hide_case_passages(case_id=locked.pk)
    record_audit_event(
        actor=by,
        action="case.state_changed",
        target=locked,
        scope=f"case:{locked.pk}",
        details={"from": previous, "to": to},
    )
    case.state, case.state_changed_at = locked.state, locked.state_changed_at
    return case


def _check_members(team: Team, users: Iterable[AbstractBaseUser]) -> None:
    user_ids = {user.pk for user in users}
    members = set(
        Membership.objects.filter(team=team, user_id__in=user_ids).values_list("user_id", flat=True)
    )
    if user_ids - members:
        raise NotATeamMemberError(_("Successors must be members of the team."))


def _suggest_subject_people(case: HandoverCase) -> None:
    """Link the subject's own identities in their imports, found by their account's e-mail."""
    email = (case.subject.email or "").strip()
    people = Person.objects.filter(owner_id=case.subject_id, user_id=case.subject_id)
    if email:
        people = people | Person.objects.filter(owner_id=case.subject_id, email__iexact=email)
    case.subject_people.add(*people)


@transaction.atomic
def open_case(
    *,
    subject: AbstractBaseUser,
    team: Team,
    by: AbstractBaseUser,
    last_day: date,
    successors: Iterable[AbstractBaseUser] = (),
    space=None,  # noqa: ANN001 - a wiki Space or None
    language: str = "en",
) -> HandoverCase:
    """Open a handover for ``subject``: by themself, or by a manager or HR person of the team."""
    if not may_open_case_for(team_id=team.pk, subject=subject, by=by):
        raise CasePermissionError(
            _("Only the person leaving, or a manager or HR person of their team, can open it.")
        )
    successors = [user for user in successors if user.pk != subject.pk]
    _check_members(team, successors)
    if space is not None and space.team_id not in (None, team.pk):
        raise HandoverError(_("Choose a wiki space of the team."))
    case = HandoverCase.objects.create(
        subject=subject,
        team=team,
        opened_by=by,
        last_day=last_day,
        space=space,
        language=language if language in HandoverCase.Language.values else "en",
    )
    case.successors.set(successors)
    _suggest_subject_people(case)
    record_audit_event(
        actor=by,
        action="case.opened",
        target=case,
        scope=f"case:{case.pk}",
        details={"team_id": team.pk, "successors": len(successors)},
    )
    schedule_case_opened(case_id=case.pk)
    return case


@transaction.atomic
def update_case(
    *,
    case: HandoverCase,
    by: AbstractBaseUser,
    last_day: date | None = None,
    successors: Iterable[AbstractBaseUser] | None = None,
    space=None,  # noqa: ANN001
) -> HandoverCase:
    """Change the last day, the successors or the wiki space of an unfinished case."""
    roles = case_roles(case=case, user=by)
    if not roles & {SUBJECT, MANAGER, HR, OPENER}:
        raise CasePermissionError(_("You cannot change this handover."))
    if case.is_finished:
        raise InvalidTransitionError(_("A closed or withdrawn handover cannot be changed."))
    fields = []
    if last_day is not None:
        case.last_day = last_day
        fields.append("last_day")
    new_space = space is not None and space.pk != case.space_id
    if space is not None:
        if space.team_id not in (None, case.team_id):
            raise HandoverError(_("Choose a wiki space of the team."))
        case.space = space
        fields.append("space")
    if fields:
        case.save(update_fields=fields)
    if new_space:
        # The old space's readers must not find the case's passages from this commit on.
        from handover.indexing.services import hide_case_passages, schedule_case_indexing

        hide_case_passages(case_id=case.pk)
        schedule_case_indexing(case_id=case.pk)
    if successors is not None:
        successors = [user for user in successors if user.pk != case.subject_id]
        _check_members(case.team, successors)
        case.successors.set(successors)
        fields.append("successors")
    record_audit_event(
        actor=by,
        action="case.updated",
        target=case,
        scope=f"case:{case.pk}",
        details={"fields": fields},
    )
    return case


@transaction.atomic
def set_personal_email(*, case: HandoverCase, by: AbstractBaseUser, email: str) -> HandoverCase:
    """The subject registers the personal address their one-time sign-in links go to."""
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving registers their personal address."))
    case.personal_email = email.strip()
    case.save(update_fields=["personal_email"])
    record_audit_event(
        actor=by,
        action="case.personal_email_set",
        target=case,
        scope=f"case:{case.pk}",
        details={"registered": bool(case.personal_email)},
    )
    return case


@transaction.atomic
def set_subject_people(
    *, case: HandoverCase, by: AbstractBaseUser, person_ids: Iterable[int]
) -> HandoverCase:
    """The subject says which people of their imports are themself (the rest are third parties)."""
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving says which identities are theirs."))
    ids = set(person_ids)
    people = list(Person.objects.filter(owner_id=case.subject_id, pk__in=ids))
    if len(people) != len(ids):
        raise HandoverError(_("Choose people from your own imports."))
    case.subject_people.set(people)
    record_audit_event(
        actor=by,
        action="case.subject_people_set",
        target=case,
        scope=f"case:{case.pk}",
        details={"count": len(people)},
    )
    from handover.privacy.tasks import prepare_case_messages_task

    transaction.on_commit(lambda: prepare_case_messages_task.delay(case.pk, None, True))
    return case


@transaction.atomic
def start_drafting(*, case: HandoverCase, by: AbstractBaseUser) -> HandoverCase:
    """The subject has chosen what to share; drafting may start (it needs a live grant)."""
    if not live_grants(case=case).exists():
        raise ConsentRequiredError(
            _("Drafting needs your consent to at least one purpose for at least one conversation.")
        )
    case = transition(case=case, to=State.DRAFTING, by=by)
    # Drafting from threads needs the consent to publish; without it the interview remains.
    from handover.drafting.runs import start_draft_run
    from handover.models import DraftRun

    if (
        live_grants(case=case, purpose=Purpose.PUBLISH).exists()
        and case.subject_id == by.pk
        and not DraftRun.objects.filter(
            case=case, status__in=[DraftRun.Status.QUEUED, DraftRun.Status.RUNNING]
        ).exists()
    ):
        start_draft_run(case=case, by=by)
    return case


@transaction.atomic
def submit_for_review(*, case: HandoverCase, by: AbstractBaseUser) -> HandoverCase:
    """The drafts are ready for the subject's review."""
    return transition(case=case, to=State.REVIEW, by=by)


@transaction.atomic
def return_to_drafting(*, case: HandoverCase, by: AbstractBaseUser) -> HandoverCase:
    """Back from review (or after publishing) to drafting."""
    return transition(case=case, to=State.DRAFTING, by=by)


@transaction.atomic
def mark_published(*, case: HandoverCase, by: AbstractBaseUser) -> HandoverCase:
    """The subject approved the pages; publishing needs their live consent to publish."""
    if not live_grants(case=case, purpose=Purpose.PUBLISH).exists():
        raise ConsentRequiredError(_("Publishing needs your consent to publish to the wiki."))
    return transition(case=case, to=State.PUBLISHED, by=by)


@transaction.atomic
def close_case(*, case: HandoverCase, by: AbstractBaseUser) -> HandoverCase:
    """Close the handover; its pseudonym key is destroyed, so pseudonyms become unlinkable.

    What the subject consented to keeps being served (a closed case's pages stay); the
    subject can still withdraw afterwards.
    """
    transition(case=case, to=State.CLOSED, by=by)
    destroy_pseudonym_key(case=case)
    return case


def destroy_pseudonym_key(*, case: HandoverCase) -> None:
    """Forget the case's pseudonym key (call inside the transaction that finishes the case)."""
    now = timezone.now()
    HandoverCase.objects.filter(pk=case.pk).update(pseudonym_key=None, key_destroyed_at=now)
    case.pseudonym_key, case.key_destroyed_at = None, now
    record_audit_event(
        actor=None,
        action="case.key_destroyed",
        target=case,
        scope=f"case:{case.pk}",
        details={},
    )


def publish_pages(*, case: HandoverCase, by: AbstractBaseUser) -> HandoverCase:
    """The case page's "publish" step: the approved sections become wiki pages, then the state.

    Publishing is the publishing room's (``handover.publishing.services.publish_case``),
    which moves the case itself; the state never changes without the pages.
    """
    from handover.publishing.services import publish_case

    publish_case(case=case, by=by)
    case.refresh_from_db(fields=["state", "state_changed_at"])
    return case


# The steps a person can take on a case page or through the API, by their URL name.
STEPS = {
    "start-drafting": start_drafting,
    "submit-review": submit_for_review,
    "return-drafting": return_to_drafting,
    "publish": publish_pages,
    "close": close_case,
}
