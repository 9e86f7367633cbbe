"""Reads of handover cases: who may see a case, in which role, and what their checklist says.

``get_case_for_user`` is the one access-checked getter; ``case_roles`` says in which
capacities a user sees a case. Managers and HR see the state and the checklist, never
which conversations or purposes the subject chose: those reads live in the consent room
and check for the subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.models import Membership
from handover.models import HandoverCase

SUBJECT = "subject"
SUCCESSOR = "successor"
MANAGER = "manager"
HR = "hr"
OPENER = "opener"

# The roles that oversee a case without seeing the subject's choices.
OVERSEER_ROLES = frozenset({MANAGER, HR, OPENER})


def _oversees_team_q(user: AbstractBaseUser) -> Q:
    overseer = Membership.objects.filter(
        team_id=OuterRef("team_id"),
        user=user,
        role__in=[Membership.Role.MANAGER, Membership.Role.HR],
    )
    return Q(Exists(overseer))


def visible_cases_q(user: AbstractBaseUser | AnonymousUser) -> Q:
    """Cases ``user`` may see: their own, ones they succeed in, opened or oversee."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return (
        Q(subject=user)
        | Q(opened_by=user)
        | Q(
            Exists(
                HandoverCase.successors.through.objects.filter(
                    handovercase_id=OuterRef("pk"), user_id=user.pk
                )
            )
        )
        | _oversees_team_q(user)
    )


def list_cases_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[HandoverCase]:
    """Cases the user may see, newest first, with their subject and team."""
    return (
        HandoverCase.objects.filter(visible_cases_q(user))
        .select_related("subject", "team", "opened_by", "space")
        .prefetch_related("successors")
        .order_by("-created_at", "-id")
    )


def list_cases_for_subject(*, user: AbstractBaseUser | None) -> QuerySet[HandoverCase]:
    """The cases in which ``user`` is the one leaving, any state, newest first."""
    if user is None or not user.is_authenticated:
        return HandoverCase.objects.none()
    return (
        HandoverCase.objects.filter(subject_id=user.pk)
        .select_related("subject", "team")
        .order_by("-created_at", "-id")
    )


