"""The memories plugin's side of the plugin contract (``plugins.hookspecs``).

Listed in ``settings.TACIT_BUILTIN_PLUGINS``: a "Memories" link; a farewell board opened
with every handover case; on a case the team's rituals and recurring duties and the
board, and in its draft a "Team rituals" section, so the successor inherits them; the
rituals with a space offered to the Q&A index for that space's readers; on a space the
thanks shared with its readers; and everything the plugin holds about or by a person in
their export.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from plugins.hookspecs import hookimpl
from plugins.memories import selectors, services
from plugins.types import (
    CaseRef,
    DraftSectionProposal,
    ExportSection,
    IndexDocument,
    NavEntry,
    Panel,
    PanelTarget,
    PersonRef,
    PurgeRequest,
    Viewer,
)


def _active_user(viewer: Viewer):  # noqa: ANN202
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=viewer.user_id, is_active=True).first()


@hookimpl
def tacit_navigation(viewer: Viewer) -> list[NavEntry]:
    """A "Memories" link (no query: it is on every page)."""
    return [NavEntry(key="memories", label=_("Memories"), url=reverse("memories:home"), order=60)]


def _case_panel(viewer: Viewer, target: PanelTarget) -> list[Panel]:
    from handover.models import HandoverCase

    case = HandoverCase.objects.filter(pk=target.id).select_related("team", "subject").first()
    user = _active_user(viewer)
    if case is None or user is None:
        return []
    board = selectors.get_board_for_case(case_id=case.pk)
    may_open_board = board is not None and (
        board.subject_id == user.pk
        or selectors.list_teams_for_member(user=user).filter(pk=board.team_id).exists()
    )
    rituals = selectors.list_rituals(team_id=case.team_id)
    html = render_to_string(
        "plugins/memories/_case_panel.html",
        {
            "case": case,
            "team": case.team,
            "rituals": [r for r in rituals if r.kind == r.Kind.RITUAL],
            "duties": [r for r in rituals if r.kind == r.Kind.DUTY],
            "board": board if may_open_board else None,
            "may_edit": selectors.list_teams_for_member(user=user).filter(pk=case.team_id).exists(),
        },
    )
    return [Panel(key="rituals", title=_("Team rituals and farewell"), html=html, order=60)]


def _space_panel(viewer: Viewer, target: PanelTarget) -> list[Panel]:
    from wiki.models import Space

    user = _active_user(viewer)
    space = Space.objects.filter(key=target.space_key or str(target.id)).first()
    if user is None or space is None:
        return []
    notes = selectors.list_notes_in_space(space=space, user=user)
    if not notes:
        return []
    html = render_to_string("plugins/memories/_space_panel.html", {"notes": notes})
    return [Panel(key="thanks", title=_("Thanks shared here"), html=html, order=60)]


@hookimpl
def tacit_panels(viewer: Viewer, target: PanelTarget) -> list[Panel]:
    """On a handover case: the team's rituals and duties and a link to the farewell board.
    On a space: the notes of thanks their recipients shared with its readers."""
    if target.kind == "case":
        return _case_panel(viewer, target)
    if target.kind == "space":
        return _space_panel(viewer, target)
    return []


@hookimpl
def tacit_case_opened(case: CaseRef) -> None:
    """Open the farewell board of the person leaving (idempotent: once per case)."""
    services.open_farewell_board(
        case_id=case.case_id,
        subject_id=case.subject_user_id,
        team_id=case.team_id,
        last_day=case.last_day,
    )


@hookimpl
def tacit_draft_sections(case: CaseRef) -> list[DraftSectionProposal]:
    """A "Team rituals" section with one sentence per ritual and recurring duty of the
    case's team, as the team wrote them (nothing when there is none)."""
    rituals = selectors.list_rituals(team_id=case.team_id)
    if not rituals:
        return []
    sentences = tuple(
        selectors.ritual_sentence(ritual, leaving_user_id=case.subject_user_id)
        for ritual in rituals
    )
    return [
        DraftSectionProposal(
            key="rituals",
            title=_("Team rituals"),
            sentences=sentences,
            source=_("Written by the team on the Memories page"),
        )
    ]


@hookimpl
def tacit_index_documents() -> list[IndexDocument]:
    """Every ritual offered to a space: its readers may be answered from it."""
    return [
        IndexDocument(
            key=f"ritual:{ritual.pk}",
            title=_("Team ritual of %(team)s: %(what)s")
            % {"team": ritual.team.name, "what": ritual.what},
            text=selectors.ritual_sentence(ritual),
            url=reverse("memories:ritual-detail", kwargs={"ritual_id": ritual.pk}),
            space_key=ritual.space.key,
            owner=ritual.team.name,
            updated_at=ritual.updated_at,
        )
        for ritual in selectors.list_indexed_rituals()
    ]


@hookimpl
def tacit_person_export(person: PersonRef) -> list[ExportSection]:
    """Everything held about or by the person, as one file (see
    ``selectors.person_export_rows`` for why one)."""
    return [
        ExportSection(kind="memories", rows=selectors.person_export_rows(user_id=person.user_id))
    ]


@hookimpl
def tacit_consent_purge(request: PurgeRequest) -> int:
    """Nothing to purge: return 0.

    Notes, stories, farewell messages and rituals are written by people, here; none of it
    is derived from a handover's consented threads, so withdrawing consent in a case takes
    nothing of it away. People delete what they wrote at any time, a recipient hides a
    note, a named person declines a story, the person leaving does not keep a message,
    and a deactivated account disappears from every list at once.
    """
    return 0
