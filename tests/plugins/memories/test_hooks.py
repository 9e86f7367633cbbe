"""The plugin through the contract: its link, the board opened with a case, the case's
rituals panel and draft section, the Q&A documents, the space panel, the person's export
and the purge that has nothing to take."""

import io
import json
import zipfile
from pathlib import Path

import pytest

from handover.cases.plugins import announce_case_opened, case_ref
from handover.drafting.plugin_sections import write_plugin_sections
from handover.models import DataExport, DraftSection
from handover.rights import export as export_build
from handover.rights import services as rights
from plugins import signals
from plugins.manager import (
    build_plugin_manager,
    notify_case_opened,
    plugin_draft_sections,
    plugin_index_documents,
    plugin_navigation,
    plugin_panels,
    plugin_person_exports,
    run_plugin_purges,
    viewer_for,
)
from plugins.memories import hooks, services
from plugins.memories.models import FarewellBoard, TeamRitual
from plugins.types import PanelTarget, PersonRef, PurgeRequest
from wiki import services as wiki_services
from wiki.models import Role

pytestmark = pytest.mark.django_db

HOOKS = "plugins.memories.hooks"


@pytest.fixture
def pm():  # noqa: ANN201
    return build_plugin_manager([HOOKS], load_entry_points=False)


@pytest.fixture
def duty(team, manager, successor):  # noqa: ANN001, ANN201
    return services.save_team_ritual(
        team=team,
        by=manager,
        kind=TeamRitual.Kind.DUTY,
        what="On-call hand-off",
        when="Mondays at 10:00",
        keepers=[successor],
    )


@pytest.fixture
def docs_space(manager, teammate, outsider):  # noqa: ANN001, ANN201
    """A private space the teammate edits and the outsider reads."""
    space = wiki_services.create_space(name="Team handbook", key="handbook", by=manager)
    wiki_services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=teammate)
    wiki_services.set_space_role(space=space, by=manager, role=Role.READER, user=outsider)
    return space


def test_the_navigation_links_to_memories(pm, subject) -> None:  # noqa: ANN001
    entries = plugin_navigation(viewer_for(subject, language="en"), pm)
    assert [(entry.label, entry.url) for entry in entries] == [("Memories", "/memories/")]


def test_a_case_opens_its_farewell_board_once(pm, case) -> None:  # noqa: ANN001
    ref = case_ref(case)
    notify_case_opened(ref, pm)
    notify_case_opened(ref, pm)  # a retried task
    board = FarewellBoard.objects.get()
    assert (board.case_id, board.subject_id, board.team_id) == (
        case.pk,
        case.subject_id,
        case.team_id,
    )
    assert board.closes_on == case.last_day


def test_the_worker_announcement_reaches_the_builtin_plugin(case) -> None:  # noqa: ANN001
    """What the worker runs after ``open_case`` commits, with the real plugin manager."""
    announce_case_opened(case_id=case.pk)
    assert FarewellBoard.objects.filter(case=case).exists()


def test_the_case_panel_lists_rituals_duties_and_the_board(
    pm,
    case,
    board,
    ritual,
    duty,
    subject,
    manager,
    settings,  # noqa: ANN001
) -> None:
    settings.PLUGIN_PANEL_TIMEOUT = 0
    target = PanelTarget("case", case.pk, "Subject", f"/handover/cases/{case.pk}/")
    (panel,) = plugin_panels(viewer_for(manager, language="en"), target, pm)
    assert "Friday demo" in panel.html and "On-call hand-off" in panel.html
    assert "(leaving)" in panel.html  # the subject keeps the Friday demo
    assert f'href="/memories/farewell/{board.pk}/"' in panel.html
    assert 'href="/memories/teams/platform/rituals/"' in panel.html
    assert (
        plugin_panels(viewer_for(manager, language="en"), PanelTarget("page", 1, "x", "/"), pm)
        == []
    )


def test_the_case_page_shows_the_panel(case, board, ritual, manager, client_for, settings) -> None:  # noqa: ANN001
    settings.PLUGIN_PANEL_TIMEOUT = 0
    html = client_for(manager).get(f"/handover/cases/{case.pk}/").content.decode()
    assert (
        'id="panel-pluginsmemorieshooksrituals"' in html
        or "panel-plugins.memories.hooks:rituals" in html
    )
    assert "Friday demo" in html and f"/memories/farewell/{board.pk}/" in html


def test_the_draft_gets_a_team_rituals_section(pm, case, ritual, duty, subject) -> None:  # noqa: ANN001
    ((plugin, proposal),) = plugin_draft_sections(case_ref(case), pm)
    assert plugin == HOOKS and proposal.key == "rituals" and proposal.title == "Team rituals"
    assert proposal.source == "Written by the team on the Memories page"
    assert proposal.sentences == (
        "Friday demo, Every Friday at 16:00. Why: So everyone sees what shipped. "
        "Kept going by Subject. Subject is leaving, so it needs a new keeper.",
        "Recurring duty: On-call hand-off, Mondays at 10:00. Kept going by Successor.",
    )


def test_the_drafting_task_keeps_the_section_for_the_subject_to_review(case, ritual) -> None:  # noqa: ANN001
    write_plugin_sections(case=case)
    section = DraftSection.objects.get(case=case, kind=DraftSection.Kind.PLUGIN)
    assert section.title == "Team rituals"
    assert [s.text for s in section.sentences.all()][0].startswith("Friday demo")


def test_no_rituals_no_section(pm, case) -> None:  # noqa: ANN001
    assert plugin_draft_sections(case_ref(case), pm) == []


