"""Teams, memberships, the audit log and the rows that show the worker is alive."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A group of people who share spaces, handovers and a memory."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in a team."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        MANAGER = "manager", _("Manager")
        HR = "hr", _("HR")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="core_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["member", "manager", "hr"]),
                name="core_membership_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class AuditEvent(models.Model):
    """One sensitive action, written in the same transaction as the action itself.

    Rows are only ever inserted (``core.services.record_audit_event``), each chained to the
    one before by a keyed digest (``core.audit_chain``): ``sequence`` counts from 1 without
    gaps, ``prev_digest`` is the digest of the row before and ``digest`` covers this row's
    non-personal fields, so ``verify_audit`` finds a changed, removed or reordered row.
    ``target_type``/``target_id`` name the object acted on without a foreign key, so the
    record outlives what it describes. ``actor_pk`` is the hashed copy of the actor's id:
    the ``actor`` key becomes NULL when the account is deleted and the chain still verifies.
    ``details`` (hashed) holds only ids, counts, states and dates; names, titles, file names
    and free text go in ``personal``, which is not hashed and is emptied on erasure.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_pk = models.BigIntegerField(
        null=True, blank=True, help_text="The actor's id when the row was written (hashed)."
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    scope = models.CharField(
        max_length=128, blank=True, help_text="What the event belongs to, e.g. 'space:12'."
    )
    details = models.JSONField(default=dict, blank=True)
    personal = models.JSONField(
        default=dict, blank=True, help_text="Names, titles and free text; not hashed, erasable."
    )
    # Set by record_audit_event, not by the database: the value hashed is the value stored.
    created_at = models.DateTimeField(db_index=True)
    sequence = models.PositiveBigIntegerField(unique=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scope", "-created_at"], name="core_audit_scope_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="core_audit_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}: {self.action} {self.target_type}:{self.target_id}"


class WorkerHeartbeat(models.Model):
    """The last time a worker executed the periodic heartbeat task (one row per host)."""

    hostname = models.CharField(max_length=255, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class TaskProbe(models.Model):
    """A round trip through the broker, asked for from the web and answered by a worker."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    worker_hostname = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"probe {self.pk} ({'answered' if self.is_complete else 'waiting'})"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class RateCounter(models.Model):
    """How many times something was done in one fixed window (a rate limit's count).

    Kept in the database so that every web process and worker counts together; old
    windows are deleted hourly.
    """

    bucket = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "window_start"], name="core_rate_window")
        ]
        indexes = [models.Index(fields=["window_start"], name="core_rate_window_idx")]

    def __str__(self) -> str:
        return f"{self.bucket} @ {self.window_start:%Y-%m-%d %H:%M:%S}: {self.count}"
