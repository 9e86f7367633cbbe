"""What the rhythms plugin keeps: the team's own written working agreements, nothing else.

The rhythms themselves are never stored: ``plugins.rhythms.selectors`` computes them from
the consent ledger's read path on each request.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

AGREEMENT_MAX_CHARS = 5000


class WorkingAgreement(models.Model):
    """The working agreements a team wrote for itself (one text per team).

    Shown first on the team's rhythms page; any member of the team may edit it
    (``plugins.rhythms.services.save_working_agreement``). ``written_by`` is whoever saved
    it last: kept for that person's data export and the audit log, never shown beside it.
    """

    team = models.OneToOneField(
        "core.Team", on_delete=models.CASCADE, related_name="working_agreement"
    )
    text = models.TextField(_("working agreements"), max_length=AGREEMENT_MAX_CHARS, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("working agreement")

    def __str__(self) -> str:
        return f"working agreement of team {self.team_id}"
