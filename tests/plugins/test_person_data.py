"""A person's data kept by a plugin goes into their data export, and a consent withdrawal
reaches the plugin through the ledger's purge registry."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from handover.consent import services as consent
from handover.consent.purge import registered_purge_steps
from handover.models import Conversation, DataExport, PurgeJob, Purpose
from handover.rights import export as export_build
from handover.rights import services as rights
from plugins import manager
from plugins.manager import build_plugin_manager, get_plugin_manager
from tests.plugins import data_plugin

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_data_plugin(settings, tmp_path: Path) -> Iterator:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TACIT_PLUGINS = ["tests.plugins.data_plugin"]
    get_plugin_manager.cache_clear()
    data_plugin.NOTES.clear()
    data_plugin.DERIVED.clear()
    data_plugin.PURGES.clear()
    yield data_plugin
    get_plugin_manager.cache_clear()


def test_the_export_holds_what_the_plugin_keeps_about_the_person(
    with_data_plugin,
    subject,
    teammate,  # noqa: ANN001
) -> None:
    with_data_plugin.NOTES[subject.pk] = ["Prefers questions in the channel", "Mornings"]
    with_data_plugin.NOTES[teammate.pk] = ["Not the subject's"]
    export = rights.request_data_export(user=subject)
    built = export_build.build_data_export(export_id=export.pk)
    assert built.status == DataExport.Status.READY, built.error
    with zipfile.ZipFile(io.BytesIO(Path(built.path).read_bytes())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        rows = json.loads(archive.read("plugins/tests_plugins_data_plugin/notes.json"))
    assert [row["text"] for row in rows] == ["Prefers questions in the channel", "Mornings"]
    kind = manifest["kinds"]["plugin:tests.plugins.data_plugin:notes"]
    assert kind["count"] == 2 and kind["file"] == "plugins/tests_plugins_data_plugin/notes.json"


def test_an_export_fails_rather_than_leave_a_plugins_data_out(
    with_data_plugin,
    subject,
    monkeypatch,  # noqa: ANN001
) -> None:
    pm = build_plugin_manager([], load_entry_points=False)
    pm.register(with_data_plugin.BrokenExport(), name="broken")
    monkeypatch.setattr(manager, "get_plugin_manager", lambda: pm)
    export = rights.request_data_export(user=subject)
    failed = export_build.build_data_export(export_id=export.pk)
    assert failed.status == DataExport.Status.FAILED and not failed.path


def test_a_withdrawal_reaches_the_plugin_through_the_purge_registry(
    with_data_plugin,
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent.record_consent(case=case, by=subject, purposes=[Purpose.RHYTHMS], conversation_ids=ids)
    with_data_plugin.DERIVED[case.pk] = ["a rhythm cell", "another"]
    assert "plugins" in [step.name for step in registered_purge_steps()]
    job = consent.withdraw_everything(case=case, by=subject)
    done = consent.run_purge_job(job_id=job.pk)
    assert done.status == PurgeJob.Status.DONE
    (request,) = with_data_plugin.PURGES
    assert request.case_id == case.pk and request.subject_user_id == subject.pk
    assert request.whole_case and case.pk not in with_data_plugin.DERIVED
    item = next(i for i in done.receipt.items if i["what"] == "Data kept by plugins")
    assert item["count"] == 2
