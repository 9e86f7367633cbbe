"""Attachments: size limit, sniffed types, spoofing, empty files; nothing saved on error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.wiki.conftest import png_bytes
from wiki.models import Attachment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def _png() -> bytes:
    return png_bytes((4, 4), "red")


def _upload(client, page, name, content, content_type):  # noqa: ANN001, ANN202
    url = reverse("wiki:attachment-upload", kwargs={"key": page.space.key, "path": page.path})
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(url, {"file": upload})


def test_an_image_is_stored_and_served_inline_with_nosniff(
    wiki_page, teammate, successor, client_for
):
    response = _upload(client_for(teammate), wiki_page, "chart.png", _png(), "image/png")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    served = client_for(successor).get(
        reverse("wiki:attachment-download", kwargs={"attachment_id": attachment.pk})
    )
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    view = client_for(successor).get(
        reverse("wiki:page-view", kwargs={"key": wiki_page.space.key, "path": wiki_page.path})
    )
    assert f'<img src="/wiki/-/attachments/{attachment.pk}/"' in view.content.decode()


def test_text_is_served_as_a_download(wiki_page, teammate, client_for):
    _upload(
        client_for(teammate), wiki_page, "notes.html", b"<script>alert(1)</script>", "text/html"
    )
    attachment = Attachment.objects.get()
    assert attachment.content_type == "text/plain"
    served = client_for(teammate).get(
        reverse("wiki:attachment-download", kwargs={"attachment_id": attachment.pk})
    )
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Type"] == "text/plain"


def test_oversize_files_are_refused(wiki_page, teammate, client_for, settings):
    settings.WIKI_ATTACHMENT_MAX_BYTES = 100
    response = _upload(client_for(teammate), wiki_page, "big.txt", b"x" * 101, "text/plain")
    assert response.status_code == 400
    assert "the limit is 100 bytes" in response.content.decode()
    assert not Attachment.objects.exists()


def test_empty_files_are_refused(wiki_page, teammate, client_for, media_root):
    response = _upload(client_for(teammate), wiki_page, "empty.txt", b"", "text/plain")
    assert response.status_code == 400
    assert "empty" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not any(media_root.rglob("*.txt"))


def test_a_spoofed_image_is_refused(wiki_page, teammate, client_for, media_root):
    response = _upload(
        client_for(teammate), wiki_page, "cat.png", b"#!/bin/sh\nrm -rf /\n", "image/png"
    )
    assert response.status_code == 400
    assert "claims to be image/png" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not any(media_root.rglob("*.png"))


def test_executables_are_refused(wiki_page, teammate, client_for):
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 60
    response = _upload(client_for(teammate), wiki_page, "tool", elf, "application/octet-stream")
    assert response.status_code == 400
    assert "not allowed" in response.content.decode()
    assert not Attachment.objects.exists()


def test_readers_cannot_upload_and_outsiders_cannot_download(
    wiki_page, teammate, successor, outsider, client_for
):
    assert (
        _upload(client_for(successor), wiki_page, "a.txt", b"hello", "text/plain").status_code
        == 403
    )
    _upload(client_for(teammate), wiki_page, "a.txt", b"hello", "text/plain")
    attachment = Attachment.objects.get()
    url = reverse("wiki:attachment-download", kwargs={"attachment_id": attachment.pk})
    assert client_for(outsider).get(url).status_code == 404
    delete = reverse("wiki:attachment-delete", kwargs={"attachment_id": attachment.pk})
    assert client_for(successor).post(delete).status_code == 403
    assert client_for(teammate).post(delete).status_code == 302
    assert not Attachment.objects.exists()
