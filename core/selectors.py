"""Reads for accounts and teams, each scoped to what the user may see; the audit chain check."""

import hmac
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from core.audit_chain import GENESIS, audit_key, chain_digest
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


class ChainProblem(StrEnum):
    """What is wrong at the first broken link of the audit chain."""

    MISSING_SEQUENCE = "missing_sequence"
    DIGEST_MISMATCH = "digest_mismatch"
    PREV_DIGEST_MISMATCH = "prev_digest_mismatch"
    REORDERED = "reordered"


@dataclass(frozen=True)
class AuditChainBreak:
    """The first row at which the chain does not verify."""

    sequence: int
    event_id: int
    problem: ChainProblem
    message: str


@dataclass(frozen=True)
class AuditVerification:
    """The result of walking the audit chain: how far it verified, and where it broke."""

    rows_verified: int
    last_sequence: int
    broken: AuditChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


_CHAINED_FIELDS = (
    "id",
    "sequence",
    "actor_pk",
    "action",
    "target_type",
    "target_id",
    "scope",
    "details",
    "created_at",
    "prev_digest",
    "digest",
)


def verify_audit_chain(*, chunk_size: int = 2000) -> AuditVerification:
    """Walk the audit rows in sequence order and report the first broken link, if any.

    Reads the rows through a server-side cursor, ``chunk_size`` at a time, so memory stays
    flat however long the log. Each row must have the next sequence number (else a row is
    missing), a ``prev_digest`` equal to the digest of the row before it, and a ``digest``
    that the key recomputes from ``prev_digest`` and its hashed fields. A row that fails only
    the last check was changed in place; one that does not link was moved or inserted
    (``reordered`` when its own digest fails too, or when it was written before the row it
    follows: ids grow with the sequence). ``personal`` is not checked, so erasure is safe.
    Removing the newest rows leaves a shorter chain that verifies: compare
    ``last_sequence`` with a figure kept elsewhere to notice that.
    """
    key = audit_key()
    expected_sequence, expected_prev, previous_id = 1, GENESIS, 0
    rows = AuditEvent.objects.order_by("sequence").values_list(*_CHAINED_FIELDS, named=True)
    for row in rows.iterator(chunk_size=chunk_size):
        broken = _check_link(row, expected_sequence, expected_prev, previous_id, key)
        if broken is not None:
            return AuditVerification(expected_sequence - 1, expected_sequence - 1, broken)
        expected_sequence, expected_prev, previous_id = row.sequence + 1, row.digest, row.id
    return AuditVerification(expected_sequence - 1, expected_sequence - 1, None)


def _check_link(  # noqa: ANN001 - row is a named tuple of _CHAINED_FIELDS
    row, expected_sequence: int, expected_prev: str, previous_id: int, key: bytes
) -> AuditChainBreak | None:
    if row.sequence > expected_sequence:
        message = (
            f"sequence {expected_sequence} is missing (the next row, id {row.id}, "
            f"has sequence {row.sequence})"
        )
        return AuditChainBreak(expected_sequence, row.id, ChainProblem.MISSING_SEQUENCE, message)
    if row.sequence < expected_sequence:
        message = f"sequence {row.sequence} appears again"
        return AuditChainBreak(row.sequence, row.id, ChainProblem.REORDERED, message)
    recomputed = chain_digest(row, prev_digest=row.prev_digest, key=key)
    sound = hmac.compare_digest(recomputed, row.digest)
    links = hmac.compare_digest(row.prev_digest, expected_prev)
    if not links and (not sound or row.id < previous_id):
        message = (
            "the row neither follows the row before it nor matches its own digest"
            if not sound
            else f"the row was written before row id {previous_id}, which it follows"
        )
        message += ": rows were moved, renumbered or inserted here"
        return AuditChainBreak(row.sequence, row.id, ChainProblem.REORDERED, message)
    if not links:
        message = "its prev_digest is not the digest of the row before it"
        return AuditChainBreak(row.sequence, row.id, ChainProblem.PREV_DIGEST_MISMATCH, message)
    if not sound:
        message = "the row was changed after it was written"
        if expected_sequence == 1:
            message += " (or AUDIT_HMAC_KEY is not the key the log was written with)"
        return AuditChainBreak(row.sequence, row.id, ChainProblem.DIGEST_MISMATCH, message)
    return None
