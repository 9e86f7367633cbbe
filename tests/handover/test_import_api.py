"""The imports REST API: upload, status, report, cancel, search; owner only."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from handover.imports import pipeline, services
from handover.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def imported(shared_data: Path, subject) -> Source:  # noqa: ANN001
    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    services.start_import(source=source, by=subject, schedule=False)
    return pipeline.run_import(source_id=source.pk)


def test_upload_then_read_status(client_for, subject, shared_data: Path) -> None:  # noqa: ANN001
    client = client_for(subject)
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    response = client.post(
        "/api/handover/imports/", {"file": SimpleUploadedFile("testarchive.zip", data)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["format"] == "slack"
    detail = client.get(f"/api/handover/imports/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["id"] == body["id"]
    listing = client.get("/api/handover/imports/").json()
    assert [item["id"] for item in listing["results"]] == [body["id"]]


def test_a_bad_upload_gets_a_clear_error(client_for, subject, settings) -> None:  # noqa: ANN001
    client = client_for(subject)
    response = client.post(
        "/api/handover/imports/", {"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" * 8)}
    )
    assert response.status_code == 400
    assert "x.png" in response.json()["file"][0]
    assert client.post("/api/handover/imports/", {}).status_code == 400
    settings.IMPORT_MAX_UPLOAD_BYTES = 5
    too_big = client.post(
        "/api/handover/imports/", {"file": SimpleUploadedFile("a.json", b"[1, 2, 3, 4]")}
    )
    assert too_big.status_code == 400 and "larger than the limit" in too_big.json()["file"][0]
    assert not Source.objects.exists()


def test_the_report_and_cancel(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    body = client.get(f"/api/handover/imports/{imported.pk}/").json()
    assert body["status"] == "succeeded" and body["percent_done"] == 100
    assert body["report"]["totals"]["new"] == imported.messages_done
    refused = client.post(f"/api/handover/imports/{imported.pk}/cancel/")
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]
    assert client.get(f"/api/handover/imports/{imported.pk}/cancel/").status_code == 405


def test_search(client_for, imported: Source, teammate) -> None:  # noqa: ANN001
    hits = client_for(imported.owner).get("/api/handover/messages/search/", {"q": "joined"})
    assert hits.status_code == 200 and hits.json()["results"]
    assert "<mark>joined</mark>" in hits.json()["results"][0]["snippet_html"]
    other = client_for(teammate).get("/api/handover/messages/search/", {"q": "joined"})
    assert other.json()["results"] == []
    assert client_for(teammate).get("/api/handover/messages/search/").status_code == 400


@pytest.mark.parametrize("persona", ["teammate", "manager", "operator", "outsider"])
def test_others_get_404(client_for, imported: Source, persona: str, request) -> None:  # noqa: ANN001
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/api/handover/imports/{imported.pk}/").status_code == 404
    assert client.post(f"/api/handover/imports/{imported.pk}/cancel/").status_code == 404
    assert client.get("/api/handover/imports/").json()["results"] == []


def test_anonymous_is_refused(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(None)
    assert client.get("/api/handover/imports/").status_code == 401
    assert client.get(f"/api/handover/imports/{imported.pk}/").status_code == 401


def test_search_explains_a_missing_blank_or_overlong_query(client_for, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    url = "/api/handover/messages/search/"
    for params in ({}, {"q": "   "}):
        response = client.get(url, params)
        assert response.status_code == 400
        assert response.json() == {"q": ["Type something to search for."]}
    overlong = client.get(url, {"q": "x" * 501})
    assert overlong.status_code == 400 and "500 characters" in overlong.json()["q"][0]
