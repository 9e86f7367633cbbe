"""The rhythms plugin's implementations of the plugin contract (``plugins.hookspecs``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from plugins.hookspecs import hookimpl
from plugins.types import ExportSection, NavEntry, PersonRef, PurgeRequest, Viewer


@hookimpl
def tacit_navigation(viewer: Viewer) -> list[NavEntry]:
    """A "Rhythms" link to the list of the viewer's teams (no query: it is on every page)."""
    return [NavEntry(key="rhythms", label=_("Rhythms"), url="/rhythms/", order=50)]


@hookimpl
def tacit_person_export(person: PersonRef) -> list[ExportSection]:
    """The working agreements this person saved last (their text); rhythms are not stored."""
    from plugins.rhythms.models import WorkingAgreement

    agreements = (
        WorkingAgreement.objects.filter(written_by_id=person.user_id)
        .select_related("team")
        .order_by("team__slug")
    )
    rows = tuple(
        {
            "team": agreement.team.slug,
            "text": agreement.text,
            "updated_at": agreement.updated_at.isoformat(),
        }
        for agreement in agreements
    )
    return [ExportSection(kind="working_agreements", rows=rows)]


@hookimpl
def tacit_consent_purge(request: PurgeRequest) -> int:
    """Nothing to delete: rhythms are computed from the read path on each request.

    No aggregate, cache or copy of a consented message is kept, so the withdrawal already
    took effect when its transaction committed (the next page shows the team without the
    person). Returns 0, and stays idempotent.
    """
    return 0
