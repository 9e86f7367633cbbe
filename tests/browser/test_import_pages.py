"""Importing in Debian's Chromium: upload, live progress, report, browse, search, drop, errors."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from handover.models import Source
from tests.conftest import PASSWORD
from tests.handover.slack_counts import count_slack_export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_upload_watch_progress_browse_and_search(
    live_server,  # noqa: ANN001
    celery_worker,  # noqa: ANN001
    page: Page,
    subject,  # noqa: ANN001
    shared_data: Path,
) -> None:
    archive = shared_data / "slack" / "testarchive.zip"
    expected = count_slack_export(archive)
    log_in(page, live_server.url, "subject")
    page.get_by_role("link", name="Imports").click()
    page.get_by_role("link", name="Import an export").click()
    page.wait_for_load_state()
    page.get_by_label("Export file").set_input_files(archive)
    # The script shows the chosen file's name in the drop zone.
    expect(page.locator("[data-dropzone-hint]")).to_have_text("testarchive.zip")
    page.get_by_label("Format").select_option("slack")
    page.get_by_role("button", name="Upload and import").click()

    # htmx polls the status until the worker is done; no reload needed.
    expect(page).to_have_url(re.compile(r"/handover/imports/\d+/$"))
    status = page.locator("#import-status .status-badge")
    expect(status).to_have_text("Succeeded", timeout=90_000)
    expect(page.locator("#import-status progress")).to_have_attribute("value", "100")
    expect(
        page.get_by_text(f"{expected.messages} new, 0 updated, 0 unchanged messages.")
    ).to_be_visible()
    rows = page.locator("#report-conversations tbody tr")
    expect(rows).to_have_count(expected.conversations)

    page.get_by_role("link", name="Browse the conversations").click()
    page.locator("table a").first.click()
    page.locator("#threads a").first.click()
    expect(page.locator("#thread-messages .message-item").first).to_be_visible()
    expect(page.locator("#thread-messages time").first).to_be_visible()

    page.goto(f"{live_server.url}/handover/search/")
    page.get_by_label("Search").fill("joined")
    # Results arrive through htmx as the user types.
    expect(page.locator("#search-results mark").first).to_have_text("joined")


def test_a_dropped_file_is_uploaded_and_a_bad_one_is_explained(
    live_server,  # noqa: ANN001
    page: Page,
    subject,  # noqa: ANN001
) -> None:
    log_in(page, live_server.url, "subject")
    page.goto(f"{live_server.url}/handover/imports/new/")
    page.evaluate(
        """() => {
            const zone = document.querySelector('[data-dropzone]');
            const data = new DataTransfer();
            data.items.add(new File(['just some notes, not an export'], 'notes.bin',
                                    {type: 'application/octet-stream'}));
            zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: data, bubbles: true,
                                                          cancelable: true}));
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true,
                                                      cancelable: true}));
        }"""
    )
    expect(page.locator("[data-dropzone-hint]")).to_have_text("notes.bin")
    assert page.eval_on_selector("input[type=file]", "input => input.files[0].name") == "notes.bin"
    page.get_by_role("button", name="Upload and import").click()
    error = page.locator("#file-errors")
    expect(error).to_contain_text("notes.bin")
    expect(error).to_have_attribute("role", "alert")
    assert not Source.objects.exists()


def test_others_get_not_found(
    live_server, page: Page, subject, teammate, shared_data: Path
) -> None:  # noqa: ANN001
    from handover.imports import services

    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    log_in(page, live_server.url, "teammate")
    response = page.goto(f"{live_server.url}/handover/imports/{source.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/handover/imports/")
    expect(page.get_by_text("testarchive.zip")).to_have_count(0)
