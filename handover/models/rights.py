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
