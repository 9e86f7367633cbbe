"""Deleting an import in Debian's Chromium: the confirmation arrives in place, then the receipt."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from handover.imports import pipeline, services
from handover.models import Message, Source
from tests.browser.test_import_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


def test_delete_an_import_and_read_the_receipt(
    live_server,  # noqa: ANN001
    page: Page,
    subject,  # noqa: ANN001
    shared_data: Path,
) -> None:
    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    services.start_import(source=source, by=subject, schedule=False)
    pipeline.run_import(source_id=source.pk)
    messages = Message.objects.filter(source=source).count()
    log_in(page, live_server.url, "subject")
    page.goto(f"{live_server.url}/handover/imports/{source.pk}/")
    page.locator("#import-delete").get_by_role("link", name="Delete this import").click()
    # htmx swaps the confirmation into the page: same address, counts shown.
    confirmation = page.locator("#import-delete #delete-confirmation")
    expect(confirmation.get_by_text(f"{messages} messages")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/handover/imports/{source.pk}/$"))
    confirmation.get_by_role("button", name="Delete this import").click()

    expect(page).to_have_url(re.compile(r"/handover/receipts/\d+/$"))
    expect(page.get_by_role("heading", name="Deletion receipt")).to_be_visible()
    expect(page.locator('#receipt-items tr[data-what="messages"] td').nth(1)).to_have_text(
        str(messages)
    )
    assert not Source.objects.filter(pk=source.pk).exists()
