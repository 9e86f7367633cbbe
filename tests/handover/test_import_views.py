"""The import pages for every persona: only the owner sees an import and what it holds."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from handover.imports import pipeline, services
from handover.models import Conversation, Message, Source, Thread

pytestmark = pytest.mark.django_db

OTHERS = ["teammate", "manager", "successor", "operator", "outsider"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def imported(shared_data: Path, subject, team) -> Source:  # noqa: ANN001
    """The subject's import of the houstondatavis Slack export, finished."""
    source = services.create_source(owner=subject, path=shared_data / "slack" / "houstondatavis")
    services.start_import(source=source, by=subject, schedule=False)
    finished = pipeline.run_import(source_id=source.pk)
    assert finished is not None and finished.status == Source.Status.SUCCEEDED
    return finished


def _urls(source: Source) -> dict[str, str]:
    conversation = Conversation.objects.get(owner=source.owner, name="general")
    thread = Thread.objects.filter(conversation=conversation).first()
    return {
        "detail": f"/handover/imports/{source.pk}/",
        "conversation": f"/handover/conversations/{conversation.pk}/",
        "thread": f"/handover/threads/{thread.pk}/",
    }


def test_the_owner_sees_every_page(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    urls = _urls(imported)
    detail = client.get(urls["detail"])
    assert detail.status_code == 200
    assert b"<html" in detail.content and b'id="import-status"' in detail.content
    assert b"README.md" in detail.content  # the skipped item and its reason are listed
    assert b"not a channel day file" in detail.content
    listing = client.get("/handover/imports/")
    assert listing.status_code == 200 and b"houstondatavis" in listing.content
    conversations = client.get("/handover/conversations/")
    assert conversations.status_code == 200 and b"general" in conversations.content
    assert client.get(urls["conversation"]).status_code == 200
    thread = client.get(urls["thread"])
    assert thread.status_code == 200
    message = Message.objects.filter(thread__pk=int(urls["thread"].split("/")[-2])).first()
    assert message.author.display_name.encode() in thread.content


@pytest.mark.parametrize("persona", OTHERS)
def test_nobody_else_sees_an_import(client_for, imported: Source, persona: str, request) -> None:  # noqa: ANN001
    other = request.getfixturevalue(persona)
    client = client_for(other)
    for url in _urls(imported).values():
        assert client.get(url).status_code == 404, url
    assert b"houstondatavis" not in client.get("/handover/imports/").content
    assert b"general" not in client.get("/handover/conversations/").content
    search = client.get("/handover/search/", {"q": "meetup"})
    assert search.status_code == 200
    assert b"<mark>" not in search.content
    assert client.post(f"/handover/imports/{imported.pk}/cancel/").status_code == 404
    assert client.post(f"/handover/imports/{imported.pk}/restart/").status_code == 404
    imported.refresh_from_db()
    assert imported.status == Source.Status.SUCCEEDED


def test_anonymous_visitors_are_sent_to_login(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(None)
    for url in [*_urls(imported).values(), "/handover/imports/", "/handover/search/?q=x"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
    assert client.post(f"/handover/imports/{imported.pk}/cancel/").status_code == 302


def test_wrong_methods_are_refused(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    urls = _urls(imported)
    for url in [*urls.values(), "/handover/imports/", "/handover/conversations/"]:
        assert client.post(url).status_code == 405, url
    assert client.get(f"/handover/imports/{imported.pk}/cancel/").status_code == 405
    assert client.get(f"/handover/imports/{imported.pk}/restart/").status_code == 405
    assert client.delete("/handover/imports/new/").status_code == 405


def test_htmx_gets_the_status_partial(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    response = client.get(f"/handover/imports/{imported.pk}/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="import-status"')
    assert "<html" not in body
    # Finished: the partial no longer asks to be polled.
    assert "hx-trigger" not in body


def test_a_running_import_is_polled_every_second(client_for, imported: Source) -> None:  # noqa: ANN001
    Source.objects.filter(pk=imported.pk).update(status=Source.Status.RUNNING)
    response = client_for(imported.owner).get(
        f"/handover/imports/{imported.pk}/", headers={"HX-Request": "true"}
    )
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "Cancel import" in response.content.decode()


def test_cancel_of_a_finished_import_explains_why_not(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    response = client.post(f"/handover/imports/{imported.pk}/cancel/", follow=True)
    assert response.status_code == 200
    assert b"Only a queued or running import can be cancelled." in response.content


def test_cancel_of_a_queued_import(client_for, subject, shared_data: Path) -> None:  # noqa: ANN001
    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    services.start_import(source=source, by=subject, schedule=False)
    response = client_for(subject).post(f"/handover/imports/{source.pk}/cancel/")
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.status == Source.Status.CANCELLED


def test_search_highlights_the_owners_messages(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    response = client.get("/handover/search/", {"q": "meetup"})
    assert response.status_code == 200
    assert b"<mark>" in response.content
    partial = client.get("/handover/search/", {"q": "meetup"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section id="search-results"')
    empty = client.get("/handover/search/", {"q": "zzzxqj"})
    assert "No messages match" in empty.content.decode()


def test_list_pages_use_a_fixed_number_of_queries(
    client_for,  # noqa: ANN001
    imported: Source,
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    client = client_for(imported.owner)
    urls = _urls(imported)
    for url in ["/handover/imports/", "/handover/conversations/", urls["conversation"]]:
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(urls["thread"]).status_code == 200


# --- Upload ------------------------------------------------------------------------------------


def test_an_upload_is_stored_and_queued(client_for, subject, shared_data: Path) -> None:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    client = client_for(subject)
    assert client.get("/handover/imports/new/").status_code == 200
    response = client.post(
        "/handover/imports/new/", {"file": SimpleUploadedFile("testarchive.zip", data)}
    )
    assert response.status_code == 302
    source = Source.objects.get(owner=subject)
    assert response["Location"] == f"/handover/imports/{source.pk}/"
    assert source.status == Source.Status.QUEUED and source.format == "slack"


def test_the_format_can_be_chosen(client_for, subject, shared_data: Path) -> None:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    response = client_for(subject).post(
        "/handover/imports/new/",
        {"file": SimpleUploadedFile("testarchive.zip", data), "format": "slack"},
    )
    assert response.status_code == 302
    assert Source.objects.get(owner=subject).format == "slack"


def _refused(response, settings) -> None:  # noqa: ANN001
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert not Source.objects.exists()
    imports = Path(settings.MEDIA_ROOT) / "imports"
    assert not imports.exists() or not any(imports.iterdir())


def test_an_upload_without_a_file_is_refused(client_for, subject, settings) -> None:  # noqa: ANN001
    response = client_for(subject).post("/handover/imports/new/", {})
    _refused(response, settings)
    assert b"Choose an export file to upload." in response.content


def test_an_oversized_upload_is_refused(client_for, subject, settings, shared_data: Path) -> None:  # noqa: ANN001
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    response = client_for(subject).post(
        "/handover/imports/new/", {"file": SimpleUploadedFile("testarchive.zip", data)}
    )
    _refused(response, settings)
    assert b"larger than the limit of 1,000 bytes" in response.content


def test_a_file_that_is_not_an_archive_is_refused(client_for, subject, settings) -> None:  # noqa: ANN001
    response = client_for(subject).post(
        "/handover/imports/new/",
        {"file": SimpleUploadedFile("holiday.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)},
    )
    _refused(response, settings)
    assert b"holiday.png" in response.content


def test_a_broken_export_is_refused(client_for, subject, settings, tmp_path: Path) -> None:  # noqa: ANN001
    response = client_for(subject).post(
        "/handover/imports/new/",
        {"file": SimpleUploadedFile("broken.zip", b"PK\x03\x04 this is not really a zip")},
    )
    _refused(response, settings)
    assert b"broken.zip" in response.content


def test_an_unknown_format_choice_is_refused(
    client_for, subject, settings, shared_data: Path
) -> None:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    response = client_for(subject).post(
        "/handover/imports/new/",
        {"file": SimpleUploadedFile("testarchive.zip", data), "format": "carrier-pigeon"},
    )
    _refused(response, settings)
    assert b"Select a valid choice" in response.content


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_with_escaping_paths_is_refused(client_for, subject, settings) -> None:  # noqa: ANN001
    data = _zip_bytes({"../../outside/channels.json": b"[]", "/etc/users.json": b"[]"})
    response = client_for(subject).post(
        "/handover/imports/new/", {"file": SimpleUploadedFile("escape.zip", data)}
    )
    _refused(response, settings)
    assert b"escape.zip" in response.content
    assert not (Path(settings.MEDIA_ROOT).parent / "outside").exists()


def test_a_zip_bomb_is_refused(client_for, subject, settings) -> None:  # noqa: ANN001
    data = _zip_bytes({"general/2020-01-01.json": b"[" + b" " * (40 * 1024 * 1024) + b"]"})
    assert len(data) < 200 * 1024
    response = client_for(subject).post(
        "/handover/imports/new/", {"file": SimpleUploadedFile("bomb.zip", data)}
    )
    _refused(response, settings)
    assert b"zip bomb" in response.content


def test_an_overlong_search_is_refused_clearly(client_for, subject) -> None:  # noqa: ANN001
    response = client_for(subject).get("/handover/search/", {"q": "x" * 501})
    assert response.status_code == 400
    assert b"Ensure this value has at most 500 characters" in response.content


def test_the_thread_page_shows_edits_and_attachment_names(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    edited = Message.objects.filter(
        conversation__owner=imported.owner, edited_at__isnull=False
    ).first()
    assert edited is not None, "the export has edited messages"
    page = client.get(f"/handover/threads/{edited.thread_id}/").content.decode()
    assert f'id="message-{edited.pk}"' in page
    assert "(edited)" in page
    shared = Message.objects.filter(
        conversation__owner=imported.owner, attachments__0__name__isnull=False
    ).first()
    assert shared is not None, "the export has file shares"
    page = client.get(f"/handover/threads/{shared.thread_id}/").content.decode()
    from django.utils.html import escape

    assert escape(shared.attachments[0]["name"]) in page


def test_the_upload_page_states_the_size_limit(client_for, subject, settings) -> None:  # noqa: ANN001
    settings.IMPORT_MAX_UPLOAD_BYTES = 2048
    page = client_for(subject).get("/handover/imports/new/").content.decode()
    assert "up to 2.0\xa0KB" in page or "up to 2.0 KB" in page
    assert 'name="format"' in page and "Detect automatically" in page


def _notices(content: bytes) -> list[str]:
    """The text of each item in base.html's notice box (ul.messages), in order."""
    import re

    box = re.search(rb'<ul class="messages"[^>]*>(.*?)</ul>', content, re.S)
    if box is None:
        return []
    return [
        item.decode().strip() for item in re.findall(rb"<li[^>]*>(.*?)</li>", box.group(1), re.S)
    ]


def test_the_thread_page_notice_box_holds_only_real_notices(client_for, imported: Source) -> None:  # noqa: ANN001
    client = client_for(imported.owner)
    thread = (
        Thread.objects.annotate(n=Count("messages"))
        .filter(conversation__owner=imported.owner, n__gte=1)
        .first()
    )
    plain = client.get(f"/handover/threads/{thread.pk}/")
    assert plain.status_code == 200
    assert _notices(plain.content) == []
    assert plain.content.count(b'class="message-item') == thread.messages.count()
    # A real notice (here from a refused cancel) is shown, and it is the only one.
    refused = client.post(f"/handover/imports/{imported.pk}/cancel/")
    assert refused.status_code == 302
    with_notice = client.get(f"/handover/threads/{thread.pk}/")
    assert _notices(with_notice.content) == ["Only a queued or running import can be cancelled."]


def test_the_thread_page_shows_slack_formatting_as_html(client_for, imported: Source) -> None:  # noqa: ANN001
    message = Message.objects.filter(
        conversation__owner=imported.owner, text__regex=r"(^|\s)\*[^*\s][^*]*\*(\s|$)"
    ).first()
    assert message is not None, "the export has a message in *bold*"
    page = client_for(imported.owner).get(f"/handover/threads/{message.thread_id}/")
    assert b"<strong>" in page.content
