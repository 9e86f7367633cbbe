"""What protects people inside a case: prepared (redacted, pseudonymised) messages,
the redactions the subject reviews, and the keyed pseudonyms of third parties."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PreparedMessage(models.Model):
    """A message of a case as anything downstream may see it, if consent allows.

    ``text`` and ``subject_line`` are redacted, and every third party in them is
    replaced by their pseudonym; the subject is replaced by ``SUBJECT_TOKEN`` (see
    ``handover.privacy.services``), which the read path turns into their name only
    while they consent to attribution. Nothing reads these rows but
    ``handover.consent.read``.
    """

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="prepared_messages"
    )
    message = models.ForeignKey("handover.Message", on_delete=models.CASCADE, related_name="+")
    conversation_label = models.CharField(max_length=255)
    author_label = models.CharField(max_length=255, blank=True)
    author_is_subject = models.BooleanField(default=False)
    author_digest = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    subject_line = models.TextField(blank=True)
    out_of_scope_topic = models.CharField(max_length=32, blank=True)
    out_of_scope_phrase = models.CharField(max_length=120, blank=True)
    message_revision = models.PositiveIntegerField(
        default=1, help_text="The message's revision this copy was prepared from."
    )
    included_by_subject = models.BooleanField(
        default=False, help_text="The subject included it although it looked out of scope."
    )
    prepared_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["message__sent_at", "message_id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "message"], name="handover_prepared_unique"),
        ]

    def __str__(self) -> str:
        return f"prepared message {self.message_id} of case {self.case_id}"


class Redaction(models.Model):
    """Something personal or secret found in (or added to) one message of a case.

    ``start``/``end`` index the message's original text (``field`` says which one).
    ``masked`` is what the subject sees in the review list.
    """

    class Status(models.TextChoices):
        DETECTED = "detected", _("Redacted")
        RELEASED = "released", _("Released by you")
        ADDED = "added", _("Added by you")

    class Field(models.TextChoices):
        TEXT = "text", _("Text")
        SUBJECT = "subject", _("Subject line")

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="redactions"
    )
    message = models.ForeignKey("handover.Message", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=8, choices=Field.choices, default=Field.TEXT)
    kind = models.CharField(max_length=32)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    masked = models.CharField(max_length=120)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DETECTED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "message_id", "start"]
        indexes = [models.Index(fields=["case", "message"], name="handover_redaction_msg_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="handover_redaction_span"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["detected", "released", "added"]),
                name="handover_redaction_status",
            ),
            models.UniqueConstraint(
                fields=["case", "message", "field", "start", "end"],
                name="handover_redaction_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in message {self.message_id} ({self.status})"


class CasePseudonym(models.Model):
    """A third party's pseudonym in one case, found by a keyed digest of their person id."""

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="pseudonyms"
    )
    digest = models.CharField(max_length=64)
    index = models.PositiveIntegerField()
    label = models.CharField(max_length=64)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["case", "digest"], name="handover_pseudonym_digest"),
            models.UniqueConstraint(fields=["case", "index"], name="handover_pseudonym_index"),
        ]

    def __str__(self) -> str:
        return self.label
