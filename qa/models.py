"""The Q&A index: passages (chunks) of wiki pages and of consented threads, their vectors
under each embedding model, and the keyword postings BM25 ranks them by."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField


class EmbeddingIndex(models.Model):
    """The vectors of every chunk under one embedding model.

    One index is ``active`` and answers queries. Changing the model builds a new index
    (``building``) in the background while the old one keeps answering; when it has
    every chunk it becomes active and the old one is ``retired`` and its vectors dropped.
    """

    class Status(models.TextChoices):
        BUILDING = "building", _("Building")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    model_name = models.CharField(max_length=300)
    model_path = models.CharField(max_length=1000)
    dimension = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BUILDING)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="qa_one_active_index"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="building"), name="qa_one_building_index"
            ),
            models.CheckConstraint(
                condition=Q(dimension__gt=0) & Q(dimension__lte=16000), name="qa_index_dimension"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_name} ({self.dimension}, {self.status})"

    @property
    def hnsw_index_name(self) -> str:
        return f"qa_embedding_hnsw_{self.pk}"


class Chunk(models.Model):
    """One passage the Q&A answers from, with what decides who may see it.

    A page chunk is a heading section of a wiki page (the page title prefixed); who
    may read it is decided by the page, live: its space's roles and whether it is
    deleted. A thread chunk is consented thread content the handover app pushed, with
    its consent as metadata: the grant it came under, the purpose, the expiry and the
    space whose readers may see it; ``searchable`` goes false in the same transaction
    as a withdrawal, and the ledger's purge deletes the row.
    """

    class Kind(models.TextChoices):
        PAGE = "page", _("Wiki page")
        THREAD = "thread", _("Thread")
        ENTRY = "entry", _("Answered question")
        PLUGIN = "plugin", _("From a plugin")

    # The consent purpose under which thread chunks may be searched (the ledger's "index").
    QA_PURPOSE = "index"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # "page:<id>" or what the pusher names its source; chunks of one source share it.
    source_key = models.CharField(max_length=200)
    ordinal = models.PositiveIntegerField(default=0)
    space = models.ForeignKey("wiki.Space", on_delete=models.CASCADE, related_name="+")
    # SET_NULL, not CASCADE: a purged page leaves its chunks for the indexer to remove, so
    # the keyword statistics are corrected with them; a chunk without a page never matches.
    page = models.ForeignKey(
        "wiki.Page", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    heading = models.CharField(max_length=300, blank=True)
    anchor = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    # What is embedded and keyword-indexed: the text with its title (and headings) prefixed.
    embed_text = models.TextField()
    url = models.CharField(max_length=1000, blank=True)
    owner_label = models.CharField(max_length=300, blank=True)
    # Who to ask when this chunk is the nearest match but does not answer (a thread's
    # successors); a page's owners are read from the page itself.
    contact_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    entry = models.ForeignKey(
        "AnswerEntry", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    # Consent metadata of a thread chunk (blank for a page chunk).
    consent_key = models.CharField(max_length=100, blank=True)
    purpose = models.CharField(max_length=32, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    searchable = models.BooleanField(default=True)
    # Whether an answer may show the text word for word (a thread's subject granted the
    # quote purpose); otherwise the chunk is cited, and its text withheld from answers.
    may_quote = models.BooleanField(default=True)
    # Keyword terms in the chunk (its BM25 document length).
    length = models.PositiveIntegerField(default=0)
    # Hash of what was embedded: an unchanged chunk keeps its vectors on reindex.
    content_sha256 = models.CharField(max_length=64)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source_key", "ordinal"]
        indexes = [
            models.Index(fields=["page"], name="qa_chunk_page_idx"),
            models.Index(fields=["consent_key"], name="qa_chunk_consent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "ordinal"], name="qa_chunk_unique"),
            models.CheckConstraint(
                condition=Q(kind="page", consent_key="", entry__isnull=True)
                | Q(kind="thread", page__isnull=True, entry__isnull=True)
                & ~Q(consent_key="")
                & ~Q(purpose="")
                | Q(kind="entry", page__isnull=True, consent_key="", entry__isnull=False)
                | Q(kind="plugin", page__isnull=True, consent_key="", entry__isnull=True),
                name="qa_chunk_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_key}#{self.ordinal}"


class ChunkEmbedding(models.Model):
    """A chunk's vector under one index (untyped: each index has its own dimension and an
    HNSW index of its own over ``embedding::vector(<dimension>)``)."""

    chunk = models.ForeignKey(Chunk, on_delete=models.CASCADE, related_name="embeddings")
    index = models.ForeignKey(EmbeddingIndex, on_delete=models.CASCADE, related_name="+")
    content_sha256 = models.CharField(max_length=64)
    embedding = VectorField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "chunk"], name="qa_embedding_unique"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.chunk_id} in index {self.index_id}"


class Term(models.Model):
    """A keyword lexeme (stemmed English, or a Chinese character pair) and in how many
    chunks it occurs: BM25's document frequency, kept up to date by the indexer."""

    text = models.CharField(max_length=200, unique=True)
    document_frequency = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.text


