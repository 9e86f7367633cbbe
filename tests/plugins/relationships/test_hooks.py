"""The plugin through the contract: its navigation link, its panel on the profile, the
person's data in their export, and the purge that has nothing to take."""

import io
import json
import zipfile
from pathlib import Path

import pytest

from handover.models import DataExport
from handover.rights import export as export_build
from handover.rights import services as rights
from plugins.manager import (
    build_plugin_manager,
    plugin_navigation,
    plugin_panels,
    plugin_person_exports,
    run_plugin_purges,
    viewer_for,
)
from plugins.relationships import services
from plugins.types import PanelTarget, PersonRef, PurgeRequest

pytestmark = pytest.mark.django_db

HOOKS = "plugins.relationships.hooks"


@pytest.fixture
def pm():  # noqa: ANN201
    return build_plugin_manager([HOOKS], load_entry_points=False)


@pytest.fixture
def filled(team, subject, teammate, successor):  # noqa: ANN001, ANN201
    services.save_working_manual(
        user=subject, how_to_ask="A message in #platform", hours="9-17", glad_to_help="Kafka"
    )
    services.add_ask_me_topic(user=subject, topic="Billing")
    about = services.write_person_note(about=subject, author=teammate, text="Knows billing")
    services.set_person_note_veto(note=about, by=subject, vetoed=True)
    written = services.write_person_note(about=successor, author=subject, text="Knows CI")
    services.add_ask_me_topic(user=teammate, topic="Not the subject's")
    return about, written


def test_the_export_holds_the_persons_data(pm, filled, subject) -> None:  # noqa: ANN001
    about, written = filled
    sections = dict(
        (section.kind, section.rows)
        for _name, section in plugin_person_exports(PersonRef(subject.pk, "subject"), pm)
    )
    assert sections["working_manual"][0]["how_to_ask"] == "A message in #platform"
    assert [row["topic"] for row in sections["ask_me_topics"]] == ["Billing"]
    assert [row["text"] for row in sections["notes_written"]] == ["Knows CI"]
    # The vetoed note about them is theirs to see, and in the export.
    (row,) = sections["notes_about_me"]
    assert row["text"] == "Knows billing" and row["vetoed_at"] is not None
    json.dumps(sections)  # plain values only


def test_the_data_export_archive_holds_the_plugins_files(
    filled, subject, settings, tmp_path
) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    export = rights.request_data_export(user=subject)
    built = export_build.build_data_export(export_id=export.pk)
    assert built.status == DataExport.Status.READY, built.error
    with zipfile.ZipFile(io.BytesIO(Path(built.path).read_bytes())) as archive:
        names = archive.namelist()
        topics = json.loads(archive.read("plugins/plugins_relationships_hooks/ask_me_topics.json"))
    assert "plugins/plugins_relationships_hooks/notes_about_me.json" in names
    assert [row["topic"] for row in topics] == ["Billing"]


def test_the_purge_has_nothing_to_take(pm, filled, subject) -> None:  # noqa: ANN001
    request = PurgeRequest(1, subject.pk, True, frozenset({"index"}), frozenset(), frozenset())
    assert run_plugin_purges(request, pm) == 0
    assert subject.ask_me_topics.exists()


def test_the_navigation_links_to_the_map(pm, subject) -> None:  # noqa: ANN001
    entries = plugin_navigation(viewer_for(subject, language="en"), pm)
    assert [(entry.label, entry.url) for entry in entries] == [("People", "/people/")]


def test_the_profile_panel_shows_my_manual_and_topics(pm, filled, subject, settings) -> None:  # noqa: ANN001
    settings.PLUGIN_PANEL_TIMEOUT = 0
    viewer = viewer_for(subject, language="en")
    (panel,) = plugin_panels(viewer, PanelTarget("person", subject.pk, "Subject", "/profile/"), pm)
    assert "A message in #platform" in panel.html and "Billing" in panel.html
    assert 'href="/people/me/"' in panel.html
    # On anything but the viewer's own profile, nothing.
    assert plugin_panels(viewer, PanelTarget("person", 999, "x", "/profile/"), pm) == []
    assert plugin_panels(viewer, PanelTarget("page", subject.pk, "x", "/wiki/"), pm) == []


def test_the_profile_page_shows_the_panel(filled, subject, client_for, settings) -> None:  # noqa: ANN001
    settings.PLUGIN_PANEL_TIMEOUT = 0
    html = client_for(subject).get("/profile/").content.decode()
    assert 'id="panel-pluginsrelationshipshooksworking-with-me"' in html
    assert "A message in #platform" in html and 'href="/people/"' in html


def test_a_deactivated_person_has_no_panel(pm, filled, subject, settings) -> None:  # noqa: ANN001
    settings.PLUGIN_PANEL_TIMEOUT = 0
    viewer = viewer_for(subject, language="en")
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    assert plugin_panels(viewer, PanelTarget("person", subject.pk, "x", "/profile/"), pm) == []
