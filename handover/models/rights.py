"""What a person is told was deleted for them: deletion receipts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeletionReceipt(models.Model):
    """What was deleted for a person, with counts and times, shown on their pages and e-mailed.

    ``items`` is a list of ``{"what": str, "count": int, "at": ISO 8601 time}``, one per
    kind of row or file removed. The receipt names no third party and holds no message text,
    so it may outlive what it describes.
    """

    class Kind(models.TextChoices):
        IMPORT_ERASURE = "import_erasure", _("An import deleted")
        CONSENT_WITHDRAWAL = "consent_withdrawal", _("Consent withdrawn")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deletion_receipts",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    summary = models.CharField(max_length=255)
    items = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["import_erasure", "consent_withdrawal"]),
                name="handover_receipt_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def total_removed(self) -> int:
        return sum(int(item.get("count", 0)) for item in self.items)


class SubjectAccessLink(models.Model):
    """A one-time, expiring sign-in link sent to a subject's personal e-mail address.

    Only the SHA-256 of the token is stored. A used link signs its holder into a
    session that reaches only the subject's own cases and rights pages.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_links"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"access link {self.pk} for user {self.user_id}"


class DataExport(models.Model):
    """A machine-readable export of what Tacit holds about one person, built by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    kinds_done = models.PositiveIntegerField(default=0)
    kinds_total = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=1024, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "ready", "failed"]),
                name="handover_export_status",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} for user {self.user_id} ({self.status})"

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.kinds_total:
            return 0
        return min(99, int(self.kinds_done * 100 / self.kinds_total))