class Posting(models.Model):
    """How often a term occurs in a chunk."""

    pk = models.CompositePrimaryKey("term", "chunk")
    # Looked up by term through qa_posting_term_cover, which also holds what BM25 reads.
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Looked up by chunk through qa_posting_chunk_idx.
    chunk = models.ForeignKey(
        Chunk, on_delete=models.CASCADE, related_name="postings", db_index=False
    )
    frequency = models.PositiveIntegerField()
    # The chunk's length in terms (``Chunk.length``), copied so that BM25 scores a term's
    # postings without reading their chunks. Postings are rewritten whenever a chunk's text,
    # and so its length, changes.
    chunk_length = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["chunk"], name="qa_posting_chunk_idx"),
            # A keyword query reads a term's postings from the index alone (an index-only
            # scan): at 100,000 chunks, fetching a common term's rows from the table took
            # half of the query (bench/qa_speed.py).
            models.Index(
                fields=["term"],
                include=["chunk", "frequency", "chunk_length"],
                name="qa_posting_term_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term_id} in {self.chunk_id}: {self.frequency}"


class CorpusStats(models.Model):
    """The keyword index's totals, one row: BM25's N and average document length."""

    singleton = models.BooleanField(primary_key=True, default=True)
    chunks = models.BigIntegerField(default=0)
    total_length = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="qa_stats_singleton")
        ]

    def __str__(self) -> str:
        return f"{self.chunks} chunks"


class AnswerEntry(models.Model):
    """A verified answer a person wrote to a question the memory could not answer.

    Indexed like a page (kind ``entry``) in ``space``, readable to that space's readers,
    and preferred to other passages when it matches: the next asker gets it first.
    """

    question = models.TextField()
    answer = models.TextField()
    space = models.ForeignKey("wiki.Space", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.question[:80]


class Chat(models.Model):
    """One person's conversation with the memory: their questions and its answers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_chats"
    )
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """A question asked (in a chat, the API or a bot) and the answer it got, as shown."""

    class Feedback(models.TextChoices):
        NONE = "", _("No feedback")
        HELPFUL = "helpful", _("Helpful")
        NOT_HELPFUL = "not_helpful", _("Not helpful")

    class Surface(models.TextChoices):
        WEB = "web", _("Web chat")
        API = "api", _("REST API")
        SLACK = "slack", _("Slack")
        FEISHU = "feishu", _("Feishu/Lark")
        MCP = "mcp", _("AI assistant (MCP)")

    class Audience(models.TextChoices):
        ASKER = "asker", _("The asker")
        EVERYONE = "everyone", _("Everyone in a shared channel")

    chat = models.ForeignKey(
        Chat, on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qa_questions"
    )
    text = models.TextField()
    # The answer as it was shown: the service's answer shape, citations included.
    answer = models.JSONField(default=dict)
    confidence = models.FloatField(default=0.0)
    abstained = models.BooleanField(default=False)
    feedback = models.CharField(max_length=16, choices=Feedback.choices, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    surface = models.CharField(max_length=16, choices=Surface.choices, default=Surface.WEB)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ASKER)
    asked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asked_at", "id"]
        indexes = [models.Index(fields=["asked_by", "asked_at"], name="qa_question_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(feedback__in=["", "helpful", "not_helpful"]), name="qa_feedback_kind"
            ),
            models.CheckConstraint(
                condition=Q(surface__in=["web", "api", "slack", "feishu", "mcp"]),
                name="qa_question_surface",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=["asker", "everyone"]), name="qa_question_audience"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class KnowledgeRequest(models.Model):
    """A question the memory could not answer, handed to the people who may know."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="knowledge_request"
    )
    space = models.ForeignKey(
        "wiki.Space", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    routed_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="RequestRecipient", related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    entry = models.OneToOneField(
        AnswerEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="request"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "answered", "closed"]), name="qa_request_status"
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(entry__isnull=False),
                name="qa_request_answered_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"request {self.pk}: {self.status}"


class RequestRecipient(models.Model):
    """Someone a knowledge request was routed to, and whether they have seen it."""

    request = models.ForeignKey(KnowledgeRequest, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32)
    notified_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="qa_recipient_unique")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="qa_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.user_id} for request {self.request_id}"


class AssistantToken(models.Model):
    """A personal token an AI assistant (an MCP client) uses to ask on its owner's behalf.

    Only its SHA-256 is kept; the token itself is shown once, when it is created. It
    reads exactly what its owner may read, and stops working when revoked or when its
    owner is deactivated.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_tokens"
    )
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    # The first characters, shown in the list so that a person can tell tokens apart.
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ChatPlatform(models.TextChoices):
    SLACK = "slack", _("Slack")
    FEISHU = "feishu", _("Feishu/Lark")


class ChatWorkspace(models.Model):
    """A Slack workspace (team) or a Feishu/Lark tenant the bot has been asked from."""

    platform = models.CharField(max_length=16, choices=ChatPlatform.choices)
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="qa_chat_workspace_unique"
            ),
            models.CheckConstraint(
                condition=Q(platform__in=["slack", "feishu"]), name="qa_chat_workspace_platform"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name or self.external_id}"


class ChatAccount(models.Model):
    """A chat-platform user, and the Tacit user they proved they are (once linked).

    The bot answers an account only once it is linked, and then as that Tacit user.
    """

    workspace = models.ForeignKey(ChatWorkspace, on_delete=models.CASCADE, related_name="accounts")
    external_user_id = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_accounts",
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "external_user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_user_id"], name="qa_chat_account_unique"
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=True) & Q(linked_at__isnull=True))
                | (Q(user__isnull=False) & Q(linked_at__isnull=False)),
                name="qa_chat_account_linked_when_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workspace}: {self.display_name or self.external_user_id}"
