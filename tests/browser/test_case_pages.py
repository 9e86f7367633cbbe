"""A handover in Debian's Chromium: the subject chooses, the manager sees only the state,
the subject withdraws everything."""

import pytest
from playwright.sync_api import Page, expect

from handover.models import Conversation
from tests.browser.test_import_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_subject_consents_and_withdraws_while_the_manager_sees_the_state(
    live_server,  # noqa: ANN001
    page: Page,
    case,  # noqa: ANN001
    subject,  # noqa: ANN001
    manager,  # noqa: ANN001
    slack_import,  # noqa: ANN001
) -> None:
    channel = Conversation.objects.filter(owner=subject).order_by("name").first()
    log_in(page, live_server.url, "subject")
    page.get_by_role("link", name="Handovers").click()
    page.locator("#case-list a").first.click()
    expect(page.locator("#case-checklist .status-badge")).to_have_text("Opened")
    page.get_by_role("link", name="Choose what to share").click()
    expect(page.locator("#consent-terms")).to_contain_text("never builds a persona")
    # Every purpose starts unticked.
    for box in page.locator('input[name="purposes"]').all():
        expect(box).not_to_be_checked()
    page.get_by_label("Index for questions and answers").check()
    page.get_by_label(channel.name, exact=True).check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.locator(".messages")).to_contain_text("Your choices are saved.")
    expect(page.locator("#consent-ledger")).to_contain_text("Index for questions and answers")
    expect(page.get_by_label(channel.name, exact=True)).to_be_checked()

    # The manager's page shows the state and the checklist, never the choice.
    manager_page = page.context.browser.new_context().new_page()
    log_in(manager_page, live_server.url, "manager")
    manager_page.goto(f"{live_server.url}/handover/cases/{case.pk}/")
    expect(manager_page.locator("#case-checklist .status-badge")).to_have_text("Consenting")
    expect(manager_page.locator("body")).not_to_contain_text(channel.name)
    expect(manager_page.locator("body")).not_to_contain_text("Index for questions")
    manager_page.context.close()

    page.goto(f"{live_server.url}/handover/cases/{case.pk}/")
    page.get_by_role("link", name="Withdraw", exact=True).click()
    page.get_by_role("button", name="Withdraw everything").click()
    expect(page.locator(".messages")).to_contain_text("Withdrawn.")
    page.goto(f"{live_server.url}/handover/cases/{case.pk}/")
    expect(page.locator("#case-checklist .status-badge")).to_have_text("Withdrawn")


def test_the_subject_redacts_by_selecting_text(
    live_server,  # noqa: ANN001
    page: Page,
    case,  # noqa: ANN001
    subject,  # noqa: ANN001
    slack_import,  # noqa: ANN001
) -> None:
    from handover.consent import services as consent_services
    from handover.models import Message, PreparedMessage, Redaction
    from handover.privacy import services as privacy_services

    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(case=case, by=subject, purposes=["index"], conversation_ids=ids)
    privacy_services.prepare_case_messages(case_id=case.pk)
    message = Message.objects.filter(conversation__owner=subject, text__contains="data").first()
    start = message.text.index("data")

    log_in(page, live_server.url, "subject")
    page.goto(f"{live_server.url}/handover/cases/{case.pk}/privacy/messages/{message.pk}/")
    page.evaluate(
        """([start, end]) => {
            const pre = document.querySelector('#original-text');
            const text = pre.firstChild;
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, end);
            const selection = document.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [start, start + 4],
    )
    expect(page.locator('input[name="start"]')).to_have_value(str(start))
    expect(page.locator('input[name="end"]')).to_have_value(str(start + 4))
    page.get_by_role("button", name="Redact", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Redacted.")
    added = Redaction.objects.get(case=case, message=message, status="added")
    assert (added.start, added.end) == (start, start + 4)
    assert "[removed]" in PreparedMessage.objects.get(case=case, message=message).text
