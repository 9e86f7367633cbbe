"""The relationships plugin's side of the plugin contract (``plugins.hookspecs``).

Listed in ``settings.TACIT_BUILTIN_PLUGINS``: a "People" link, the person's own manual
and map topics on their profile, and everything the plugin holds about a person in
their data export.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plugins.hookspecs import hookimpl
from plugins.relationships import selectors
from plugins.types import (
    ExportSection,
    NavEntry,
    Panel,
    PanelTarget,
    PersonRef,
    PurgeRequest,
    Viewer,
)


@hookimpl
def tacit_navigation(viewer: Viewer) -> list[NavEntry]:
    """The "People" link; with the number of notes about the viewer they have not looked
    at yet, it leads to where they read, keep, edit or veto them."""
    waiting = selectors.count_notes_to_look_at(user_id=viewer.user_id)
    if not waiting:
        return [
            NavEntry(key="people", label=_("People"), url=reverse("relationships:map"), order=20)
        ]
    label = ngettext(
        "People (%(count)d new note about you)", "People (%(count)d new notes about you)", waiting
    ) % {"count": waiting}
    url = reverse("relationships:person-detail", kwargs={"person_id": viewer.user_id})
    return [NavEntry(key="people", label=label, url=f"{url}#person-notes", order=20)]


@hookimpl
def tacit_panels(viewer: Viewer, target: PanelTarget) -> list[Panel]:
    """On a profile (which is always the viewer's own), their manual and map topics."""
    if target.kind != "person" or str(target.id) != str(viewer.user_id):
        return []
    person = get_user_model().objects.filter(pk=viewer.user_id, is_active=True).first()
    if person is None:
        return []
    html = render_to_string(
        "plugins/relationships/_profile_panel.html",
        {
            "manual": selectors.get_working_manual(person=person),
            "topics": list(selectors.list_ask_me_topics(person=person)),
            "person": person,
        },
    )
    return [Panel(key="working-with-me", title=_("Working with me"), html=html, order=20)]


@hookimpl
def tacit_person_export(person: PersonRef) -> list[ExportSection]:
    rows = selectors.person_export_rows(user_id=person.user_id)
    return [ExportSection(kind=kind, rows=found) for kind, found in rows.items()]


@hookimpl
def tacit_consent_purge(request: PurgeRequest) -> int:
    """Nothing to purge: return 0.

    The manual, the map topics and the notes are written by people, here, about
    themselves and their teammates; none of it is derived from a handover's consented
    threads, so withdrawing consent in a case takes nothing of it away. A person removes
    their own entries (and vetoes notes about them) at any time, and a deactivated
    account disappears from every map and page at once.
    """
    return 0
