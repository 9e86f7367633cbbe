"""What the memories plugin keeps: appreciation notes, shared stories, farewell boards and
team rituals. Everything is written by a person; nothing is counted, scored or generated.

Who sees what is decided in ``plugins.memories.selectors``; the fields here only record
the choices people made (a recipient's visibility, a named person's approval, the
subject's "keep").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

NOTE_LENGTH = 2000
STORY_TITLE_LENGTH = 120
STORY_LENGTH = 5000
MESSAGE_LENGTH = 2000
RITUAL_FIELD_LENGTH = 200
RITUAL_WHY_LENGTH = 1000


class Visibility(models.TextChoices):
    """Who may read an appreciation note, as its recipient chose."""

    UNDECIDED = "undecided", _("Not chosen yet: only you two")
    PRIVATE = "private", _("Private: only you two")
    TEAM = "team", _("A team you share")
    SPACE = "space", _("Readers of a wiki space")


class AppreciationNote(models.Model):
    """A note of thanks from ``author`` to ``recipient``.

    Until the recipient chooses (``visibility`` undecided), and while private, only the two
    of them read it. ``team`` is set only for team visibility (a team both belong to),
    ``space`` only for space visibility (a space the recipient reads).
    """

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("note of thanks"), max_length=NOTE_LENGTH)
    visibility = models.CharField(
        _("who sees it"), max_length=16, choices=Visibility.choices, default=Visibility.UNDECIDED
    )
    team = models.ForeignKey(
        "core.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    space = models.ForeignKey(
        "wiki.Space", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(author=models.F("recipient")), name="memories_note_not_self"
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=["undecided", "private", "team", "space"]),
                name="memories_note_visibility",
            ),
            # A team or space only with the visibility that uses it (either may later be
            # deleted: the note then falls back to its two people).
            models.CheckConstraint(
                condition=models.Q(visibility="team") | models.Q(team__isnull=True),
                name="memories_note_team",
            ),
            models.CheckConstraint(
                condition=models.Q(visibility="space") | models.Q(space__isnull=True),
                name="memories_note_space",
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk} to {self.recipient_id}"


class Story(models.Model):
    """A memory of something the team did, written by ``author``, naming people.

    Shown to the rest of the team only once every named person approved it; a decline by
    any of them hides it at once, and editing the text asks everyone again.
    """

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=STORY_TITLE_LENGTH)
    text = models.TextField(_("story"), max_length=STORY_LENGTH)
    named = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StoryPerson", related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title


class StoryPerson(models.Model):
    """A person named in a story and their answer: approved, declined, or not yet."""

    class Answer(models.TextChoices):
        PENDING = "pending", _("Not answered yet")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=16, choices=Answer.choices, default=Answer.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["story_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["story", "user"], name="memories_story_person_unique"),
            models.CheckConstraint(
                condition=models.Q(answer__in=["pending", "approved", "declined"]),
                name="memories_story_person_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in story {self.story_id}: {self.answer}"


class FarewellBoard(models.Model):
    """The team's farewell board for the person leaving in a handover case (one per case).

    Opened by the ``tacit_case_opened`` hook. Teammates write on it until the subject's
    last day (``closes_on``); afterwards only the messages the subject kept stay for the
    team.
    """

    case = models.OneToOneField("handover.HandoverCase", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    closes_on = models.DateField(_("last day"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-closes_on", "-id"]

    def __str__(self) -> str:
        return f"farewell board of case {self.case_id}"


class FarewellMessage(models.Model):
    """A teammate's message on a farewell board.

    ``kept_at`` is set when the subject chose to keep it (final): it then stays for the
    team after the last day. A message the subject chooses not to keep is deleted at once,
    so there is no "not kept" state.
    """

    board = models.ForeignKey(FarewellBoard, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("message"), max_length=MESSAGE_LENGTH)
    kept_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"farewell message {self.pk} on board {self.board_id}"

    @property
    def is_kept(self) -> bool:
        return self.kept_at is not None


class TeamRitual(models.Model):
    """Something a team does regularly: what, when, why, and who keeps it going.

    ``kind`` tells a ritual (the Friday demo) from a recurring duty (the weekly on-call
    hand-off); both pass to a successor through the handover. With a ``space`` the ritual
    is offered to the Q&A index for that space's readers.
    """

    class Kind(models.TextChoices):
        RITUAL = "ritual", _("Team ritual")
        DUTY = "duty", _("Recurring duty")

    team = models.ForeignKey("core.Team", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RITUAL)
    what = models.CharField(_("what"), max_length=RITUAL_FIELD_LENGTH)
    when = models.CharField(_("when"), max_length=RITUAL_FIELD_LENGTH)
    why = models.TextField(_("why"), max_length=RITUAL_WHY_LENGTH, blank=True)
    keepers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    space = models.ForeignKey(
        "wiki.Space", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team_id", "kind", "what", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["ritual", "duty"]), name="memories_ritual_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.what
