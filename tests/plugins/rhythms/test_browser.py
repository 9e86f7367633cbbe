"""The rhythms page in Debian's Chromium: the working agreements are edited in place by htmx,
and the page (heatmaps, table, the edit) works without JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from plugins.rhythms.models import WorkingAgreement
from tests.browser.test_import_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_edits_the_working_agreements_in_place(
    live_server,  # noqa: ANN001
    page: Page,
    team,  # noqa: ANN001
    teammate,  # noqa: ANN001
) -> None:
    log_in(page, live_server.url, "teammate")
    page.get_by_role("link", name="Rhythms").click()
    page.get_by_role("link", name="Platform").click()
    expect(page.get_by_role("heading", name="Our working agreements")).to_be_visible()
    page.evaluate("window.__stayed = true")
    page.get_by_role("button", name="Edit the working agreements").click()
    page.get_by_label("Working agreements").fill("Stand-up at 09:30.\nNo meetings on Friday.")
    page.get_by_role("button", name="Save the working agreements").click()
    section = page.locator("#rhythms-agreements")
    expect(section).to_contain_text("The working agreements are saved.")
    expect(section).to_contain_text("No meetings on Friday.")
    assert page.evaluate("window.__stayed === true")  # no page load: htmx swapped the section
    assert WorkingAgreement.objects.get(team=team).text.endswith("No meetings on Friday.")
    # Editing again starts from the saved text; the browser itself caps its length.
    page.get_by_role("button", name="Edit the working agreements").click()
    box = page.get_by_label("Working agreements")
    expect(box).to_have_value("Stand-up at 09:30.\nNo meetings on Friday.")
    expect(box).to_have_attribute("maxlength", "5000")
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#rhythms-agreements-text")).to_contain_text("No meetings on Friday.")


def test_the_page_reads_and_edits_without_javascript(
    live_server,  # noqa: ANN001
    browser: Browser,
    team,  # noqa: ANN001
    manager,  # noqa: ANN001
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, "manager")
        page.goto(f"{live_server.url}/rhythms/platform/")
        expect(page.locator("svg.rhythms-heatmap").first).to_be_visible()
        table = page.get_by_role("table", name="Messages by weekday and hour: the same figures")
        expect(table.get_by_role("row")).to_have_count(25)
        expect(table.get_by_role("cell", name="suppressed").first).to_be_visible()
        page.get_by_role("button", name="Edit the working agreements").click()
        page.get_by_label("Working agreements").fill("Releases on Tuesdays.")
        page.get_by_role("button", name="Save the working agreements").click()
        expect(page.locator("#rhythms-agreements-text")).to_have_text("Releases on Tuesdays.")
        expect(page.get_by_role("status").first).to_contain_text("saved")
    finally:
        context.close()
