"""Reads for accounts and teams, each scoped to what the user may see."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from core.models import AuditEvent, Membership, TaskProbe, Team


def find_user_by_username(*, username: str) -> AbstractBaseUser | None:
    """The account with exactly this username, or None (for the command line and forms)."""
    return get_user_model().objects.filter(username=username).first()


def list_teams_for_user(*, user: AbstractBaseUser) -> QuerySet[Team]:
    """Teams the user belongs to (all teams for staff), members prefetched."""
    teams = Team.objects.prefetch_related("memberships__user")
    if user.is_staff:
        return teams.all()
    return teams.filter(memberships__user=user).distinct()


def get_team_for_user(*, slug: str, user: AbstractBaseUser) -> Team:
    """The team with ``slug`` if the user may see it, else 404."""
    team = list_teams_for_user(user=user).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def list_team_memberships(*, team: Team) -> QuerySet[Membership]:
    """A team's (already access-checked) memberships with their users, by username."""
    return team.memberships.select_related("user").order_by("user__username")


def get_task_probe_for_user(*, probe_id: int, user: AbstractBaseUser) -> TaskProbe:
    """A probe the user asked for (any probe for staff), else 404."""
    probes = TaskProbe.objects.all()
    if not user.is_staff:
        probes = probes.filter(requested_by=user)
    probe = probes.filter(pk=probe_id).first()
    if probe is None:
        raise Http404("No such probe.")
    return probe


def list_audit_events(*, scope: str) -> QuerySet[AuditEvent]:
    """Audit rows of one scope, newest first; callers check who may read them."""
    return AuditEvent.objects.filter(scope=scope).select_related("actor")
