"""Drafts of a handover: the drafting run, its topics, sections, cited sentences, the
interview and the successors' questions.

A draft is a proposal until the subject approves it: every section and sentence starts
``proposed``; only ``approved`` ones are published. Every sentence drawn from threads
cites the messages it came from (``DraftCitation``); an interview answer's sentences
have the subject as their source and cite nothing.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField


class DraftRun(models.Model):
    """One drafting of a case: read the consented threads, embed, cluster, write sections.

    Runs like an import: claimed with a compare-and-set on ``run_token``, a heartbeat
    with every batch, a sweeper that sends a run again when its heartbeat stops, and a
    checkpoint in the rows it wrote (threads already embedded, topics already written),
    so a run resumes after a worker dies. ``cancel_requested`` is read between batches.
    The case's draft is the newest succeeded run's.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Phase(models.TextChoices):
        READING = "reading", _("Reading and embedding threads")
        CLUSTERING = "clustering", _("Finding topics")
        WRITING = "writing", _("Writing sections")
        DONE = "done", _("Done")

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="draft_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.READING)
    threads_total = models.PositiveIntegerField(null=True, blank=True)
    threads_done = models.PositiveIntegerField(default=0)
    messages_done = models.PositiveIntegerField(default=0)
    topics_total = models.PositiveIntegerField(null=True, blank=True)
    topics_done = models.PositiveIntegerField(default=0)
    run_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="handover_draftrun_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["queued", "running", "succeeded", "failed", "cancelled"]
                ),
                name="handover_draftrun_status",
            ),
            models.CheckConstraint(
                condition=models.Q(phase__in=["reading", "clustering", "writing", "done"]),
                name="handover_draftrun_phase",
            ),
            # One drafting at a time per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["queued", "running"]),
                name="handover_draftrun_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"draft run {self.pk} of case {self.case_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        """Progress over the three phases: reading counts 80 %, writing 20 %."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        reading = (self.threads_done / self.threads_total) if self.threads_total else 0.0
        writing = (self.topics_done / self.topics_total) if self.topics_total else 0.0
        if self.phase == self.Phase.READING:
            return int(80 * reading)
        if self.phase == self.Phase.CLUSTERING:
            return 80
        return min(99, 80 + int(20 * writing))


class DraftTopic(models.Model):
    """A cluster of consented threads that one section is written about.

    ``title`` is drawn from the topic's own text; when the subject renames it,
    ``title_edited`` keeps a later rewrite from replacing their words.
    """

    run = models.ForeignKey(DraftRun, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(_("title"), max_length=200)
    title_edited = models.BooleanField(default=False)
    keywords = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class DraftThread(models.Model):
    """A consented thread as the run read it: its embedding and the topic it belongs to.

    The rows are the run's checkpoint of the reading phase. ``central_message_ids``
    are the thread's messages nearest its own mean, best first: the summary's candidates.
    """

    run = models.ForeignKey(DraftRun, on_delete=models.CASCADE, related_name="threads")
    thread = models.ForeignKey("handover.Thread", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        "handover.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(
        DraftTopic, on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    embedding = VectorField()
    message_count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    central_message_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    label = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["first_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "thread"], name="handover_draftthread_unique"),
        ]

    def __str__(self) -> str:
        return f"thread {self.thread_id} in draft run {self.run_id}"


class InterviewQuestion(models.Model):
    """A prompt of the subject's interview: one of the built-in ones, or a successor's own.

    ``key`` names a built-in prompt (its words live in ``handover.drafting.interview``);
    a successor's question has no key and its own ``text``. The subject's answer is
    kept here and becomes a section with the subject as its source.
    """

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="interview_questions"
    )
    key = models.SlugField(max_length=50, blank=True)
    text = models.TextField(blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "key"],
                condition=~models.Q(key=""),
                name="handover_interview_key_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(key="") | ~models.Q(text=""),
                name="handover_interview_has_prompt",
            ),
        ]

    def __str__(self) -> str:
        return f"interview question {self.pk} of case {self.case_id}"


class DraftSection(models.Model):
    """One proposed handover page: about a topic, an interview answer, or from a plugin.

    Sections of a topic belong to the run that wrote them; interview sections and those a
    plugin proposed (``tacit_draft_sections``: ``plugin_key`` names the plugin and its
    key, ``source_note`` says where it came from) belong to the case (``run`` empty) and
    outlive a redrafting. Only an ``approved`` section is published, and only its
    ``approved`` sentences.
    """

    class Kind(models.TextChoices):
        TOPIC = "topic", _("From threads")
        INTERVIEW = "interview", _("From the interview")
        PLUGIN = "plugin", _("From a plugin")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        DROPPED = "dropped", _("Dropped")

    class RewriteState(models.TextChoices):
        NONE = "", _("Not asked")
        PENDING = "pending", _("Waiting for the worker")
        RUNNING = "running", _("Being rewritten")
        DONE = "done", _("Rewritten")
        FAILED = "failed", _("Not rewritten")

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="draft_sections"
    )
    run = models.ForeignKey(
        DraftRun, on_delete=models.CASCADE, null=True, blank=True, related_name="sections"
    )
    topic = models.OneToOneField(
        DraftTopic, on_delete=models.CASCADE, null=True, blank=True, related_name="section"
    )
    question = models.OneToOneField(
        InterviewQuestion,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="section",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOPIC)
    plugin_key = models.CharField(max_length=200, blank=True)
    source_note = models.CharField(max_length=300, blank=True)
    # The title a plugin proposed, to tell a rename by the subject from the plugin's own.
    proposed_title = models.CharField(max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    position = models.PositiveIntegerField(default=0)
    rewritten = models.BooleanField(
        default=False, help_text="Rewritten by the configured external processor."
    )
    # The subject's latest request for that rewrite: the worker's progress and outcome.
    rewrite_state = models.CharField(
        max_length=16, choices=RewriteState.choices, default=RewriteState.NONE, blank=True
    )
    rewrite_message = models.TextField(blank=True)
    rewrite_requested_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["topic", "interview", "plugin"]),
                name="handover_section_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "approved", "dropped"]),
                name="handover_section_status",
            ),
            models.CheckConstraint(
                condition=models.Q(rewrite_state__in=["", "pending", "running", "done", "failed"]),
                name="handover_section_rewrite_state",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="topic", question__isnull=True, plugin_key="")
                | models.Q(
                    kind="interview", topic__isnull=True, question__isnull=False, plugin_key=""
                )
                | models.Q(kind="plugin", topic__isnull=True, question__isnull=True, run=None)
                & ~models.Q(plugin_key=""),
                name="handover_section_source",
            ),
            models.UniqueConstraint(
                fields=["case", "plugin_key"],
                condition=models.Q(kind="plugin"),
                name="handover_section_one_per_plugin_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DraftSentence(models.Model):
    """One sentence of a section, in one of its parts, with where it came from.

    ``original_text`` is what the drafter wrote; ``text`` is what the subject kept or
    edited. ``details`` holds a part's own fields: a decision's ``reason``,
    ``alternatives`` and ``decided_at``; an open item's ``waiting`` (a pseudonym or a
    consenting name); a resource's ``url`` and ``kind``; a duty's ``cadence``.
    """

    class Part(models.TextChoices):
        SUMMARY = "summary", _("Summary")
        DECISION = "decision", _("Decisions and their reasons")
        OPEN_ITEM = "open_item", _("Open questions and unfinished work")
        RESOURCE = "resource", _("Resources")
        PERSON = "person", _("People to ask")
        DUTY = "duty", _("Recurring duties")
        ANSWER = "answer", _("In their own words")
        CONTRIBUTED = "contributed", _("Written by the team")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        DROPPED = "dropped", _("Dropped")

    section = models.ForeignKey(DraftSection, on_delete=models.CASCADE, related_name="sentences")
    part = models.CharField(max_length=16, choices=Part.choices)
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    original_text = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    details = models.JSONField(default=dict, blank=True)
    messages = models.ManyToManyField("handover.Message", through="DraftCitation", related_name="+")

    class Meta:
        ordering = ["section_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    part__in=[
                        "summary",
                        "decision",
                        "open_item",
                        "resource",
                        "person",
                        "duty",
                        "answer",
                        "contributed",
                    ]
                ),
                name="handover_sentence_part",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "approved", "dropped"]),
                name="handover_sentence_status",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def edited(self) -> bool:
        return self.text != self.original_text


class DraftCitation(models.Model):
    """A message a sentence was drawn from."""

    sentence = models.ForeignKey(DraftSentence, on_delete=models.CASCADE, related_name="citations")
    message = models.ForeignKey("handover.Message", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sentence_id", "position", "id"]
        indexes = [models.Index(fields=["message"], name="handover_citation_message_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["sentence", "message"], name="handover_citation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"sentence {self.sentence_id} cites message {self.message_id}"


class DraftComment(models.Model):
    """A successor's (or the subject's) question or note on a section of the draft."""

    section = models.ForeignKey(DraftSection, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on section {self.section_id}"
