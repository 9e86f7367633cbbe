"""The HTML flows: create, edit, merge, conflict and resolution, move, restore, trash."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from wiki import services
from wiki.models import Page, PageRedirect, Revision

pytestmark = pytest.mark.django_db


def _url(name, page, **extra):  # noqa: ANN001, ANN202
    return reverse(name, kwargs={"key": page.space.key, "path": page.path, **extra})


def test_red_link_leads_to_a_prefilled_create_form(space, teammate, client_for):
    source = services.create_page(space=space, author=teammate, title="Index", body="[[Runbook]]")
    client = client_for(teammate)
    html = client.get(_url("wiki:page-view", source)).content.decode()
    assert 'class="wikilink wikilink-missing" href="/wiki/platform/new?title=Runbook"' in html
    form = client.get("/wiki/platform/new?title=Runbook")
    assert form.status_code == 200
    assert 'value="Runbook"' in form.content.decode()
    response = client.post(
        "/wiki/platform/new", {"title": "Runbook", "body": "# Runbook\n\nSteps.", "summary": ""}
    )
    assert response.status_code == 302
    runbook = Page.objects.get(title="Runbook")
    assert response["Location"] == _url("wiki:page-view", runbook)
    html = client.get(_url("wiki:page-view", source)).content.decode()
    assert "wikilink-missing" not in html


def test_create_with_a_taken_title_keeps_the_text(space, wiki_page, teammate, client_for):
    response = client_for(teammate).post(
        "/wiki/platform/new", {"title": "Deploy guide", "body": "my long text"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "already exists" in html
    assert "my long text" in html
    assert Page.objects.count() == 1


def test_edit_saves_a_new_revision(wiki_page, teammate, client_for):
    client = client_for(teammate)
    form = client.get(_url("wiki:page-edit", wiki_page))
    assert form.status_code == 200
    response = client.post(
        _url("wiki:page-edit", wiki_page), {"body": "New text\r\n", "summary": "short", "base": 1}
    )
    assert response.status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision.body == "New text\n"
    assert wiki_page.current_revision.summary == "short"


def test_two_editors_with_separate_lines_are_merged(wiki_page, teammate, subject, client_for):
    base_body = wiki_page.current_revision.body
    first = client_for(subject).post(
        _url("wiki:page-edit", wiki_page),
        {"body": base_body.replace("Intro line.", "Subject intro."), "base": 1},
    )
    assert first.status_code == 302
    second = client_for(teammate).post(
        _url("wiki:page-edit", wiki_page),
        {"body": base_body.replace("Run make rollback.", "Run make rollback twice."), "base": 1},
        follow=True,
    )
    assert second.status_code == 200
    assert "merged" in second.content.decode()
    wiki_page.refresh_from_db()
    body = wiki_page.current_revision.body
    assert "Subject intro." in body and "Run make rollback twice." in body
    assert wiki_page.current_revision.number == 3


def test_overlapping_edits_show_both_texts_and_the_resolution_saves(
    wiki_page, teammate, subject, client_for
):
    base_body = wiki_page.current_revision.body
    client_for(subject).post(
        _url("wiki:page-edit", wiki_page),
        {"body": base_body.replace("Intro line.", "Their intro."), "base": 1},
    )
    teammate_client = client_for(teammate)
    conflict = teammate_client.post(
        _url("wiki:page-edit", wiki_page),
        {"body": base_body.replace("Intro line.", "My intro."), "base": 1, "summary": "mine"},
    )
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert 'id="conflict-yours"' in html and "My intro." in html
    assert 'id="conflict-current"' in html and "Their intro." in html
    assert "&lt;&lt;&lt;&lt;&lt;&lt;&lt; your edit" in html
    assert 'name="base" value="2"' in html
    assert Revision.objects.filter(page=wiki_page).count() == 2

    # Saving the markers as they are is refused, and the text comes back intact.
    still = conflict.context["form"].initial["body"]
    refused = teammate_client.post(
        _url("wiki:page-edit", wiki_page), {"body": still, "base": 2, "resolving": "True"}
    )
    assert refused.status_code == 400
    assert "conflict markers" in refused.content.decode()
    assert Revision.objects.filter(page=wiki_page).count() == 2

    resolved = base_body.replace("Intro line.", "Our shared intro.")
    done = teammate_client.post(
        _url("wiki:page-edit", wiki_page), {"body": resolved, "base": 2, "resolving": "True"}
    )
    assert done.status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision.body == resolved
    assert wiki_page.current_revision.base_revision.number == 2


def test_edit_with_a_bad_base_revision_is_a_clear_error(wiki_page, teammate, client_for):
    response = client_for(teammate).post(
        _url("wiki:page-edit", wiki_page), {"body": "text", "base": 99}
    )
    assert response.status_code == 400
    assert "does not exist" in response.content.decode()
    missing = client_for(teammate).post(_url("wiki:page-edit", wiki_page), {"body": "text"})
    assert missing.status_code == 400
    assert Revision.objects.filter(page=wiki_page).count() == 1


def test_section_edit_changes_only_that_section(wiki_page, teammate, client_for):
    client = client_for(teammate)
    url = _url("wiki:section-edit", wiki_page, index=2)
    form = client.get(url)
    assert "## Rollback" in form.content.decode()
    response = client.post(url, {"body": "## Rollback\n\nPage the on-call.\n", "base": 1})
    assert response.status_code == 302
    wiki_page.refresh_from_db()
    assert "Page the on-call." in wiki_page.current_revision.body
    assert "Run make deploy." in wiki_page.current_revision.body
    assert client.get(_url("wiki:section-edit", wiki_page, index=9)).status_code == 404


def test_preview_renders_markdown_safely(space, teammate, client_for):
    url = reverse("wiki:page-preview", kwargs={"key": space.key})
    response = client_for(teammate).post(
        url,
        {"body": "**bold** <script>alert(1)</script> [[Nowhere]]"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html
    assert "wikilink-missing" in html
    assert "<html" not in html


def test_history_and_diff_inline_and_side_by_side(wiki_page, teammate, client_for):
    services.publish_revision(
        page=wiki_page,
        author=teammate,
        body=wiki_page.current_revision.body.replace("Intro line.", "Changed intro."),
        base_revision=wiki_page.current_revision,
    )
    client = client_for(teammate)
    history = client.get(_url("wiki:page-history", wiki_page)).content.decode()
    assert "Created page" in history
    inline = client.get(_url("wiki:page-diff", wiki_page), {"from": 1, "to": 2})
    assert "<del>" in inline.content.decode() and "<ins>" in inline.content.decode()
    side = client.get(_url("wiki:page-diff", wiki_page), {"from": 1, "to": 2, "mode": "side"})
    assert "diff-side-by-side" in side.content.decode()
    bad = client.get(_url("wiki:page-diff", wiki_page), {"from": "x", "to": 2})
    assert bad.status_code == 400
    assert client.get(_url("wiki:page-diff", wiki_page), {"from": 1, "to": 7}).status_code == 404


def test_a_cached_diff_is_the_one_of_the_revisions_asked_for(wiki_page, teammate, client_for):
    first = wiki_page.current_revision
    services.publish_revision(
        page=wiki_page, author=teammate, body="second text\n", base_revision=first
    )
    second = wiki_page.current_revision
    services.publish_revision(
        page=wiki_page, author=teammate, body="third text\n", base_revision=second
    )
    client = client_for(teammate)
    url = _url("wiki:page-diff", wiki_page)

    for mode in ("inline", "side", "inline"):
        one_two = client.get(url, {"from": 1, "to": 2, "mode": mode}).content.decode()
        two_three = client.get(url, {"from": 2, "to": 3, "mode": mode}).content.decode()
        assert "<ins>second</ins>" in one_two and "third" not in one_two
        assert "<del>second</del>" in two_three and "<ins>third</ins>" in two_three
    # The same pair, asked for the other way round, is not the cached forward diff.
    backwards = client.get(url, {"from": 3, "to": 2}).content.decode()
    assert "<del>third</del>" in backwards and "<ins>second</ins>" in backwards


def test_restore_is_post_only_and_creates_a_revision(wiki_page, teammate, client_for):
    services.publish_revision(
        page=wiki_page, author=teammate, body="replaced\n", base_revision=wiki_page.current_revision
    )
    client = client_for(teammate)
    url = _url("wiki:revision-restore", wiki_page, number=1)
    assert client.get(url).status_code == 405
    assert Revision.objects.filter(page=wiki_page).count() == 2
    assert client.post(url).status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision.number == 3
    assert wiki_page.current_revision.body.startswith("Intro line.")


def test_a_reader_cannot_restore(wiki_page, successor, client_for):
    response = client_for(successor).post(_url("wiki:revision-restore", wiki_page, number=1))
    assert response.status_code == 403
    assert Revision.objects.filter(page=wiki_page).count() == 1


def test_rename_redirects_old_urls_and_actions(space, wiki_page, teammate, client_for):
    client = client_for(teammate)
    old_view = _url("wiki:page-view", wiki_page)
    old_history = _url("wiki:page-history", wiki_page)
    response = client.post(
        _url("wiki:page-move", wiki_page), {"title": "Shipping guide", "parent": ""}
    )
    assert response.status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.path == "shipping-guide"
    moved = client.get(old_view)
    assert moved.status_code == 301
    assert moved["Location"] == _url("wiki:page-view", wiki_page)
    assert client.get(old_history)["Location"] == _url("wiki:page-history", wiki_page)
    assert PageRedirect.objects.filter(old_path="deploy-guide").exists()


def test_move_under_a_child_is_refused_with_a_message(space, wiki_page, teammate, client_for):
    child = services.create_page(space=space, author=teammate, title="Sub", parent=wiki_page)
    response = client_for(teammate).post(
        _url("wiki:page-move", wiki_page), {"title": wiki_page.title, "parent": child.path}
    )
    assert response.status_code == 400
    assert "under itself" in response.content.decode()
    wiki_page.refresh_from_db()
    assert wiki_page.path == "deploy-guide"


def test_delete_and_undelete_through_the_trash(space, wiki_page, teammate, manager, client_for):
    client = client_for(teammate)
    assert client.get(_url("wiki:page-delete", wiki_page)).status_code == 200
    assert client.post(_url("wiki:page-delete", wiki_page)).status_code == 302
    assert client.get(_url("wiki:page-view", wiki_page)).status_code == 404
    trash = client.get(reverse("wiki:space-trash", kwargs={"key": space.key}))
    assert "Deploy guide" in trash.content.decode()
    undelete = reverse("wiki:page-undelete", kwargs={"key": space.key, "page_id": wiki_page.pk})
    assert client.get(undelete).status_code == 405
    assert client.post(undelete).status_code == 302
    assert client.get(_url("wiki:page-view", wiki_page)).status_code == 200
    audit = client_for(manager).get(reverse("wiki:space-audit", kwargs={"key": space.key}))
    assert "page.deleted" in audit.content.decode()
    assert AuditEvent.objects.filter(action="page.undeleted").exists()


def test_comments_need_text_and_keep_it_on_error(wiki_page, successor, client_for):
    client = client_for(successor)
    url = _url("wiki:comment-create", wiki_page)
    empty = client.post(url, {"body": "   "}, headers={"HX-Request": "true"})
    assert empty.status_code == 400
    assert wiki_page.comments.count() == 0
    ok = client.post(url, {"body": "Looks good @teammate"}, headers={"HX-Request": "true"})
    assert ok.status_code == 200
    assert "Looks good @teammate" in ok.content.decode()
    assert wiki_page.comments.count() == 1


def test_page_settings_set_owners_tags_and_review_date(wiki_page, teammate, successor, client_for):
    client = client_for(teammate)
    bad = client.post(
        _url("wiki:page-settings", wiki_page), {"owners": "nobody", "review_by": "", "tags": ""}
    )
    assert bad.status_code == 400
    assert "Unknown usernames: nobody" in bad.content.decode()
    ok = client.post(
        _url("wiki:page-settings", wiki_page),
        {"owners": "successor, teammate", "review_by": "2020-01-01", "tags": "Ops, runbook"},
    )
    assert ok.status_code == 302
    assert sorted(wiki_page.owners.values_list("username", flat=True)) == ["successor", "teammate"]
    assert sorted(wiki_page.tags.values_list("name", flat=True)) == ["ops", "runbook"]
    view = client.get(_url("wiki:page-view", wiki_page)).content.decode()
    assert "Needs review" in view
    stale = client_for(successor).get(reverse("wiki:stale-mine")).content.decode()
    assert "Deploy guide" in stale
    assert client_for(successor).post(_url("wiki:page-verify", wiki_page)).status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.verified_by == successor


def test_space_settings_change_roles(space, manager, outsider, client_for):
    client = client_for(manager)
    url = reverse("wiki:space-settings", kwargs={"key": space.key})
    bad = client.post(url, {"form": "role", "username": "ghost", "role": "reader"})
    assert bad.status_code == 400
    assert "No user has that username" in bad.content.decode()
    ok = client.post(url, {"form": "role", "username": "outsider", "role": "reader"})
    assert ok.status_code == 302
    view = client_for(outsider).get(reverse("wiki:space-detail", kwargs={"key": space.key}))
    assert view.status_code == 200


def test_space_create_validates_the_key(teammate, client_for):
    client = client_for(teammate)
    bad = client.post(reverse("wiki:space-create"), {"name": "X", "key": "Bad Key!"})
    assert bad.status_code == 400
    ok = client.post(reverse("wiki:space-create"), {"name": "Team notes", "key": "notes"})
    assert ok.status_code == 302
    again = client.post(reverse("wiki:space-create"), {"name": "Other", "key": "notes"})
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_templates_create_prefilled_pages(space, teammate, client_for):
    client = client_for(teammate)
    url = reverse("wiki:template-list", kwargs={"key": space.key})
    assert client.post(url, {"name": "Runbook", "body": "# {{title}}\n"}).status_code == 302
    template = space.templates.get()
    form = client.get(f"/wiki/platform/new?template={template.pk}&title=X")
    assert "# X</textarea>" in form.content.decode()


def test_preview_does_not_reveal_pages_of_private_spaces(
    space, wiki_page, public_space, outsider, teammate, client_for
):
    body = {"body": "[[platform:Deploy guide]]"}
    url = reverse("wiki:page-preview", kwargs={"key": public_space.key})
    seen_by_outsider = client_for(outsider).post(url, body).content.decode()
    assert "wikilink-missing" in seen_by_outsider
    seen_by_teammate = client_for(teammate).post(url, body).content.decode()
    assert "wikilink-missing" not in seen_by_teammate
    assert f'href="/wiki/platform/{wiki_page.path}/"' in seen_by_teammate


def test_presence_shows_who_else_is_editing(wiki_page, teammate, subject, client_for):
    # Opening the editor writes nothing; its htmx poll posts presence on load.
    editor = client_for(subject)
    editor.get(_url("wiki:page-edit", wiki_page))
    editor.post(_url("wiki:page-presence", wiki_page), headers={"HX-Request": "true"})
    response = client_for(teammate).post(
        _url("wiki:page-presence", wiki_page), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Also editing now:" in response.content.decode()
    assert "Subject" in response.content.decode()
    form = client_for(teammate).get(_url("wiki:page-edit", wiki_page)).content.decode()
    assert "Also editing now:" in form


def test_page_view_links_each_heading_to_its_section_editor(
    wiki_page, teammate, successor, client_for
):
    html = client_for(teammate).get(_url("wiki:page-view", wiki_page)).content.decode()
    assert f'href="{_url("wiki:section-edit", wiki_page, index=2)}"' in html
    assert 'aria-label="Edit section Rollback"' in html
    reader_html = client_for(successor).get(_url("wiki:page-view", wiki_page)).content.decode()
    assert 'class="section-edit"' not in reader_html


def test_move_under_a_missing_parent_is_a_clear_error(wiki_page, teammate, client_for):
    response = client_for(teammate).post(
        _url("wiki:page-move", wiki_page), {"title": wiki_page.title, "parent": "no/such/page"}
    )
    assert response.status_code == 400
    assert "There is no page at" in response.content.decode()
    wiki_page.refresh_from_db()
    assert wiki_page.path == "deploy-guide"


def test_move_under_another_page_by_path(space, wiki_page, teammate, client_for):
    ops = services.create_page(space=space, author=teammate, title="Ops")
    response = client_for(teammate).post(
        _url("wiki:page-move", wiki_page), {"title": wiki_page.title, "parent": "ops/"}
    )
    assert response.status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.parent == ops
    assert wiki_page.path == "ops/deploy-guide"


def test_stale_list_per_owner(space, wiki_page, teammate, subject, client_for):
    import datetime

    other = services.create_page(space=space, author=subject, title="Subject page")
    for each in (wiki_page, other):
        services.set_review_by(page=each, by=teammate, review_by=datetime.date(2020, 1, 1))
    url = reverse("wiki:space-stale", kwargs={"key": space.key})
    client = client_for(teammate)
    everything = client.get(url).content.decode()
    assert "Deploy guide" in everything and "Subject page" in everything
    mine = client.get(url, {"owner": "subject"}).content.decode()
    assert "Subject page" in mine and "Deploy guide" not in mine
    assert client.get(url, {"owner": "ghost"}).status_code == 404


def test_user_text_is_escaped_in_every_template(space, teammate, manager, client_for):
    payload = '<img src=x onerror="alert(1)">'
    page = services.create_page(
        space=space, author=teammate, title=f"T {payload}", body="text", summary=payload
    )
    services.set_page_tags(page=page, by=teammate, names=[payload])
    services.add_comment(page=page, author=teammate, body=payload)
    client = client_for(teammate)
    for url in (
        _url("wiki:page-view", page),
        _url("wiki:page-history", page),
        reverse("wiki:space-detail", kwargs={"key": space.key}),
        reverse("wiki:search") + "?q=text",
    ):
        html = client.get(url).content.decode()
        assert "<img src=x" not in html, url
        assert "&lt;img src=x" in html, url


def test_the_tree_opens_one_level_at_a_time(space, wiki_page, teammate, client_for, settings):
    child = services.create_page(space=space, author=teammate, title="Sub", parent=wiki_page)
    services.create_page(space=space, author=teammate, title="Leaf", parent=child)
    client = client_for(teammate)
    detail = client.get(reverse("wiki:space-detail", kwargs={"key": space.key})).content.decode()
    tree = detail.split('id="page-tree"', 1)[1].split("</section>", 1)[0]
    assert "(1 page)" in tree
    assert "Sub" not in tree
    branch = client.get(_url("wiki:page-children", wiki_page), headers={"HX-Request": "true"})
    html = branch.content.decode()
    assert "Sub" in html and "(1 page)" in html and "Leaf" not in html


def test_the_top_level_is_paginated(space, teammate, client_for, monkeypatch):
    from wiki.views import tree as views

    monkeypatch.setattr(views, "TREE_PAGE_SIZE", 2)
    for title in ("A", "B", "C"):
        services.create_page(space=space, author=teammate, title=title)
    url = reverse("wiki:space-detail", kwargs={"key": space.key})
    client = client_for(teammate)
    first = client.get(url).content.decode().split('id="page-tree"', 1)[1]
    first = first.split("</section>", 1)[0]
    assert "Page 1 of 2" in first and ">C</a>" not in first
    second = client.get(url, {"page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert ">C</a>" in second and "<html" not in second


def test_an_edit_posted_to_an_old_address_after_a_rename_is_not_lost(
    wiki_page, teammate, subject, client_for
):
    old_edit = _url("wiki:page-edit", wiki_page)
    old_comment = _url("wiki:comment-create", wiki_page)
    services.rename_page(page=wiki_page, by=subject, new_title="Shipping guide")
    client = client_for(teammate)
    response = client.post(old_edit, {"body": "Typed before the rename.\n", "base": 1})
    assert response.status_code == 302
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision.body == "Typed before the rename.\n"
    assert response["Location"] == _url("wiki:page-view", wiki_page)
    assert client.post(old_comment, {"body": "still here"}).status_code == 302
    assert wiki_page.comments.get().body == "still here"


def test_new_with_a_trailing_slash_reaches_the_form(space, teammate, client_for):
    response = client_for(teammate).get("/wiki/platform/new/?title=X")
    assert response.status_code == 302
    assert response["Location"] == "/wiki/platform/new?title=X"


def test_a_renamed_chinese_page_redirects_from_its_old_address(space, teammate, client_for):
    page = services.create_page(space=space, author=teammate, title="部署指南", body="内容")
    old_history = _url("wiki:page-history", page)
    services.rename_page(page=page, by=teammate, new_title="发布指南")
    page.refresh_from_db()
    response = client_for(teammate).get(old_history)
    assert response.status_code == 301
    assert response["Location"] == _url("wiki:page-history", page)
    assert client_for(teammate).get(response["Location"]).status_code == 200


def test_backlinks_show_other_spaces_pages_only_to_their_readers(
    space, wiki_page, manager, teammate, successor, client_for
):
    secret = services.create_space(name="Secret", key="secret", by=manager)
    services.set_space_role(space=secret, by=manager, role="editor", user=teammate)
    services.create_page(
        space=secret, author=teammate, title="Hidden plan", body="See [[platform:Deploy guide]]."
    )
    services.create_page(
        space=space, author=teammate, title="Open notes", body="See [[Deploy guide]]."
    )
    view = _url("wiki:page-view", wiki_page)

    for_teammate = client_for(teammate).get(view).content.decode()
    for_successor = client_for(successor).get(view).content.decode()
    assert "Hidden plan" in for_teammate and "Open notes" in for_teammate
    assert "Open notes" in for_successor and "Hidden plan" not in for_successor

    services.set_space_role(space=secret, by=manager, role="reader", user=successor)
    assert "Hidden plan" in client_for(successor).get(view).content.decode()
    services.set_space_role(space=secret, by=manager, role=None, user=successor)
    assert "Hidden plan" not in client_for(successor).get(view).content.decode()
