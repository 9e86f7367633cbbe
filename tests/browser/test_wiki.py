"""The wiki in Debian's Chromium: create, live preview, red links, conflicts, restore, search."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from wiki import services
from wiki.models import Revision, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def wiki_space(manager, teammate, subject, successor):  # noqa: ANN001, ANN201
    space = services.create_space(name="Platform docs", key="platform", by=manager)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=teammate)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=subject)
    services.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    return space


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_create_a_page_and_edit_it_with_live_preview(live_server, page: Page, wiki_space, teammate):
    log_in(page, live_server.url, "teammate")
    page.goto(f"{live_server.url}/wiki/platform/")
    page.get_by_role("link", name="New page").click()
    page.get_by_label("Title").fill("Release checklist")
    textarea = page.get_by_label("Text (Markdown)")
    textarea.fill("# Release checklist\n\n- [ ] **tag** the build\n")
    expect(page.locator("#preview strong")).to_have_text("tag")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Release checklist", level=1).first).to_be_visible()
    expect(page.locator("#page-body strong")).to_have_text("tag")

    page.get_by_role("link", name="Edit", exact=True).click()
    textarea = page.get_by_label("Text (Markdown)")
    expect(textarea).to_be_focused()
    textarea.fill("# Release checklist\n\nNow with *live* preview.\n")
    expect(page.locator("#preview em")).to_have_text("live")
    page.get_by_label("Edit summary").fill("explain")
    # Ctrl+S saves from the editor.
    textarea.press("Control+s")
    expect(page.locator("#page-body em")).to_have_text("live")
    assert Revision.objects.filter(page__title="Release checklist").count() == 2


def test_follow_a_red_link_and_create_the_page(live_server, page: Page, wiki_space, teammate):
    services.create_page(
        space=wiki_space, author=teammate, title="Index", body="Read the [[Runbook]] first."
    )
    log_in(page, live_server.url, "teammate")
    page.goto(f"{live_server.url}/wiki/platform/index/")
    red = page.locator("a.wikilink-missing", has_text="Runbook")
    expect(red).to_be_visible()
    red.click()
    expect(page.get_by_label("Title")).to_have_value("Runbook")
    page.get_by_label("Text (Markdown)").fill("# Runbook\n\nRestart the service.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#page-body")).to_contain_text("Restart the service.")
    page.goto(f"{live_server.url}/wiki/platform/index/")
    expect(page.locator("a.wikilink", has_text="Runbook")).not_to_have_class(
        re.compile("wikilink-missing")
    )


def test_two_browsers_conflict_and_the_second_resolves(
    live_server, browser: Browser, wiki_space, teammate, subject
):
    services.create_page(
        space=wiki_space, author=teammate, title="Shared", body="Line one.\n\nLine two.\n"
    )
    first = browser.new_context().new_page()
    second = browser.new_context().new_page()
    log_in(first, live_server.url, "teammate")
    log_in(second, live_server.url, "subject")
    edit_url = f"{live_server.url}/wiki/platform/shared/-/edit/"
    first.goto(edit_url)
    second.goto(edit_url)

    first.get_by_label("Text (Markdown)").fill("Line one by teammate.\n\nLine two.\n")
    first.get_by_role("button", name="Save").click()
    expect(first.locator("#page-body")).to_contain_text("Line one by teammate.")

    second.get_by_label("Text (Markdown)").fill("Line one by subject.\n\nLine two.\n")
    second.get_by_role("button", name="Save").click()
    expect(
        second.get_by_role("heading", name="Your edit conflicts with a newer version")
    ).to_be_visible()
    expect(second.locator("#conflict-yours")).to_contain_text("Line one by subject.")
    expect(second.locator("#conflict-current")).to_contain_text("Line one by teammate.")
    editor = second.get_by_label("Text (Markdown)")
    expect(editor).to_have_value(re.compile("<<<<<<< your edit"))
    second.get_by_role("button", name="Put the current text in the editor").click()
    expect(editor).to_have_value("Line one by teammate.\n\nLine two.\n")
    expect(editor).to_be_focused()
    editor.fill("Line one by both of us.\n\nLine two.\n")
    second.get_by_role("button", name="Save resolution").click()
    expect(second.locator("#page-body")).to_contain_text("Line one by both of us.")
    assert Revision.objects.filter(page__title="Shared").count() == 3


def test_restore_an_old_revision(live_server, page: Page, wiki_space, teammate):
    wiki_page = services.create_page(
        space=wiki_space, author=teammate, title="Policy", body="The original rule."
    )
    services.publish_revision(
        page=wiki_page,
        author=teammate,
        body="A mistaken rule.",
        base_revision=wiki_page.current_revision,
    )
    log_in(page, live_server.url, "teammate")
    page.goto(f"{live_server.url}/wiki/platform/policy/-/history/")
    page.locator("#history tbody tr").filter(has_text="Created page").get_by_role(
        "button", name="Restore"
    ).click()
    expect(page.locator("#page-body")).to_contain_text("The original rule.")
    expect(page.get_by_role("status")).to_contain_text("Revision 1 restored as revision 3")


def test_search_shows_highlighted_results(live_server, page: Page, wiki_space, teammate):
    services.create_page(
        space=wiki_space, author=teammate, title="Deploy guide", body="How we deploy safely."
    )
    services.create_page(space=wiki_space, author=teammate, title="部署指南", body="运行部署脚本。")
    log_in(page, live_server.url, "teammate")
    page.goto(f"{live_server.url}/wiki/-/search/")
    page.get_by_label("Words").fill("deploy")
    result = page.locator("#results .search-hit").first
    expect(result).to_contain_text("Deploy guide")
    expect(page.locator("#results mark").first).to_be_visible()
    page.get_by_label("Words").fill("部署")
    expect(page.locator("#results .search-hit")).to_have_count(1)
    expect(page.locator("#results .search-hit")).to_contain_text("部署指南")


def test_edit_one_section_and_upload_an_image(
    live_server, page: Page, wiki_space, teammate, settings, tmp_path
):
    import io

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    services.create_page(
        space=wiki_space,
        author=teammate,
        title="Runbook",
        body="# Runbook\n\n## Restart\n\nOld steps.\n\n## Escalate\n\nCall the lead.\n",
    )
    log_in(page, live_server.url, "teammate")
    page.goto(f"{live_server.url}/wiki/platform/runbook/")
    page.get_by_role("link", name="Edit section Restart").click()
    editor = page.get_by_label("Text (Markdown)")
    expect(editor).to_have_value("## Restart\n\nOld steps.\n\n")
    editor.fill("## Restart\n\nNew steps.\n")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#page-body")).to_contain_text("New steps.")
    expect(page.locator("#page-body")).to_contain_text("Call the lead.")

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "diagram.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    image = page.locator("#attachments img[alt='diagram.png']")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 8
