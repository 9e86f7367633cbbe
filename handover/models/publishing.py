"""What a handover published into the wiki, and the subject's pages handed to successors.

The wiki knows nothing of handovers: these rows are the handover's own record of which
wiki pages it created, so that a withdrawal can unpublish and purge them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublishedPage(models.Model):
    """A wiki page a case published: its handover page (no section) or one section's page.

    ``message_ids`` are every message the page's published text cites, so a narrowed
    consent finds the pages it no longer allows without reading the wiki.
    """

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="published_pages"
    )
    section = models.OneToOneField(
        "handover.DraftSection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_page",
    )
    page = models.OneToOneField(
        "wiki.Page", on_delete=models.CASCADE, related_name="handover_publication"
    )
    is_root = models.BooleanField(default=False)
    message_ids = models.JSONField(default=list, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    first_published_at = models.DateTimeField(auto_now_add=True)
    last_published_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case_id", "-is_root", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(is_root=True),
                name="handover_published_one_root",
            ),
        ]

    def __str__(self) -> str:
        return f"page {self.page_id} published by case {self.case_id}"


class PageReassignment(models.Model):
    """One of the subject's own wiki pages, proposed to pass to the successors.

    Applied once both the subject and a successor confirmed it; either may leave a page
    out (``excluded``).
    """

    case = models.ForeignKey(
        "handover.HandoverCase", on_delete=models.CASCADE, related_name="page_reassignments"
    )
    page = models.ForeignKey("wiki.Page", on_delete=models.CASCADE, related_name="+")
    excluded = models.BooleanField(_("leave out"), default=False)
    subject_confirmed_at = models.DateTimeField(null=True, blank=True)
    successor_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    successor_confirmed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "page_id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "page"], name="handover_reassign_unique"),
        ]

    def __str__(self) -> str:
        return f"page {self.page_id} to the successors of case {self.case_id}"