def test_only_rituals_with_a_space_are_offered_to_the_index(
    pm,
    team,
    teammate,
    ritual,
    docs_space,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    assert plugin_index_documents(pm) == {HOOKS: []}
    sent = []

    def receiver(sender, **kwargs) -> None:  # noqa: ANN001
        sent.append(sender)

    signals.index_documents_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.save_team_ritual(
                team=team,
                by=teammate,
                ritual=ritual,
                kind="ritual",
                what="Friday demo",
                when="Every Friday at 16:00",
                space=docs_space,
            )
    finally:
        signals.index_documents_changed.disconnect(receiver)
    assert sent == [HOOKS]
    (document,) = plugin_index_documents(pm)[HOOKS]
    assert document.key == f"ritual:{ritual.pk}" and document.space_key == "handbook"
    assert document.url == f"/memories/rituals/{ritual.pk}/"
    assert document.title == "Team ritual of Platform: Friday demo"
    assert "Every Friday at 16:00" in document.text


def test_readers_of_the_space_are_answered_from_the_ritual_and_no_one_else(
    team,
    teammate,
    outsider,
    operator,
    ritual,
    docs_space,  # noqa: ANN001
) -> None:
    from qa.plugin_sources import sync_plugin_documents
    from qa.retrieval import search_chunks

    services.save_team_ritual(
        team=team,
        by=teammate,
        ritual=ritual,
        kind="ritual",
        what="Friday demo",
        when="Every Friday at 16:00",
        why="So everyone sees what shipped.",
        space=docs_space,
    )
    sync_plugin_documents()
    found = search_chunks(user=outsider, question="when is the Friday demo", mode="keyword")
    assert found
    assert search_chunks(user=operator, question="when is the Friday demo", mode="keyword") == []


def test_a_ritual_is_offered_only_to_a_space_its_writer_edits(
    team,
    subject,
    ritual,
    docs_space,  # noqa: ANN001
) -> None:
    from plugins.memories.errors import MemoriesError

    with pytest.raises(MemoriesError):
        services.save_team_ritual(
            team=team, by=subject, kind="ritual", what="Demo", when="Fridays", space=docs_space
        )
    assert TeamRitual.objects.filter(space__isnull=False).count() == 0


def test_the_export_holds_the_persons_data_in_one_file(
    pm,
    team,
    case,
    board,
    ritual,
    subject,
    teammate,
    successor,  # noqa: ANN001
) -> None:
    services.write_appreciation_note(author=subject, recipient=teammate, text="Thanks for CI")
    services.write_appreciation_note(author=successor, recipient=subject, text="Thanks for all")
    story = services.write_story(
        team=team, author=teammate, title="Launch", text="x", named=[subject]
    )
    services.answer_story(story=story, by=subject, approve=True)
    services.write_farewell_message(board=board, author=teammate, text="Bye, friend")
    ((name, section),) = plugin_person_exports(PersonRef(subject.pk, "subject"), pm)
    assert name == HOOKS and section.kind == "memories"
    records = {row["record"]: row for row in section.rows}
    assert set(records) == {
        "note_written",
        "note_received",
        "story_naming_me",
        "farewell_message_to_me",
        "ritual_i_keep",
    }
    assert records["note_written"]["text"] == "Thanks for CI"
    assert records["note_received"]["text"] == "Thanks for all"
    assert records["story_naming_me"]["my_answer"] == "approved"
    assert records["farewell_message_to_me"]["text"] == "Bye, friend"
    assert records["ritual_i_keep"]["what"] == "Friday demo"
    json.dumps(section.rows)  # plain values only
    written = {
        row["record"]
        for _name, section in plugin_person_exports(PersonRef(teammate.pk, "teammate"), pm)
        for row in section.rows
    }
    assert written == {"note_received", "story_written", "farewell_message_written"}


def test_the_data_export_archive_holds_one_memories_file(
    team,
    ritual,
    subject,
    teammate,
    settings,
    tmp_path,  # noqa: ANN001
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    services.write_appreciation_note(author=teammate, recipient=subject, text="Thank you")
    export = rights.request_data_export(user=subject)
    built = export_build.build_data_export(export_id=export.pk)
    assert built.status == DataExport.Status.READY, built.error
    with zipfile.ZipFile(io.BytesIO(Path(built.path).read_bytes())) as archive:
        names = [name for name in archive.namelist() if "memories" in name]
        rows = json.loads(archive.read("plugins/plugins_memories_hooks/memories.json"))
    # One file: the manifest's count is not a count of the thanks someone received.
    assert names == ["plugins/plugins_memories_hooks/memories.json"]
    assert {row["record"] for row in rows} == {"note_received", "ritual_i_keep"}


def test_the_purge_has_nothing_to_take(pm, note, subject) -> None:  # noqa: ANN001
    request = PurgeRequest(1, subject.pk, True, frozenset({"index"}), frozenset(), frozenset())
    assert run_plugin_purges(request, pm) == 0
    assert hooks.tacit_consent_purge.__doc__.startswith("Nothing to purge")
    note.refresh_from_db()


def test_a_deactivated_viewer_gets_no_panel(pm, case, ritual, manager, settings) -> None:  # noqa: ANN001
    settings.PLUGIN_PANEL_TIMEOUT = 0
    viewer = viewer_for(manager, language="en")
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    target = PanelTarget("case", case.pk, "Subject", "/")
    assert plugin_panels(viewer, target, pm) == []
