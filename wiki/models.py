"""Spaces, pages, append-only revisions, links, attachments and the rows around them.

Fields and database constraints only; every write lives in ``wiki.services`` and every
read that depends on who is asking lives in ``wiki.selectors``.

Search: ``Page.search_vector`` is a tsvector (title weight A, body weight B) built with the
``english`` configuration, because most pages are English prose and stemming lets "deploying"
find "deploy". PostgreSQL's parsers do not segment Chinese, so the services feed runs of CJK
characters to the vector as overlapping bigrams (what Lucene's CJK analyzer does); a Chinese
query is cut the same way, and the GIN index serves both. ``Page.search_text`` keeps title and
body as plain text for an ILIKE fallback on fragments of words; migration 0002 adds a pg_trgm
GIN index on it where the server has pg_trgm (the embedded PostgreSQL ships without it).
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SEARCH_CONFIG = "english"


class Role(models.TextChoices):
    """What a person may do in a space; each role includes the ones before it."""

    # "Admin" is also the nav link to Django's admin site: the context tells them apart.
    READER = "reader", pgettext_lazy("space role", "Reader")
    EDITOR = "editor", pgettext_lazy("space role", "Editor")
    ADMIN = "admin", pgettext_lazy("space role", "Admin")


ROLE_RANK = {Role.READER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class Space(models.Model):
    """A team's wiki: a tree of pages with its own readers, editors and admins."""

    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(_("key"), max_length=64, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_private = models.BooleanField(
        _("private"),
        default=True,
        help_text=_("Only people and teams with a role can see a private space."),
    )
    team = models.ForeignKey(
        "core.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="spaces",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_scope(self) -> str:
        return f"space:{self.pk}"


class SpaceRole(models.Model):
    """A role in a space granted to exactly one user or one team."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="space_roles",
    )
    team = models.ForeignKey(
        "core.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="space_roles"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, team__isnull=True)
                    | models.Q(user__isnull=True, team__isnull=False)
                ),
                name="wiki_spacerole_user_xor_team",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["reader", "editor", "admin"]),
                name="wiki_spacerole_role_valid",
            ),
            models.UniqueConstraint(
                fields=["space", "user"],
                condition=models.Q(user__isnull=False),
                name="wiki_spacerole_unique_user",
            ),
            models.UniqueConstraint(
                fields=["space", "team"],
                condition=models.Q(team__isnull=False),
                name="wiki_spacerole_unique_team",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} is {self.role} in {self.space}"


class Tag(models.Model):
    """A label on pages, shared by all spaces."""

    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Page(models.Model):
    """A page in a space's tree; its text lives in its revisions.

    ``path`` is the slash-joined chain of slugs from the root, kept by the services when a
    page or one of its ancestors moves; old paths live on as ``PageRedirect`` rows.
    """

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="pages")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)
    path = models.CharField(max_length=1000)
    current_revision = models.OneToOneField(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="owned_wiki_pages"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="pages")
    review_by = models.DateField(_("review by"), null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    search_vector = SearchVectorField(null=True, editable=False)
    title_vector = SearchVectorField(null=True, editable=False)
    search_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "parent", "slug"],
                condition=models.Q(deleted_at__isnull=True),
                nulls_distinct=False,
                name="wiki_page_unique_slug_in_parent",
            ),
            models.UniqueConstraint(
                "space",
                "path",
                condition=models.Q(deleted_at__isnull=True),
                name="wiki_page_unique_path",
            ),
            # [[Title]] links name pages by title, so a title is unique in its space.
            models.UniqueConstraint(
                "space",
                Lower("title"),
                condition=models.Q(deleted_at__isnull=True),
                name="wiki_page_unique_title",
            ),
            models.CheckConstraint(condition=~models.Q(slug=""), name="wiki_page_slug_not_empty"),
        ]
        indexes = [
            # fastupdate off: a wiki writes rarely, and a long pending list makes the planner
            # (rightly) avoid the index until the next vacuum.
            GinIndex(fields=["search_vector"], name="wiki_page_search_gin", fastupdate=False),
            GinIndex(fields=["title_vector"], name="wiki_page_title_gin", fastupdate=False),
            models.Index(fields=["space", "review_by"], name="wiki_page_review_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PageRedirect(models.Model):
    """An old path of a page, kept so links to it still arrive after a move or rename."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="redirects")
    old_path = models.CharField(max_length=1000)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "old_path"], name="wiki_redirect_unique")
        ]

    def __str__(self) -> str:
        return f"{self.old_path} -> {self.page_id}"


