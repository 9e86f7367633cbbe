"""The draft's review in Debian's Chromium: the subject approves a sentence and a section
by htmx, without a page load."""

import pytest
from playwright.sync_api import Page, expect

from handover.models import DraftSection, DraftSentence
from tests.browser.test_import_pages import log_in
from tests.handover.drafting.conftest import build_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_subject_approves_a_sentence_and_a_section(
    live_server,  # noqa: ANN001
    page: Page,
    case,  # noqa: ANN001
    subject,  # noqa: ANN001
    slack_import,  # noqa: ANN001
) -> None:
    draft = build_draft(case, subject)
    summary = draft.first.sentences.get(part="summary")
    log_in(page, live_server.url, "subject")
    page.goto(f"{live_server.url}/handover/cases/{case.pk}/draft/")
    page.evaluate("window.__stayed = true")
    section = page.locator(f"#section-{draft.first.pk}")
    sentence = section.locator(f"#sentence-{summary.pk}")
    sentence.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(f"#sentence-{summary.pk} .status-badge")).to_have_text("Approved")
    page.locator(f"#section-{draft.first.pk}").get_by_role("button", name="Approve section").click()
    expect(page.locator(f"#section-{draft.first.pk} h2 .status-badge")).to_have_text("Approved")
    assert page.evaluate("window.__stayed === true")
    summary.refresh_from_db()
    assert summary.status == DraftSentence.Status.APPROVED
    assert DraftSection.objects.get(pk=draft.first.pk).status == DraftSection.Status.APPROVED
    expect(page.locator('#draft-completeness [data-figure="sections"]')).to_have_text("1 / 2")
