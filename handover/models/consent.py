"""The consent ledger: the subject's grants per purpose and scope, third parties' own
consent to be named, and the purge jobs that follow a withdrawal."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """What consented content may be used for; each is opted into separately."""

    PUBLISH = "publish", _("Publish handover pages to the wiki")
    INDEX = "index", _("Index for questions and answers")
    QUOTE = "quote", _("Quote my messages word for word in answers")
    ATTRIBUTE = "attribute", _("Name me as the source")
    RHYTHMS = "rhythms", _("Include in team-level working rhythms")
    EXTERNAL_PROCESSOR = "external_processor", _("Let the configured external processor read it")


PURPOSE_VALUES = [value for value, _label in Purpose.choices]
# A purpose a plugin declares is stored as "plugin:<key>" (``handover.consent.purposes``).
PLUGIN_PURPOSE_PATTERN = r"^plugin:[a-z0-9][a-z0-9-]{0,39}$"


class ConsentGrant(models.Model):
    """The subject's consent to one purpose over one scope, under the exact terms shown.

    Rows are never edited except to end them: narrowing a scope ends the grant
    (``end_reason="narrowed"``) and writes its successor (``supersedes``). A grant
    is live while it has not ended, has not expired and was given under the current
    terms version; ``handover.consent.read`` is the only place that decides it.
    """

    class EndReason(models.TextChoices):
        WITHDRAWN = "withdrawn", _("Withdrawn")
        NARROWED = "narrowed", _("Narrowed")
        RENEWED = "renewed", _("Renewed")

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="grants"
    )
    grantor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_grants"
    )
    # One of ``Purpose`` or a plugin's "plugin:<key>"; titles come from
    # ``handover.consent.purposes.title_of``.
    purpose = models.CharField(max_length=64)
    terms_version = models.CharField(max_length=32)
    terms_language = models.CharField(max_length=8)
    terms_text = models.TextField(help_text="The exact terms the subject was shown.")
    terms_sha256 = models.CharField(max_length=64)
    conversations = models.ManyToManyField(
        "handover.Conversation", through="ConsentScopeConversation", related_name="+"
    )
    excluded_threads = models.ManyToManyField(
        "handover.Thread", through="ConsentExcludedThread", related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded_by"
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["case", "purpose"], name="handover_grant_case_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "purpose"],
                condition=models.Q(ended_at__isnull=True),
                name="handover_grant_one_open_per_purpose",
            ),
            models.CheckConstraint(
                condition=models.Q(purpose__in=PURPOSE_VALUES)
                | models.Q(purpose__regex=PLUGIN_PURPOSE_PATTERN),
                name="handover_grant_purpose",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True, end_reason="")
                | models.Q(ended_at__isnull=False) & ~models.Q(end_reason=""),
                name="handover_grant_end_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("granted_at")),
                name="handover_grant_expiry_after_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk}: {self.purpose} for case {self.case_id}"


class ConsentScopeConversation(models.Model):
    """A conversation a grant covers."""

    grant = models.ForeignKey(ConsentGrant, on_delete=models.CASCADE, related_name="scope_rows")
    conversation = models.ForeignKey(
        "handover.Conversation", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "conversation"], name="handover_scope_conversation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.grant_id} covers conversation {self.conversation_id}"


class ConsentExcludedThread(models.Model):
    """A thread the subject unticked inside a covered conversation."""

    grant = models.ForeignKey(
        ConsentGrant, on_delete=models.CASCADE, related_name="excluded_thread_rows"
    )
    thread = models.ForeignKey("handover.Thread", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grant", "thread"], name="handover_excluded_unique"),
        ]

    def __str__(self) -> str:
        return f"grant {self.grant_id} leaves out thread {self.thread_id}"


class NamingConsent(models.Model):
    """A third party's own consent to be named, and quoted, in one handover case."""

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="naming_consents"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="naming_consents"
    )
    terms_version = models.CharField(max_length=32)
    terms_text = models.TextField()
    terms_sha256 = models.CharField(max_length=64)
    granted_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="handover_naming_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"naming consent of user {self.user_id} in case {self.case_id}"


class PurgeJob(models.Model):
    """The removal of every derived copy after a withdrawal, until done.

    Written in the transaction of the withdrawal; a worker runs it and a sweeper sends
    it again while it is pending or its heartbeat stopped. ``results`` maps each purge
    step's name to what it removed (``{"count": n, "at": iso}``), so a re-run skips
    the steps already done.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.SET_NULL, null=True, related_name="purge_jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    scope = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=32, blank=True)
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    receipt = models.OneToOneField(
        "handover.DeletionReceipt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="purge_job",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="handover_purge_status_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "done"]),
                name="handover_purge_status",
            ),
        ]

    def __str__(self) -> str:
        return f"purge {self.pk} ({self.status})"
