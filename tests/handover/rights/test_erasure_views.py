"""The delete-an-import pages and the receipt pages, for every persona."""

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from handover.imports import pipeline, services
from handover.models import DeletionReceipt, Message, Source

pytestmark = pytest.mark.django_db

OTHERS = ["teammate", "manager", "operator", "outsider"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 30


@pytest.fixture
def imported(shared_data: Path, subject) -> Source:  # noqa: ANN001
    """The subject's upload of the Slack test archive, imported."""
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    source = services.create_source(
        owner=subject, uploaded_file=SimpleUploadedFile("testarchive.zip", data)
    )
    services.start_import(source=source, by=subject, schedule=False)
    finished = pipeline.run_import(source_id=source.pk)
    assert finished is not None and finished.status == Source.Status.SUCCEEDED
    return finished


def _confirm(source: Source) -> str:
    return f"/handover/imports/{source.pk}/delete/confirm/"


def _delete(source: Source) -> str:
    return f"/handover/imports/{source.pk}/delete/"


def _receipt(owner) -> DeletionReceipt:  # noqa: ANN001
    return DeletionReceipt.objects.create(
        user=owner,
        kind=DeletionReceipt.Kind.IMPORT_ERASURE,
        summary="export.zip",
        items=[{"what": "messages", "count": 3, "at": "2026-12-01T10:00:00+00:00"}],
    )


def test_the_owner_confirms_and_gets_a_receipt(
    client_for,  # noqa: ANN001
    imported: Source,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = client_for(imported.owner)
    messages = Message.objects.filter(source=imported).count()
    detail = client.get(f"/handover/imports/{imported.pk}/").content.decode()
    assert "Delete this import" in detail and _confirm(imported) in detail
    assert _confirm(imported) in client.get("/handover/imports/").content.decode()

    page = client.get(_confirm(imported))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<html" in body and f"{messages} messages" in body
    assert "the uploaded file Tacit stored" in body
    assert f'action="{_delete(imported)}"' in body
    assert Source.objects.filter(pk=imported.pk).exists()  # looking deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_delete(imported))
    receipt = DeletionReceipt.objects.get(user=imported.owner)
    assert response.status_code == 302
    assert response["Location"] == f"/handover/receipts/{receipt.pk}/"
    assert not Source.objects.filter(pk=imported.pk).exists()
    assert not Path(imported.path).exists()
    assert len(mail.outbox) == 1

    shown = client.get(response["Location"])
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "testarchive.zip" in text and "The import was deleted." in text
    assert f'<tr data-what="messages">\n      <td>Messages</td>\n      <td>{messages}</td>' in text
    assert "Not completed" not in text
    listing = client.get("/handover/receipts/").content.decode()
    assert f"/handover/receipts/{receipt.pk}/" in listing
    assert client.get(_confirm(imported)).status_code == 404


def test_the_confirmation_is_an_htmx_partial_too(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    partial = client.get(_confirm(imported), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="delete-confirmation"')
    assert "<html" not in body and "messages" in body
    detail = client.get(f"/handover/imports/{imported.pk}/").content.decode()
    assert f'hx-get="{_confirm(imported)}" hx-target="#import-delete"' in detail


def test_an_htmx_delete_is_sent_to_the_receipt(
    client_for,  # noqa: ANN001
    imported: Source,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(imported.owner).post(
            _delete(imported), headers={"HX-Request": "true"}
        )
    receipt = DeletionReceipt.objects.get(user=imported.owner)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/handover/receipts/{receipt.pk}/"


@pytest.mark.parametrize("htmx", [False, True])
def test_a_running_import_is_refused_with_the_reason(
    client_for,  # noqa: ANN001
    imported: Source,
    htmx: bool,
) -> None:
    Source.objects.filter(pk=imported.pk).update(status=Source.Status.RUNNING)
    client = client_for(imported.owner)
    page = client.get(_confirm(imported)).content.decode()
    assert "Cancel it first, then delete it." in page and 'action="' not in page.split("<main")[-1]
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(_delete(imported), headers=headers)
    assert response.status_code == 409
    body = response.content.decode()
    assert "This import is still queued or running. Cancel it first, then delete it." in body
    assert ("<html" in body) is not htmx
    assert Source.objects.filter(pk=imported.pk).exists() and Path(imported.path).is_file()
    assert Message.objects.filter(source=imported).exists()
    assert not DeletionReceipt.objects.exists()


@pytest.mark.parametrize("persona", OTHERS)
def test_nobody_else_may_see_or_delete(
    client_for,  # noqa: ANN001
    imported: Source,
    persona: str,
    request,  # noqa: ANN001
) -> None:
    other = request.getfixturevalue(persona)
    client = client_for(other)
    assert client.get(_confirm(imported)).status_code == 404
    assert client.get(_confirm(imported), headers={"HX-Request": "true"}).status_code == 404
    assert client.post(_delete(imported)).status_code == 404
    assert Source.objects.filter(pk=imported.pk).exists() and Path(imported.path).is_file()
    receipt = _receipt(imported.owner)
    assert client.get(f"/handover/receipts/{receipt.pk}/").status_code == 404
    assert "export.zip" not in client.get("/handover/receipts/").content.decode()


def test_anonymous_visitors_are_sent_to_login(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(None)
    receipt = _receipt(imported.owner)
    for method, url in [
        ("get", _confirm(imported)),
        ("post", _delete(imported)),
        ("get", "/handover/receipts/"),
        ("get", f"/handover/receipts/{receipt.pk}/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
    assert Source.objects.filter(pk=imported.pk).exists()


def test_wrong_methods_are_refused(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    receipt = _receipt(imported.owner)
    assert client.get(_delete(imported)).status_code == 405
    assert client.delete(_delete(imported)).status_code == 405
    assert client.post(_confirm(imported)).status_code == 405
    assert client.post("/handover/receipts/").status_code == 405
    assert client.post(f"/handover/receipts/{receipt.pk}/").status_code == 405
    assert Source.objects.filter(pk=imported.pk).exists()


def test_a_succeeded_import_whose_file_went_says_so(client_for, imported: Source) -> None:  # noqa: ANN001
    services.delete_succeeded_upload(source_id=imported.pk, reason="retention")
    client = client_for(imported.owner)
    detail = client.get(f"/handover/imports/{imported.pk}/").content.decode()
    assert "The uploaded file was deleted on" in detail and "Import again" not in detail
    refused = client.post(f"/handover/imports/{imported.pk}/restart/", follow=True)
    assert "Upload the export again instead." in refused.content.decode()
    confirm = client.get(_confirm(imported)).content.decode()
    assert "no file: the upload was already deleted after the import succeeded" in confirm


def test_an_incomplete_receipt_says_why(client_for, subject) -> None:  # noqa: ANN001
    receipt = DeletionReceipt.objects.create(
        user=subject,
        kind=DeletionReceipt.Kind.IMPORT_ERASURE,
        summary="export.zip",
        items=[
            {"what": "messages", "count": 3, "at": "2026-12-01T10:00:00+00:00"},
            {
                "what": "files",
                "count": 0,
                "at": "2026-12-01T10:00:01+00:00",
                "error": "delete_failed",
            },  # fmt: skip
        ],
    )
    body = client_for(subject).get(f"/handover/receipts/{receipt.pk}/").content.decode()
    assert "Not completed" in body and "The stored upload could not be deleted." in body


def test_the_pages_are_translated(
    client_for,  # noqa: ANN001
    imported: Source,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    client = client_for(imported.owner)
    headers = {"Accept-Language": "zh-hans"}
    assert "删除此导入" in client.get(_confirm(imported), headers=headers).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_delete(imported), headers=headers)
    page = client.get(response["Location"], headers=headers).content.decode()
    assert "删除回执" in page and "消息" in page
    assert "删除回执" in mail.outbox[0].subject
    translation.activate("en")


def test_list_pages_use_a_fixed_number_of_queries(
    client_for,  # noqa: ANN001
    subject,  # noqa: ANN001
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    for _ in range(5):
        _receipt(subject)
    client = client_for(subject)
    with django_assert_max_num_queries(6):
        assert client.get("/handover/receipts/").status_code == 200
