"""Imported exports and what they contain: sources, people, conversations, threads, messages.

Everything imported belongs to the user who imported it (``owner``). Who else
may read it is decided in ``handover.imports.selectors`` only; the models hold fields
and constraints.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

# The full-text configuration of the message search column. 'simple' neither
# stems nor drops stop words, so it treats every language alike (exports mix
# English, German, Chinese...). CJK text has no spaces between words, so the
# importer adds its character unigrams and bigrams to ``cjk_terms`` (the
# pg_bigm idea; the embedded PostgreSQL ships no pg_trgm).
SEARCH_CONFIG = "simple"


class Source(models.Model):
    """One export a user handed in, and the state of its import.

    ``checkpoint`` is the number of records of the export (in the importer's
    deterministic order) whose effects are committed; a resumed import skips
    that many records. ``heartbeat_at`` is written with every batch so a
    sweeper can tell a running import from one whose worker died.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_sources"
    )
    format = models.CharField(_("format"), max_length=32)
    original_name = models.CharField(_("file name"), max_length=255)
    path = models.CharField(
        max_length=1024, help_text="Absolute path of the stored upload or the server-side export."
    )
    is_upload = models.BooleanField(
        default=True, help_text="Stored under MEDIA_ROOT/imports/ (and deleted with the source)."
    )
    upload_deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the stored upload was deleted after a successful import (retention).",
    )
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    records_done = models.BigIntegerField(default=0)
    messages_done = models.BigIntegerField(default=0)
    messages_total = models.BigIntegerField(null=True, blank=True)
    bytes_done = models.BigIntegerField(
        default=0, help_text="Bytes of the export the importer has read (for progress)."
    )
    bytes_total = models.BigIntegerField(default=0)
    checkpoint = models.BigIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="handover_source_owner_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="handover_source_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["uploaded", "queued", "running", "succeeded", "failed", "cancelled"]
                ),
                name="handover_source_status",
            ),
            models.CheckConstraint(
                condition=models.Q(checkpoint__gte=0), name="handover_source_checkpoint"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.format}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {
            self.Status.SUCCEEDED,
            self.Status.FAILED,
            self.Status.CANCELLED,
        }

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def upload_deleted(self) -> bool:
        """The uploaded file is gone (kept only ``IMPORT_UPLOAD_RETENTION_DAYS`` after success)."""
        return self.upload_deleted_at is not None

    @property
    def percent_done(self) -> int | None:
        """How far the import is: by messages when their total is known, else by bytes read."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        if self.messages_total:
            return min(100, int(self.messages_done * 100 / self.messages_total))
        if self.bytes_total:
            # 99 at most: the last batch is still to be written when everything is read.
            return min(99, int(self.bytes_done * 100 / self.bytes_total))
        return None


class Person(models.Model):
    """A participant of the owner's imported conversations, across sources.

    People are matched by platform identity, then by e-mail address. They are
    scoped to the owner so one user's import never reveals names from
    another's. ``merged_into`` points at the person this one was merged into.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_people"
    )
    display_name = models.CharField(_("name"), max_length=255, blank=True)
    email = models.CharField(_("e-mail"), max_length=320, blank=True)
    handles = models.JSONField(default=list, blank=True)
    is_bot = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_people"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["owner", "email"], name="handover_person_email_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="handover_person_not_self"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or f"person {self.pk}"


class PersonIdentity(models.Model):
    """One way a platform names a person (a Slack user id, an e-mail address)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identities")
    platform = models.CharField(max_length=32)
    external_key = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "platform", "external_key"], name="handover_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_key}"


class Conversation(models.Model):
    """A channel, direct chat or mailing list of the owner's archive.

    Identified by (owner, platform, external key) so a later export of the same
    workspace lands in the same conversation.
    """

    class Kind(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        DIRECT = "direct", _("Direct chat")
        GROUP = "group", _("Group chat")
        MAILING_LIST = "mailing_list", _("Mailing list")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_conversations"
    )
    platform = models.CharField(max_length=32)
    external_key = models.CharField(max_length=255)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHANNEL)
    topic = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "platform", "external_key"], name="handover_conversation_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Thread(models.Model):
    """A root message and its replies, keyed by the root's export id."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="threads")
    root_key = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "root_key"], name="handover_thread_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.root_key}"


class Message(models.Model):
    """One imported message; ``external_id`` is the export's own id within its conversation."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        BOT = "bot", _("Bot")
        SYSTEM = "system", _("System")

    # The composite indexes below lead with these columns, so the plain FK indexes
    # would only slow down imports.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    external_id = models.CharField(max_length=255)
    author = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    sent_at = models.DateTimeField()
    text = models.TextField(blank=True)
    raw = models.TextField(blank=True)
    subject = models.TextField(blank=True)
    reply_to_key = models.CharField(max_length=255, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    attachments = models.JSONField(default=list, blank=True)
    reactions = models.JSONField(default=dict, blank=True)
    cjk_terms = models.TextField(
        blank=True, help_text="CJK unigrams and bigrams of subject and text, for search."
    )
    content_hash = models.CharField(max_length=32)
    revision = models.PositiveIntegerField(
        default=1, help_text="Raised each time a later import changed the message."
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    search_vector = models.GeneratedField(
        expression=SearchVector(
            Coalesce("subject", models.Value(""), output_field=models.TextField()),
            Coalesce("text", models.Value(""), output_field=models.TextField()),
            Coalesce("cjk_terms", models.Value(""), output_field=models.TextField()),
            config=SEARCH_CONFIG,
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [
            models.Index(fields=["thread", "sent_at"], name="handover_message_thread_idx"),
            models.Index(fields=["conversation", "sent_at"], name="handover_message_conv_idx"),
            GinIndex(fields=["search_vector"], name="handover_message_search_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="handover_message_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.external_id}"

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None or self.revision > 1