class Revision(models.Model):
    """One saved text of a page; rows are only ever inserted.

    ``rendered_html`` and ``toc`` are filled when the revision is saved, so viewing a page
    never renders Markdown. ``base_revision`` is what the author started from; when it was
    not the page's latest revision the text was merged and ``merged`` is set.
    """

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    body = models.TextField(blank=True)
    summary = models.CharField(_("edit summary"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    base_revision = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged = models.BooleanField(default=False)
    rendered_html = models.TextField(blank=True)
    toc = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="wiki_revision_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="wiki_revision_number"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} r{self.number}"


class PageLink(models.Model):
    """A [[wikilink]] from a page's current revision, to a page or to a missing title."""

    from_page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="outgoing_links")
    to_page = models.ForeignKey(
        Page, on_delete=models.SET_NULL, null=True, blank=True, related_name="incoming_links"
    )
    to_space_key = models.CharField(max_length=64)
    to_title = models.CharField(max_length=200)

    class Meta:
        indexes = [
            models.Index(fields=["to_space_key", "to_title"], name="wiki_link_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_page_id} -> {self.to_space_key}:{self.to_title}"


class Attachment(models.Model):
    """A file uploaded to a page; its content type comes from sniffing, not the client."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="wiki/attachments/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="wiki_attachment_size")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Comment(models.Model):
    """A remark on a page; @username mentions notify the people named."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.page_id}"


class Watch(models.Model):
    """A user following one page or a whole space."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wiki_watches"
    )
    page = models.ForeignKey(
        Page, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(page__isnull=False, space__isnull=True)
                    | models.Q(page__isnull=True, space__isnull=False)
                ),
                name="wiki_watch_page_xor_space",
            ),
            models.UniqueConstraint(
                fields=["user", "page"],
                condition=models.Q(page__isnull=False),
                name="wiki_watch_unique_page",
            ),
            models.UniqueConstraint(
                fields=["user", "space"],
                condition=models.Q(space__isnull=False),
                name="wiki_watch_unique_space",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.page_id or self.space_id}"


class Notification(models.Model):
    """An in-app message: a watched page changed, or someone mentioned the user."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("Page changed")
        MENTION = "mention", _("Mentioned")
        COMMENT = "comment", _("New comment")
        REVIEW = "review", _("Flagged for review")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wiki_notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Why a page was flagged for review (a reader's note; never shown to anyone but owners).
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["change", "mention", "comment", "review"]),
                name="wiki_notification_kind",
            ),
            # A task delivered twice must not notify twice.
            models.UniqueConstraint(
                fields=["user", "kind", "revision"],
                condition=models.Q(revision__isnull=False),
                name="wiki_notification_once_per_revision",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "comment"],
                condition=models.Q(comment__isnull=False),
                name="wiki_notification_once_per_comment",
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="wiki_notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id} on {self.page_id}"


class PageTemplate(models.Model):
    """A starting text for new pages, for one space or (space empty) for every space."""

    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, null=True, blank=True, related_name="templates"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "name"], nulls_distinct=False, name="wiki_template_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EditingPresence(models.Model):
    """Who has a page's editor open; refreshed by a poll and ignored once it is old."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "user"], name="wiki_presence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} editing {self.page_id}"
