"""In Debian's Chromium, by htmx without a page load: the recipient shares a note with
the team, who then reads it; a named person declines a story and the team no longer
sees it; the person leaving keeps one farewell message and does not keep another."""

import pytest
from playwright.sync_api import Page, expect

from plugins.memories import services
from tests.browser.test_import_pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _second(page: Page, base_url: str, username: str) -> Page:
    other = page.context.browser.new_context().new_page()
    log_in(other, base_url, username)
    return other


def test_the_recipient_shares_a_note_with_the_team(
    live_server,  # noqa: ANN001
    page: Page,
    team,  # noqa: ANN001
    teammate,  # noqa: ANN001
    successor,  # noqa: ANN001
    manager,  # noqa: ANN001
) -> None:
    note = services.write_appreciation_note(
        author=teammate, recipient=successor, text="Thank you for the 账单迁移 reviews."
    )
    log_in(page, live_server.url, "successor")
    page.get_by_role("link", name="Memories").click()
    expect(page.locator("h1")).to_have_text("Memories")
    page.get_by_role("link", name="Thanks", exact=True).click()
    page.evaluate("window.__stayed = true")
    item = page.locator(f"#note-{note.pk}")
    expect(item.locator(".note-visibility")).to_have_text("Not shared yet: only the two of you")
    item.get_by_label("The members of a team we share").check()
    item.get_by_label("Team", exact=True).select_option(label="Platform")
    item.get_by_role("button", name="Save who sees it").click()
    expect(page.locator(f"#note-{note.pk} .note-visibility")).to_have_text(
        "Shared with the team Platform"
    )
    assert page.evaluate("window.__stayed === true")

    reader = _second(page, live_server.url, "manager")
    reader.goto(f"{live_server.url}/memories/thanks/")
    expect(reader.locator(f"#note-{note.pk} .note-text")).to_contain_text("账单迁移")
    reader.context.close()


def test_a_named_person_declines_and_the_team_no_longer_sees_the_story(
    live_server,  # noqa: ANN001
    page: Page,
    team,  # noqa: ANN001
    teammate,  # noqa: ANN001
    successor,  # noqa: ANN001
    subject,  # noqa: ANN001
    manager,  # noqa: ANN001
) -> None:
    story = services.write_story(
        team=team,
        author=teammate,
        title="The quiet migration",
        text="We moved it.",
        named=[successor, subject],
    )
    services.answer_story(story=story, by=successor, approve=True)
    log_in(page, live_server.url, "subject")
    page.goto(f"{live_server.url}/memories/stories/{story.pk}/")
    page.evaluate("window.__stayed = true")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#story")).to_have_attribute("data-status", "shown")

    reader = _second(page, live_server.url, "manager")
    reader.goto(f"{live_server.url}/memories/stories/")
    expect(reader.locator("#story-list")).to_contain_text("The quiet migration")

    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#story")).to_have_attribute("data-status", "declined")
    expect(page.locator(".story-status")).to_have_text(
        "Hidden from the team: someone named in it declined."
    )
    assert page.evaluate("window.__stayed === true")
    reader.reload()
    expect(reader.locator("#story-list")).not_to_contain_text("The quiet migration")
    reader.context.close()


def test_the_person_leaving_keeps_one_message_and_not_another(
    live_server,  # noqa: ANN001
    page: Page,
    board,  # noqa: ANN001
    teammate,  # noqa: ANN001
    manager,  # noqa: ANN001
    subject,  # noqa: ANN001
) -> None:
    kept = services.write_farewell_message(board=board, author=teammate, text="It was a joy.")
    dropped = services.write_farewell_message(board=board, author=manager, text="About that bug…")
    log_in(page, live_server.url, "subject")
    page.goto(f"{live_server.url}/memories/")
    page.get_by_role("link", name="Farewell to Subject").click()
    page.evaluate("window.__stayed = true")
    page.locator(f"#message-{kept.pk}").get_by_role("button", name="Keep", exact=True).click()
    expect(page.locator(f"#message-{kept.pk} .message-kept")).to_have_text("Kept for the team")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#message-{dropped.pk}").get_by_role("button", name="Do not keep").click()
    expect(page.locator(f"#message-{dropped.pk}")).to_have_count(0)
    assert page.evaluate("window.__stayed === true")

    writer = _second(page, live_server.url, "teammate")
    writer.goto(f"{live_server.url}/memories/farewell/{board.pk}/")
    expect(writer.locator("#board-messages")).to_contain_text("It was a joy.")
    expect(writer.locator("#board-messages")).not_to_contain_text("About that bug")
    # A teammate writes without JavaScript's help: a plain form post.
    writer.get_by_label("Your message").fill("Good luck!")
    writer.get_by_role("button", name="Post the message").click()
    expect(writer.locator("#board-messages")).to_contain_text("Good luck!")
    writer.context.close()
