"""A question the memory cannot answer, passed to a person, in Debian's Chromium: the asker
passes it on from the chat (htmx), the page owner finds it under "Questions for people" and
answers it, and the next asker gets that answer first."""

import re

import pytest
from playwright.sync_api import Page, expect

from qa.models import AnswerEntry, KnowledgeRequest, RequestRecipient
from tests.browser.conftest import owned_indexed_page
from tests.browser.test_import_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Who renews the TLS certificate of the payment gateway?"


def test_a_question_goes_to_a_person_and_comes_back_as_an_answer(
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
        title="Payment gateway",
        body="# Certificates\n\nThe payment gateway uses a TLS certificate.",
    )

    # The successor asks; the answer is not good enough, so they pass it to a person.
    log_in(page, live_server.url, "successor")
    page.goto(f"{live_server.url}/ask/")
    page.evaluate("window.__stayed = true")
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Ask", exact=True).click()
    turn = page.locator(".qa-turn").first
    expect(turn).to_contain_text(QUESTION)
    ask_person = turn.get_by_role("button", name="Ask a person")
    if ask_person.count():
        ask_person.click()
    passed = page.locator(".qa-turn").first.get_by_role(
        "link", name=re.compile("Passed to a person|Follow the request")
    )
    expect(passed).to_be_visible()
    assert page.evaluate("window.__stayed === true")
    request = KnowledgeRequest.objects.get()
    assert list(
        RequestRecipient.objects.filter(request=request).values_list("user__username", flat=True)
    ) == ["teammate"]

    # The page owner answers it from their inbox.
    page.context.clear_cookies()
    log_in(page, live_server.url, "teammate")
    page.goto(f"{live_server.url}/ask/requests/")
    page.get_by_role("link", name=QUESTION).click()
    page.get_by_label("Answer").fill("The platform team renews it every March with certbot.")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#answer")).to_contain_text("every March with certbot")
    request.refresh_from_db()
    assert request.status == KnowledgeRequest.Status.ANSWERED
    assert AnswerEntry.objects.get().owner == teammate

    # The next asker gets the answer first.
    page.context.clear_cookies()
    log_in(page, live_server.url, "successor")
    page.goto(f"{live_server.url}/ask/")
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator(".qa-turn").last).to_contain_text("every March with certbot")