def get_case_for_user(*, case_id: int, user: AbstractBaseUser | AnonymousUser) -> HandoverCase:
    """The case with ``case_id`` if ``user`` may see it, else 404 (never 403: no probing)."""
    case = list_cases_for_user(user=user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such handover case.")
    return case


def is_subject_of(*, case: HandoverCase, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether ``user`` is the person leaving in ``case``: the one rule for "only the subject"."""
    return user is not None and user.is_authenticated and user.pk == case.subject_id


def get_own_case_for_subject(
    *, case_id: int, user: AbstractBaseUser | AnonymousUser
) -> HandoverCase:
    """A case in which ``user`` is the subject, else 404: the subject-only pages and API."""
    case = get_case_for_user(case_id=case_id, user=user)
    if not is_subject_of(case=case, user=user):
        raise Http404("No such page.")
    return case


def case_roles(*, case: HandoverCase, user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    """Every capacity in which ``user`` takes part in ``case`` (empty: none)."""
    if not user.is_authenticated:
        return frozenset()
    roles: set[str] = set()
    if is_subject_of(case=case, user=user):
        roles.add(SUBJECT)
    if case.opened_by_id == user.pk:
        roles.add(OPENER)
    if any(successor.pk == user.pk for successor in case.successors.all()):
        roles.add(SUCCESSOR)
    team_roles = set(
        Membership.objects.filter(team_id=case.team_id, user=user).values_list("role", flat=True)
    )
    if Membership.Role.MANAGER in team_roles:
        roles.add(MANAGER)
    if Membership.Role.HR in team_roles:
        roles.add(HR)
    return frozenset(roles)


def may_open_case_for(*, team_id: int, subject: AbstractBaseUser, by: AbstractBaseUser) -> bool:
    """Whether ``by`` may open a case for ``subject`` in the team: themself, or its manager/HR."""
    if not Membership.objects.filter(team_id=team_id, user=subject).exists():
        return False
    if subject.pk == by.pk:
        return True
    return Membership.objects.filter(
        team_id=team_id, user=by, role__in=[Membership.Role.MANAGER, Membership.Role.HR]
    ).exists()


@dataclass(frozen=True)
class ChecklistItem:
    """One step of a case as a role sees it."""

    key: str
    label: str
    done: bool
    current: bool = False


def is_after_last_day(case: HandoverCase, today: date | None = None) -> bool:
    """Whether the subject's last day has passed."""
    return (today or timezone.localdate()) > case.last_day


_ORDER = [
    HandoverCase.State.OPENED,
    HandoverCase.State.CONSENTING,
    HandoverCase.State.DRAFTING,
    HandoverCase.State.REVIEW,
    HandoverCase.State.PUBLISHED,
    HandoverCase.State.CLOSED,
]


def _reached(case: HandoverCase, state: str) -> bool:
    if case.state == HandoverCase.State.WITHDRAWN:
        return False
    return _ORDER.index(case.state) >= _ORDER.index(state)


def build_checklist(
    *, case: HandoverCase, roles: frozenset[str], today: date | None = None
) -> list[ChecklistItem]:
    """The steps of the case as ``roles`` see them, from opening to after the last day.

    Overseers (manager, HR, opener) see only the state: no step says which conversations
    or purposes the subject chose.
    """
    from django.utils.translation import gettext as _

    from handover.consent.read import live_grants

    State = HandoverCase.State
    after = is_after_last_day(case, today)
    withdrawn = case.state == State.WITHDRAWN
    items: list[ChecklistItem] = [
        ChecklistItem("opened", _("The handover is opened"), True),
    ]
    if SUBJECT in roles:
        has_grant = live_grants(case=case).exists()
        items += [
            ChecklistItem(
                "imports", _("Import your own exports"), case.subject.import_sources.exists()
            ),
            ChecklistItem(
                "consent",
                _("Choose what to share and for what"),
                has_grant,
                current=case.state in (State.OPENED, State.CONSENTING),
            ),
            ChecklistItem(
                "redactions",
                _("Check what was redacted and what was left out"),
                _reached(case, State.DRAFTING),
            ),
            ChecklistItem(
                "personal_email",
                _("Register a personal e-mail address for after your last day"),
                bool(case.personal_email),
            ),
        ]
    else:
        items.append(
            ChecklistItem(
                "consenting",
                _("The person leaving decides what to share"),
                _reached(case, State.DRAFTING),
                current=case.state in (State.OPENED, State.CONSENTING),
            )
        )
    items += [
        ChecklistItem(
            "drafting",
            _("Handover pages are drafted"),
            _reached(case, State.REVIEW),
            current=case.state == State.DRAFTING,
        ),
        ChecklistItem(
            "review",
            _("The person leaving reviews and approves the drafts"),
            _reached(case, State.PUBLISHED),
            current=case.state == State.REVIEW,
        ),
        ChecklistItem(
            "published",
            _("The pages are published to the wiki"),
            _reached(case, State.PUBLISHED),
            current=case.state == State.PUBLISHED,
        ),
        ChecklistItem("last_day", _("The last day has passed"), after),
        ChecklistItem("closed", _("The handover is closed"), _reached(case, State.CLOSED)),
    ]
    if SUCCESSOR in roles and SUBJECT not in roles:
        items.append(
            ChecklistItem("read", _("Read the published pages"), _reached(case, State.PUBLISHED))
        )
    if withdrawn:
        items.append(
            ChecklistItem("withdrawn", _("The person leaving withdrew the handover"), True, True)
        )
    return items


def find_team_of_user(*, slug: str, user: AbstractBaseUser):  # noqa: ANN201
    """The team with ``slug`` that ``user`` belongs to, or None (for API input)."""
    from core.models import Team

    return Team.objects.filter(slug=slug, memberships__user=user).first()


def find_team_space(*, team, key: str):  # noqa: ANN001, ANN201
    """The team's wiki space with ``key``, or None: the only spaces a case publishes into."""
    from wiki.models import Space

    return Space.objects.filter(key=key, team=team).first()
