"""In Debian's Chromium: the navigation tells the subject of a new note about them, they
veto it by htmx, without a page load, and the author no longer sees it; the map is
searched as one types."""

import pytest
from playwright.sync_api import Page, expect

from plugins.relationships import services
from tests.browser.test_import_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_subject_vetoes_a_note_and_its_author_no_longer_sees_it(
    live_server,  # noqa: ANN001
    page: Page,
    team,  # noqa: ANN001
    subject,  # noqa: ANN001
    teammate,  # noqa: ANN001
) -> None:
    note = services.write_person_note(
        about=subject, author=teammate, text="Ask her about the billing migration."
    )
    services.add_ask_me_topic(user=subject, topic="账单迁移 billing")
    log_in(page, live_server.url, "subject")
    # The navigation tells them a note about them is new, and leads to it.
    page.get_by_role("link", name="People (1 new note about you)").click()
    expect(page.locator("h1")).to_have_text("Subject")
    page.evaluate("window.__stayed = true")
    item = page.locator(f"#note-{note.pk}")
    expect(item).to_contain_text("billing migration")
    expect(item.locator(".note-new")).to_have_text("New to you")
    item.get_by_role("button", name="Veto").click()
    expect(page.locator(f"#note-{note.pk} .note-vetoed")).to_have_text("Vetoed: only you see it")
    expect(
        page.locator(f"#note-{note.pk}").get_by_role("button", name="Show again")
    ).to_be_visible()
    assert page.evaluate("window.__stayed === true")
    page.reload()
    expect(page.get_by_role("link", name="People", exact=True)).to_be_visible()

    author = page.context.browser.new_context().new_page()
    log_in(author, live_server.url, "teammate")
    author.goto(f"{live_server.url}/people/{subject.pk}/")
    expect(author.locator(".person-notes")).to_have_text("No notes.")
    # The map, searched as one types, in Chinese.
    author.goto(f"{live_server.url}/people/")
    author.evaluate("window.__stayed = true")
    author.get_by_label("Topic").fill("账单")
    expect(author.locator(f'#map-results [data-person="{subject.pk}"]')).to_contain_text("账单迁移")
    author.get_by_label("Topic").fill("nothing like it")
    expect(author.locator("#map-results")).not_to_contain_text("账单迁移")
    assert author.evaluate("window.__stayed === true")
    author.context.close()
