"""A person's own working manual and map topics, and notes teammates write about them.

Everything here is written by a person, never generated. A manual and map topics are
written only by the person they describe; a note is written by a teammate and always
shown to the person it is about, who may edit or veto it.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MANUAL_FIELD_LENGTH = 2000
TOPIC_LENGTH = 80
NOTE_LENGTH = 1000


def topic_key(text: str) -> str:
    """The form a topic is matched by: NFKC (full-width letters, compatibility forms),
    case-folded, inner whitespace collapsed; Chinese text is unchanged by the folding."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class WorkingManual(models.Model):
    """How a person likes to work with others, in their own words; one per person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_manual"
    )
    how_to_ask = models.TextField(
        _("how I like to be asked"), max_length=MANUAL_FIELD_LENGTH, blank=True
    )
    hours = models.TextField(_("my hours"), max_length=MANUAL_FIELD_LENGTH, blank=True)
    glad_to_help = models.TextField(
        _("what I am glad to help with"), max_length=MANUAL_FIELD_LENGTH, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"manual of {self.user_id}"

    @property
    def is_empty(self) -> bool:
        return not (self.how_to_ask or self.hours or self.glad_to_help)


class AskMeTopic(models.Model):
    """A topic a person put themselves on the map for ("ask me about ...")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ask_me_topics"
    )
    topic = models.CharField(_("topic"), max_length=TOPIC_LENGTH)
    # topic_key(topic): what searches match and what makes a topic unique per person.
    key = models.CharField(max_length=TOPIC_LENGTH, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="relationships_topic_unique"),
            models.CheckConstraint(condition=~models.Q(key=""), name="relationships_topic_key"),
        ]

    def __str__(self) -> str:
        return self.topic


class PersonNote(models.Model):
    """A note a teammate wrote about a person ("ask her about the billing migration").

    The person it is about always sees it and may edit or veto it; a vetoed note
    (``vetoed_at`` set) is hidden from everyone else, its author included. Until they
    looked at it (``seen_by_subject_at``), it is counted in their "People" link, so that
    nobody is written about without knowing.
    """

    about = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes_about"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes_written"
    )
    text = models.TextField(_("note"), max_length=NOTE_LENGTH)
    vetoed_at = models.DateTimeField(null=True, blank=True)
    # When the person it is about last looked at it and kept (or vetoed) it; empty while
    # it is new to them, and again after its author changes it.
    seen_by_subject_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(about=models.F("author")), name="relationships_note_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} about {self.about_id}"

    @property
    def is_vetoed(self) -> bool:
        return self.vetoed_at is not None
