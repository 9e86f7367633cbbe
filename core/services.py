"""Writes for accounts, teams, the audit log and worker health."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.authtoken.models import Token

from core.audit_chain import CHAIN_LOCK_ID, GENESIS, audit_key, canonical_details, chain_digest
from core.models import AuditEvent, Membership, TaskProbe, Team, WorkerHeartbeat

User = get_user_model()


def record_audit_event(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    target: object,
    scope: str = "",
    details: dict | None = None,
    personal: dict | None = None,
) -> AuditEvent:
    """Append one row to the audit chain; call it inside the transaction of the action.

    ``details`` is hashed and holds only ids, counts, states and dates (no floats);
    ``personal`` holds names, titles, file names and free text, is not hashed, and is
    emptied by ``erase_audit_personal_data``.

    The chain's end is serialised by a transaction-level advisory lock, taken before the
    last digest is read and released when the caller's transaction ends. Its cost: every
    transaction that writes an audit row waits for the others from that write to their
    commit, so write the audit row late in the transaction (the row itself costs three
    statements: the lock, reading the last row, the insert). A rolled-back transaction
    takes its row with it, and the next row reuses the number: the sequence has no gaps.
    """
    plain_details = canonical_details(details or {})
    actor = actor if actor is not None and actor.is_authenticated else None
    # No savepoint: inside the caller's transaction the lock and the row are simply part of
    # it; without one, this block is the transaction that holds the lock.
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])
        last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "digest").first()
        sequence, prev_digest = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            actor=actor,
            actor_pk=actor.pk if actor is not None else None,
            action=action,
            target_type=type(target).__name__.lower(),
            target_id=str(getattr(target, "pk", "")),
            scope=scope,
            details=plain_details,
            personal=personal or {},
            created_at=timezone.now(),
            sequence=sequence,
            prev_digest=prev_digest,
        )
        event.digest = chain_digest(event, prev_digest=prev_digest, key=audit_key())
        event.save(force_insert=True)
    return event


@transaction.atomic
def erase_audit_personal_data(*, user: AbstractBaseUser) -> int:
    """Empty ``personal`` on the audit rows about ``user``; return how many changed.

    A row is about the user when they were its actor (``actor_pk``, which outlives the
    account), when they are its target, or when its ``details`` name them as ``user_id``
    (role and membership changes). ``personal`` is not hashed, so the chain still verifies.
    The erasure writes an audit row of its own, with the count. Call it before the account
    is deleted: a deleted user has no pk left to match by.
    """
    if user.pk is None:
        # actor_pk=None would match every row without an actor.
        raise ValueError("erase_audit_personal_data needs a saved user (erase before deleting).")
    about_user = (
        Q(actor_pk=user.pk)
        | Q(target_type=type(user).__name__.lower(), target_id=str(user.pk))
        | Q(details__user_id=user.pk)
    )
    erased = AuditEvent.objects.filter(about_user).exclude(personal={}).update(personal={})
    record_audit_event(
        actor=None,
        action="audit.personal_erased",
        target=user,
        scope=f"user:{user.pk}",
        details={"rows": erased},
    )
    return erased


@transaction.atomic
def create_team(*, name: str, by: AbstractBaseUser | None, slug: str = "") -> Team:
    """Create a team; its creator, when given, becomes its manager."""
    team = Team.objects.create(name=name, slug=slug or slugify(name))
    if by is not None:
        Membership.objects.create(team=team, user=by, role=Membership.Role.MANAGER)
    record_audit_event(actor=by, action="team.created", target=team, scope=f"team:{team.pk}")
    return team


@transaction.atomic
def add_team_member(
    *, team: Team, user: AbstractBaseUser, role: str, by: AbstractBaseUser | None
) -> Membership:
    """Add ``user`` to ``team`` or change their role there."""
    membership, _created = Membership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    record_audit_event(
        actor=by,
        action="team.member_set",
        target=team,
        scope=f"team:{team.pk}",
        details={"user_id": user.pk, "role": role},
    )
    return membership


@transaction.atomic
def issue_api_token(*, user: AbstractBaseUser) -> Token:
    """The user's API token, made on first use; each hand-out writes an audit row."""
    token, created = Token.objects.get_or_create(user=user)
    record_audit_event(
        actor=user,
        action="auth.token_issued",
        target=user,
        scope=f"user:{user.pk}",
        details={"created": created},
    )
    return token


def record_worker_heartbeat(*, hostname: str) -> WorkerHeartbeat:
    """Note that the worker on ``hostname`` has just executed a task."""
    heartbeat, _created = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"beat_at": timezone.now()}
    )
    return heartbeat


def request_task_probe(*, by: AbstractBaseUser) -> TaskProbe:
    """Create a probe and send it to a worker once the row is committed."""
    from core.tasks import complete_task_probe_task

    with transaction.atomic():
        probe = TaskProbe.objects.create(requested_by=by)
        transaction.on_commit(lambda: complete_task_probe_task.delay(probe.pk))
    return probe


def complete_task_probe(*, probe_id: int, hostname: str) -> TaskProbe | None:
    """Mark the probe answered by ``hostname``; a second delivery changes nothing."""
    updated = TaskProbe.objects.filter(pk=probe_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker_hostname=hostname
    )
    if not updated:
        return TaskProbe.objects.filter(pk=probe_id).first()
    return TaskProbe.objects.get(pk=probe_id)


@dataclass(frozen=True)
class DemoWorkspace:
    """What ``seed_demo_workspace`` made or found."""

    username: str
    password: str
    team: Team
    created: bool


DEMO_USERNAME = "demo"
DEMO_PASSWORD = "tacit-demo"  # noqa: S105 - a published demo login, printed by `make run`


@transaction.atomic
def seed_demo_workspace() -> DemoWorkspace:
    """Create the demo login and team once; a second call finds them and adds nothing."""
    user = User.objects.filter(username=DEMO_USERNAME).first()
    if user is not None:
        team = Team.objects.get(slug="demo-team")
        return DemoWorkspace(DEMO_USERNAME, DEMO_PASSWORD, team, created=False)
    user = User.objects.create_user(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        email="demo@example.com",
        first_name="Demo",
        last_name="User",
        is_staff=True,
        is_superuser=True,
    )
    team = create_team(name="Demo team", slug="demo-team", by=user)
    for username, first_name in (("ana", "Ana"), ("bo", "Bo"), ("chen", "Chen")):
        member = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, first_name=first_name
        )
        add_team_member(team=team, user=member, role=Membership.Role.MEMBER, by=user)
    return DemoWorkspace(DEMO_USERNAME, DEMO_PASSWORD, team, created=True)
