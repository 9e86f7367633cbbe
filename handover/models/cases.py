"""Handover cases: who leaves, who opened the case, who takes over, and where it stands."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HandoverCase(models.Model):
    """One departing employee's handover, from opening to after their last day.

    The state changes only through ``handover.cases.services``. ``personal_email`` is
    the subject's own address for the one-time sign-in after they leave; only the subject
    sees it. ``pseudonym_key`` keys the third parties' pseudonyms of this case; destroying
    it (``key_destroyed_at``) makes them unlinkable.
    """

    class State(models.TextChoices):
        OPENED = "opened", _("Opened")
        CONSENTING = "consenting", _("Consenting")
        DRAFTING = "drafting", _("Drafting")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        CHINESE = "zh-hans", _("Simplified Chinese")

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handover_cases"
    )
    team = models.ForeignKey("core.Team", on_delete=models.PROTECT, related_name="handover_cases")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    successors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="handover_cases_succeeding"
    )
    last_day = models.DateField(_("last day"))
    space = models.ForeignKey(
        "wiki.Space",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handover_cases",
        verbose_name=_("wiki space"),
    )
    language = models.CharField(
        _("language of pseudonyms"), max_length=8, choices=Language.choices, default="en"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPENED)
    personal_email = models.EmailField(_("personal e-mail address"), blank=True)
    subject_people = models.ManyToManyField(
        "handover.Person",
        blank=True,
        related_name="+",
        help_text="The subject's own identities in their imports (the rest are third parties).",
    )
    pseudonym_key = models.BinaryField(null=True, blank=True, editable=False)
    key_destroyed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "state"], name="handover_case_subject_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    state__in=[
                        "opened",
                        "consenting",
                        "drafting",
                        "review",
                        "published",
                        "closed",
                        "withdrawn",
                    ]
                ),
                name="handover_case_state",
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=["en", "zh-hans"]), name="handover_case_language"
            ),
        ]

    def __str__(self) -> str:
        return f"handover {self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in {self.State.CLOSED, self.State.WITHDRAWN}
