"""The web chat in Debian's Chromium: a question is answered with its highlighted source,
and "Not helpful" flags the page, by htmx, without a page load."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import owned_indexed_page
from tests.browser.test_import_pages import log_in
from wiki.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_question_is_answered_with_its_source_and_rated(
    live_server,  # noqa: ANN001
    page: Page,
    manager,  # noqa: ANN001
    teammate,  # noqa: ANN001
    successor,  # noqa: ANN001
) -> None:
    owned_indexed_page(
        manager=manager,
        teammate=teammate,
        successor=successor,
        title="Payment service runbook",
        body="# Restarting\n\nRestart the payment service with `make restart-payments`.",
    )

    log_in(page, live_server.url, "successor")
    page.goto(f"{live_server.url}/ask/")
    page.evaluate("window.__stayed = true")
    page.get_by_label("Your question").fill("How do I restart the payment service?")
    page.get_by_role("button", name="Ask", exact=True).click()
    turn = page.locator(".qa-turn").first
    expect(turn.locator("mark")).to_contain_text("make restart-payments")
    expect(turn.get_by_role("link", name="Payment service runbook › Restarting")).to_be_visible()
    turn.get_by_role("button", name="Not helpful").click()
    expect(page.locator(".qa-turn").first).to_contain_text("flagged for review")
    assert page.evaluate("window.__stayed === true")
    assert Notification.objects.filter(user=teammate, kind="review").count() == 1
