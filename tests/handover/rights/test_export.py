"""Data exports built in this process: the zip holds every kind, the manifest's digests match,
only the person's own data is in it; one at a time; stalled ones are sent again; expired ones
are deleted; and the pages and API answer each persona as they should."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core.models import AuditEvent
from handover.models import DataExport, Message
from handover.rights import export as export_build
from handover.rights import services
from handover.rights.selectors import HELD_KINDS, list_held_data
from tests.handover.rights.conftest import export_kinds

pytestmark = pytest.mark.django_db

OTHERS = ["manager", "successor", "teammate", "outsider", "operator", "superuser"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


def _built(user) -> DataExport:  # noqa: ANN001
    export = services.request_data_export(user=user)
    built = export_build.build_data_export(export_id=export.pk)
    assert built is not None and built.status == DataExport.Status.READY, built and built.error
    return built


def _read_zip(data: bytes) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("manifest.json")), files


# --- The build ---------------------------------------------------------------------------------


def test_the_zip_holds_every_kind_with_matching_digests(held_world, subject) -> None:  # noqa: ANN001
    export = _built(subject)
    path = Path(export.path)
    assert path.parent == Path(export_build.export_folder(export.pk))
    assert path.name == f"tacit-data-export-{export.pk}.zip"
    assert path.stat().st_size == export.size_bytes
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    kinds = export_kinds(subject)
    assert export.kinds_done == export.kinds_total == len(kinds) and export.percent_done == 100

    manifest, files = _read_zip(path.read_bytes())
    assert manifest["format_version"] == export_build.FORMAT_VERSION
    assert manifest["generated_at"] and manifest["user_id"] == subject.pk
    assert list(manifest["kinds"]) == kinds
    plugin_files = [manifest["kinds"][kind]["file"] for kind in kinds[len(HELD_KINDS) :]]
    assert sorted(files) == sorted([*(f"{kind}.json" for kind in HELD_KINDS), *plugin_files])
    for kind, entry in manifest["kinds"].items():
        data = files[entry["file"]]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], kind
        assert len(json.loads(data)) == entry["count"], kind

    # The same numbers as the page, kind by kind (the page may split a kind in lines).
    per_kind: dict[str, int] = {}
    for item in list_held_data(user=subject):
        per_kind[item.kind] = per_kind.get(item.kind, 0) + item.count
    assert {kind: manifest["kinds"][kind]["count"] for kind in HELD_KINDS} == per_kind


def test_it_holds_the_persons_own_data_in_full(held_world, subject) -> None:  # noqa: ANN001
    export = _built(subject)
    _manifest, files = _read_zip(Path(export.path).read_bytes())

    messages = json.loads(files["messages.json"])
    own = Message.objects.filter(conversation__owner=subject)
    assert {m["id"] for m in messages} == set(own.values_list("pk", flat=True))
    others = set(
        Message.objects.filter(conversation__owner=held_world.other_import.owner).values_list(
            "pk", flat=True
        )
    )
    assert others and not others & {m["id"] for m in messages}
    sample = own.exclude(raw="").order_by("pk").first()
    row = next(m for m in messages if m["id"] == sample.pk)
    assert row["text"] == sample.text and row["raw"] == sample.raw
    assert row["external_id"] == sample.external_id and row["attachments"] == sample.attachments

    grants = json.loads(files["consent_grants.json"])
    assert sorted(g["live"] for g in grants) == [False, True]
    for grant in grants:
        assert grant["terms_text"]
        assert grant["terms_sha256"] == hashlib.sha256(grant["terms_text"].encode()).hexdigest()
        assert grant["conversation_ids"]

    cases = json.loads(files["cases_subject.json"])
    assert [c["id"] for c in cases] == [held_world.case.pk] and cases[0]["state"]
    succeeding = json.loads(files["cases_succeeding.json"])
    assert [c["id"] for c in succeeding] == [held_world.other_case.pk]
    assert "personal_email" not in succeeding[0]

    audit = json.loads(files["audit_events.json"])
    assert audit and {row["action"] for row in audit} >= {"import.started", "export.requested"}
    assert all("personal" in row for row in audit)
    assert [r["sequence"] for r in audit] == sorted(r["sequence"] for r in audit)

    pseudonyms = json.loads(files["pseudonyms.json"])
    assert pseudonyms and set(pseudonyms[0]) == {"case_id"}  # counted, never named
    revisions = json.loads(files["wiki_revisions.json"])
    assert [r["body"] for r in revisions] == ["# Run", "# Run\n\nmore"]
    naming = json.loads(files["naming_consents.json"])
    assert naming[0]["case_id"] == held_world.other_case.pk and naming[0]["terms_sha256"]
    assert len(json.loads(files["data_exports.json"])) == 1
    questions = json.loads(files["qa_questions.json"])
    assert [q["text"] for q in questions] == ["Where is the runbook?"]
    tokens = json.loads(files["assistant_tokens.json"])
    assert [t["name"] for t in tokens] == ["Claude"] and "token_sha256" not in tokens[0]
    accounts = json.loads(files["chat_accounts.json"])
    assert [(a["workspace__platform"], a["external_user_id"]) for a in accounts] == [
        ("slack", "U1")
    ]
    text = b"".join(files.values()).decode()
    assert "pseudonym_key" not in text


def test_an_empty_person_gets_every_kind_too(outsider) -> None:  # noqa: ANN001
    export = _built(outsider)
    manifest, files = _read_zip(Path(export.path).read_bytes())
    assert list(manifest["kinds"]) == export_kinds(outsider)
    assert json.loads(files["messages.json"]) == []
    assert manifest["kinds"]["data_exports"]["count"] == 1


def test_request_and_completion_are_audited_without_personal_details(subject) -> None:  # noqa: ANN001
    export = _built(subject)
    requested = AuditEvent.objects.get(action="export.requested")
    assert requested.actor == subject and requested.target_id == str(export.pk)
    assert requested.details == {} and requested.personal == {}
    completed = AuditEvent.objects.get(action="export.completed")
    assert completed.actor is None and completed.scope == f"user:{subject.pk}"
    assert set(completed.details) == {"kinds", "rows", "size_bytes"}
    assert completed.details["kinds"] == len(export_kinds(subject)) and completed.personal == {}


def test_a_second_request_is_refused_while_one_is_pending_or_running(subject, outsider) -> None:  # noqa: ANN001
    first = services.request_data_export(user=subject)
    with pytest.raises(services.DataExportInProgressError, match="still being prepared"):
        services.request_data_export(user=subject)
    DataExport.objects.filter(pk=first.pk).update(status=DataExport.Status.RUNNING)
    with pytest.raises(services.DataExportInProgressError):
        services.request_data_export(user=subject)
    assert DataExport.objects.filter(user=subject).count() == 1
    assert AuditEvent.objects.filter(action="export.requested").count() == 1
    services.request_data_export(user=outsider)  # another person is not held up

    DataExport.objects.filter(pk=first.pk).update(status=DataExport.Status.READY)
    second = services.request_data_export(user=subject)
    assert second.pk != first.pk and second.status == DataExport.Status.PENDING


def test_a_failed_build_says_so_and_leaves_no_file(subject, settings, tmp_path: Path) -> None:  # noqa: ANN001
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # MEDIA_ROOT/exports/<id>/ cannot be made
    export = services.request_data_export(user=subject)
    failed = export_build.build_data_export(export_id=export.pk)
    assert failed is not None and failed.status == DataExport.Status.FAILED
    assert "could not be built" in failed.error and "request a new one" in failed.error
    assert failed.finished_at and not failed.path
    assert AuditEvent.objects.filter(action="export.failed", target_id=str(export.pk)).exists()
    # A failed export holds nobody up.
    assert services.request_data_export(user=subject).status == DataExport.Status.PENDING


def test_a_second_delivery_does_nothing(subject) -> None:  # noqa: ANN001
    export = _built(subject)
    assert export_build.build_data_export(export_id=export.pk) is None
    assert AuditEvent.objects.filter(action="export.completed").count() == 1


# --- Stalled exports ----------------------------------------------------------------------------


def test_a_stalled_export_is_sent_again_and_then_built(
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    export = services.request_data_export(user=subject)
    old = timezone.now() - timedelta(minutes=10)
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.RUNNING, heartbeat_at=old, kinds_done=3
    )
    alive = services.request_data_export(user=get_other(subject))
    DataExport.objects.filter(pk=alive.pk).update(
        status=DataExport.Status.RUNNING, heartbeat_at=timezone.now()
    )
    with django_capture_on_commit_callbacks() as sent:
        assert services.requeue_stale_data_exports() == [export.pk]
    assert len(sent) == 1
    export.refresh_from_db()
    assert export.status == DataExport.Status.PENDING
    assert DataExport.objects.get(pk=alive.pk).status == DataExport.Status.RUNNING
    # Re-sent once per stale period, not at every sweep.
    with django_capture_on_commit_callbacks() as sent:
        assert services.requeue_stale_data_exports() == []
    assert not sent
    built = export_build.build_data_export(export_id=export.pk)
    assert built is not None and built.status == DataExport.Status.READY


def get_other(subject):  # noqa: ANN001, ANN201
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username="someone", password="x")


def test_a_run_that_lost_its_export_stops(subject) -> None:  # noqa: ANN001
    export = services.request_data_export(user=subject)
    claim = export_build._claim(export.pk, timedelta(seconds=60))
    assert claim is not None
    # The sweeper judged the run dead and another run claimed it.
    assert services.requeue_stale_data_exports(stale_after=timedelta(0)) == [export.pk]
    assert export_build._claim(export.pk, timedelta(seconds=60)) is not None
    with pytest.raises(export_build.LostClaimError):
        claim.beat(kinds_done=1)
    assert DataExport.objects.get(pk=export.pk).kinds_done == 0


# --- Retention ---------------------------------------------------------------------------------


def test_expired_exports_are_deleted_with_their_files(subject, settings) -> None:  # noqa: ANN001
    settings.DATA_EXPORT_RETENTION_DAYS = 7
    old = _built(subject)
    recent = _built(subject)
    failed = DataExport.objects.create(user=subject, status=DataExport.Status.FAILED)
    pending = DataExport.objects.create(user=subject)
    now = timezone.now()
    DataExport.objects.filter(pk__in=[old.pk, failed.pk]).update(
        finished_at=now - timedelta(days=8)
    )
    DataExport.objects.filter(pk=recent.pk).update(finished_at=now - timedelta(days=6))
    orphan = export_build.export_folder(999999)
    orphan.mkdir(parents=True)
    (orphan / "left.zip").write_bytes(b"x")

    assert sorted(services.delete_expired_data_exports()) == sorted([old.pk, failed.pk])
    assert set(DataExport.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
    assert not Path(old.path).exists() and not export_build.export_folder(old.pk).exists()
    assert Path(recent.path).is_file() and not orphan.exists()
    deleted = AuditEvent.objects.filter(action="export.deleted")
    assert sorted(int(e.target_id) for e in deleted) == sorted([old.pk, failed.pk])
    assert all(e.details == {"reason": "retention", "retention_days": 7} for e in deleted)
    assert services.delete_expired_data_exports() == []


def test_the_retention_task_is_scheduled(settings) -> None:  # noqa: ANN001
    from handover.tasks import delete_expired_data_exports_task, sweep_stale_data_exports_task

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert delete_expired_data_exports_task.name in tasks
    assert sweep_stale_data_exports_task.name in tasks


def test_the_retention_setting_is_read_from_the_environment(monkeypatch) -> None:  # noqa: ANN001
    from config.env import ImproperlyConfiguredEnvError, env_int

    monkeypatch.setenv("DATA_EXPORT_RETENTION_DAYS", "0")
    with pytest.raises(ImproperlyConfiguredEnvError, match="DATA_EXPORT_RETENTION_DAYS"):
        env_int("DATA_EXPORT_RETENTION_DAYS", 7, minimum=1, maximum=36500)
    from django.conf import settings as django_settings

    assert django_settings.DATA_EXPORT_RETENTION_DAYS == 7


# --- Pages ---------------------------------------------------------------------------------------


def test_the_person_asks_watches_and_downloads(client_for, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    listing = client.get("/handover/exports/")
    assert listing.status_code == 200 and "You have not exported your data yet." in (
        listing.content.decode()
    )
    response = client.post("/handover/exports/")
    export = DataExport.objects.get(user=subject)
    assert response.status_code == 302 and response["Location"] == f"/handover/exports/{export.pk}/"

    page = client.get(f"/handover/exports/{export.pk}/").content.decode()
    assert "<html" in page and 'hx-trigger="every 1s"' in page and "<progress" in page
    partial = client.get(f"/handover/exports/{export.pk}/", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="export-status"') and "<html" not in body
    assert "Waiting for a worker" in body and "/download/" not in body
    assert client.get(f"/handover/exports/{export.pk}/download/").status_code == 404

    export_build.build_data_export(export_id=export.pk)
    done = client.get(f"/handover/exports/{export.pk}/", headers={"HX-Request": "true"})
    body = done.content.decode()
    assert "hx-trigger" not in body and 'value="100"' in body
    assert f'href="/handover/exports/{export.pk}/download/"' in body
    download = client.get(f"/handover/exports/{export.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == (
        f'attachment; filename="tacit-data-export-{export.pk}.zip"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    manifest, _files = _read_zip(b"".join(download.streaming_content))
    assert list(manifest["kinds"]) == export_kinds(subject)
    listed = client.get("/handover/exports/").content.decode()
    assert f'href="/handover/exports/{export.pk}/download/"' in listed


@pytest.mark.parametrize("htmx", [False, True])
def test_a_second_request_on_the_page_is_refused_with_the_reason(
    client_for,  # noqa: ANN001
    subject,  # noqa: ANN001
    htmx: bool,
) -> None:
    client = client_for(subject)
    client.post("/handover/exports/")
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/handover/exports/", headers=headers)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Your previous data export is still being prepared." in body
    assert ("<html" in body) is not htmx
    assert DataExport.objects.filter(user=subject).count() == 1


def test_a_failed_export_shows_its_error_and_a_way_to_start_again(client_for, subject) -> None:  # noqa: ANN001
    export = DataExport.objects.create(
        user=subject, status=DataExport.Status.FAILED, error="It broke.", kinds_total=16
    )
    body = client_for(subject).get(f"/handover/exports/{export.pk}/").content.decode()
    assert "It broke." in body and 'action="/handover/exports/"' in body
    assert "hx-trigger" not in body


@pytest.mark.parametrize("persona", OTHERS)
def test_nobody_else_sees_or_downloads_an_export(
    client_for,  # noqa: ANN001
    subject,  # noqa: ANN001
    request,  # noqa: ANN001
    persona: str,
) -> None:
    export = _built(subject)
    client = client_for(request.getfixturevalue(persona))
    for url in (f"/handover/exports/{export.pk}/", f"/handover/exports/{export.pk}/download/"):
        assert client.get(url).status_code == 404
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    assert (
        f"/handover/exports/{export.pk}/" not in client.get("/handover/exports/").content.decode()
    )
    api = f"/api/handover/exports/{export.pk}/"
    assert client.get(api).status_code == 404
    assert client.get(f"{api}download/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client_for, subject) -> None:  # noqa: ANN001
    export = _built(subject)
    client = client_for(None)
    for url in (
        "/handover/exports/",
        f"/handover/exports/{export.pk}/",
        f"/handover/exports/{export.pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/handover/exports/").status_code == 302
    assert DataExport.objects.count() == 1


def test_the_wrong_method_is_refused_on_the_pages(client_for, subject) -> None:  # noqa: ANN001
    export = _built(subject)
    client = client_for(subject)
    assert client.put("/handover/exports/").status_code == 405
    assert client.post(f"/handover/exports/{export.pk}/").status_code == 405
    assert client.post(f"/handover/exports/{export.pk}/download/").status_code == 405


# --- API ----------------------------------------------------------------------------------------


def test_the_api_requests_reports_and_downloads(client_for, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    created = client.post("/api/handover/exports/")
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["status"] == "pending" and body["download_url"] is None
    assert body["kinds_total"] == len(HELD_KINDS) and body["percent_done"] == 0
    assert created["Location"] == f"/api/handover/exports/{body['id']}/"
    refused = client.post("/api/handover/exports/")
    assert refused.status_code == 409 and "still being prepared" in refused.json()["detail"]

    download = f"/api/handover/exports/{body['id']}/download/"
    not_ready = client.get(download)
    assert not_ready.status_code == 409 and not_ready.json()["detail"]

    export_build.build_data_export(export_id=body["id"])
    detail = client.get(f"/api/handover/exports/{body['id']}/").json()
    assert detail["status"] == "ready" and detail["percent_done"] == 100
    assert detail["download_url"] == download and detail["size_bytes"] > 0
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    manifest, _files = _read_zip(b"".join(response.streaming_content))
    assert list(manifest["kinds"]) == export_kinds(subject)


def test_the_api_answers_anonymous_with_401(client_for, subject) -> None:  # noqa: ANN001
    export = _built(subject)
    client = client_for(None)
    for method, url in (
        ("post", "/api/handover/exports/"),
        ("get", f"/api/handover/exports/{export.pk}/"),
        ("get", f"/api/handover/exports/{export.pk}/download/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_the_api_refuses_the_wrong_method(client_for, subject) -> None:  # noqa: ANN001
    export = _built(subject)
    client = client_for(subject)
    assert client.get("/api/handover/exports/").status_code == 405
    assert client.delete(f"/api/handover/exports/{export.pk}/").status_code == 405
    assert client.post(f"/api/handover/exports/{export.pk}/download/").status_code == 405
    assert DataExport.objects.count() == 1


def test_the_export_pages_speak_chinese(client_for, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    zh = {"Accept-Language": "zh-hans"}
    assert "导出我的数据" in client.get("/handover/exports/", headers=zh).content.decode()
    client.post("/handover/exports/")
    export = DataExport.objects.get(user=subject)
    body = client.get(f"/handover/exports/{export.pk}/", headers=zh).content.decode()
    assert "等待处理" in body and f"已写入 0 / {len(HELD_KINDS)} 类数据" in body


def test_only_a_signed_in_person_may_ask() -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(services.DataExportNotAllowedError):
        services.request_data_export(user=AnonymousUser())
    assert not DataExport.objects.exists()
