"""DELETE an import through the API, and the receipts; the owner only."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from handover.imports import pipeline, services
from handover.models import DeletionReceipt, Message, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 30


@pytest.fixture
def imported(shared_data: Path, subject) -> Source:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    source = services.create_source(
        owner=subject, uploaded_file=SimpleUploadedFile("testarchive.zip", data)
    )
    services.start_import(source=source, by=subject, schedule=False)
    return pipeline.run_import(source_id=source.pk)


# Real commits: the file is deleted and the receipt completed before the answer is sent.
@pytest.mark.django_db(transaction=True)
def test_the_owner_deletes_and_reads_the_receipt(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    messages = Message.objects.filter(source=imported).count()
    response = client.delete(f"/api/handover/imports/{imported.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "import_erasure" and body["summary"] == "testarchive.zip"
    counts = {item["what"]: item["count"] for item in body["items"]}
    assert counts["messages"] == messages and counts["files"] == 1 and counts["imports"] == 1
    assert body["total_removed"] == sum(counts.values()) and body["completed_at"]
    assert not Source.objects.filter(pk=imported.pk).exists()
    assert not Path(imported.path).exists()

    listing = client.get("/api/handover/receipts/").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == body["id"]
    detail = client.get(f"/api/handover/receipts/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["completed_at"]
    assert client.delete(f"/api/handover/imports/{imported.pk}/").status_code == 404


def test_a_running_import_answers_409(client_for, imported: Source) -> None:  # noqa: ANN001
    Source.objects.filter(pk=imported.pk).update(status=Source.Status.RUNNING)
    response = client_for(imported.owner).delete(f"/api/handover/imports/{imported.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This import is still queued or running. Cancel it first, then delete it."
    }
    assert Source.objects.filter(pk=imported.pk).exists() and Path(imported.path).is_file()
    assert not DeletionReceipt.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "manager", "operator", "outsider"])
def test_others_get_404(client_for, imported: Source, persona: str, request) -> None:  # noqa: ANN001
    receipt = DeletionReceipt.objects.create(
        user=imported.owner, kind=DeletionReceipt.Kind.IMPORT_ERASURE, summary="x.zip"
    )
    client = client_for(request.getfixturevalue(persona))
    assert client.delete(f"/api/handover/imports/{imported.pk}/").status_code == 404
    assert client.get(f"/api/handover/receipts/{receipt.pk}/").status_code == 404
    assert client.get("/api/handover/receipts/").json()["results"] == []
    assert Source.objects.filter(pk=imported.pk).exists()


def test_anonymous_is_refused(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(None)
    assert client.delete(f"/api/handover/imports/{imported.pk}/").status_code == 401
    assert client.get("/api/handover/receipts/").status_code == 401
    assert client.get("/api/handover/receipts/1/").status_code == 401
    assert Source.objects.filter(pk=imported.pk).exists()


def test_wrong_methods_are_refused(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    assert client.post("/api/handover/receipts/").status_code == 405
    assert client.delete("/api/handover/receipts/1/").status_code == 405
    assert client.put(f"/api/handover/imports/{imported.pk}/").status_code == 405
    assert Source.objects.filter(pk=imported.pk).exists()
