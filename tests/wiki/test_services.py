"""Wiki services: saving, merging, conflicts, renames, trash, restore, ownership."""

import pytest
from django.core.exceptions import PermissionDenied

from core.models import AuditEvent
from tests.wiki.conftest import edit
from wiki import selectors, services
from wiki.models import Page, PageLink, PageRedirect, Revision, Role
from wiki.services.indexing import rerender_pages, rerender_pages_linking_to

pytestmark = pytest.mark.django_db


def test_it_saves_a_revision_with_rendered_html_and_toc(wiki_page, teammate):
    result = edit(wiki_page, teammate, "# Title\n\nHello **world**.\n", summary="rewrite")
    assert result.status == "saved"
    revision = result.revision
    assert revision.number == 2
    assert "<strong>world</strong>" in revision.rendered_html
    assert revision.toc[0]["text"] == "Title"
    assert revision.summary == "rewrite"
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision == revision


def test_it_stores_crlf_as_lf(wiki_page, teammate):
    result = edit(wiki_page, teammate, "one\r\ntwo\r\n")
    assert result.revision.body == "one\ntwo\n"


def test_it_reports_unchanged_and_adds_no_revision(wiki_page, teammate):
    body = wiki_page.current_revision.body
    result = edit(wiki_page, teammate, body)
    assert result.status == "unchanged"
    assert wiki_page.revisions.count() == 1


def test_it_merges_a_stale_edit_that_does_not_overlap(wiki_page, teammate, subject):
    base = wiki_page.current_revision
    edit(wiki_page, subject, base.body.replace("Run make rollback.", "Run make rollback now."))
    result = edit(wiki_page, teammate, base.body.replace("Intro line.", "Better intro."), base=base)
    assert result.status == "merged"
    assert result.notice
    assert "Better intro." in result.revision.body
    assert "Run make rollback now." in result.revision.body
    assert result.revision.merged is True
    assert result.revision.base_revision == base


def test_it_refuses_an_overlapping_stale_edit_and_saves_nothing(wiki_page, teammate, subject):
    base = wiki_page.current_revision
    edit(wiki_page, subject, base.body.replace("Intro line.", "Their intro."))
    count = Revision.objects.filter(page=wiki_page).count()
    with pytest.raises(services.ConflictError) as caught:
        edit(wiki_page, teammate, base.body.replace("Intro line.", "My intro."), base=base)
    conflict = caught.value
    assert conflict.submitted.startswith("My intro.")
    assert conflict.current_revision.body.startswith("Their intro.")
    assert "My intro." in conflict.merge.with_markers
    assert "Their intro." in conflict.merge.with_markers
    assert Revision.objects.filter(page=wiki_page).count() == count


def test_a_reader_cannot_edit(wiki_page, successor):
    with pytest.raises(PermissionDenied):
        edit(wiki_page, successor, "vandalism")


def test_it_edits_one_section(wiki_page, teammate):
    sections = {
        s.title: s.index
        for s in __import__("wiki.rendering").rendering.split_sections(
            wiki_page.current_revision.body
        )
    }
    result = services.edit_section(
        page=wiki_page,
        author=teammate,
        index=sections["Rollback"],
        text="## Rollback\n\nCall the on-call engineer.\n",
        base_revision=wiki_page.current_revision,
    )
    assert "Call the on-call engineer." in result.revision.body
    assert "Run make deploy." in result.revision.body
    assert "Run make rollback." not in result.revision.body


def test_red_links_turn_blue_when_the_page_is_created(space, teammate):
    source = services.create_page(
        space=space, author=teammate, title="Index", body="See [[Runbook]]."
    )
    assert "wikilink-missing" in source.current_revision.rendered_html
    assert "/wiki/platform/new?title=Runbook" in source.current_revision.rendered_html
    runbook = services.create_page(space=space, author=teammate, title="Runbook", body="x")
    source.refresh_from_db()
    assert "wikilink-missing" not in source.current_revision.rendered_html
    assert PageLink.objects.get(from_page=source).to_page == runbook
    assert list(selectors.list_backlinks(user=teammate, page=runbook)) == [source]


def test_rename_keeps_redirects_and_rewrites_links(space, teammate, subject):
    target = services.create_page(space=space, author=teammate, title="Old name", body="x")
    child = services.create_page(
        space=space, author=teammate, title="Child", body="c", parent=target
    )
    source = services.create_page(
        space=space, author=teammate, title="Index", body="Go to [[Old name]] now."
    )
    services.rename_page(page=target, by=subject, new_title="New name")
    target.refresh_from_db()
    child.refresh_from_db()
    assert target.path == "new-name"
    assert child.path == "new-name/child"
    assert PageRedirect.objects.get(space=space, old_path="old-name").page == target
    assert PageRedirect.objects.get(space=space, old_path="old-name/child").page == child
    found = selectors.find_redirect_for_user(user=teammate, space_key="platform", path="old-name")
    assert found == target
    source.refresh_from_db()
    latest = source.current_revision
    assert latest.body == "Go to [[New name]] now."
    assert latest.author == subject
    assert latest.number == 2
    assert "wikilink-missing" not in latest.rendered_html


def test_move_refuses_to_put_a_page_under_its_child(space, teammate):
    parent = services.create_page(space=space, author=teammate, title="Parent")
    child = services.create_page(space=space, author=teammate, title="Kid", parent=parent)
    with pytest.raises(services.InvalidMoveError):
        services.move_page(page=parent, by=teammate, new_parent=child)
    parent.refresh_from_db()
    assert parent.path == "parent"


def test_move_then_move_back_keeps_every_url(space, teammate):
    a = services.create_page(space=space, author=teammate, title="A")
    b = services.create_page(space=space, author=teammate, title="B")
    services.move_page(page=b, by=teammate, new_parent=a)
    b.refresh_from_db()
    assert b.path == "a/b"
    services.move_page(page=b, by=teammate, new_parent=None)
    b.refresh_from_db()
    assert b.path == "b"
    assert not PageRedirect.objects.filter(old_path="b").exists()
    assert PageRedirect.objects.get(old_path="a/b").page == b


def test_titles_are_unique_in_a_space(space, wiki_page, teammate):
    with pytest.raises(services.PageTitleTakenError):
        services.create_page(space=space, author=teammate, title="deploy GUIDE")
    assert Page.objects.filter(space=space).count() == 1


@pytest.mark.parametrize("title", ["", "   ", "a|b", "x]]y", "[[x", "t" * 201])
def test_bad_titles_are_refused(space, teammate, title):
    with pytest.raises(services.InvalidTitleError):
        services.create_page(space=space, author=teammate, title=title)
    assert not Page.objects.exists()


def test_reserved_slug_is_avoided(space, teammate):
    page = services.create_page(space=space, author=teammate, title="New")
    assert page.path == "new-2"


def test_chinese_titles_keep_their_characters_in_the_url(space, teammate):
    page = services.create_page(space=space, author=teammate, title="部署指南")
    assert page.path == "部署指南"


def test_trash_and_undelete(space, wiki_page, teammate, django_capture_on_commit_callbacks):
    source = services.create_page(
        space=space, author=teammate, title="Index", body="[[Deploy guide]]"
    )
    with django_capture_on_commit_callbacks() as scheduled:
        services.delete_page(page=wiki_page, by=teammate)
    wiki_page.refresh_from_db()
    assert wiki_page.is_deleted
    with pytest.raises(__import__("django.http").http.Http404):
        selectors.get_page_for_user(user=teammate, space_key="platform", path=wiki_page.path)
    # The request schedules the re-render of linking pages (this is what the worker runs)
    # and tells the wiki's hooks the page changed.
    assert len(scheduled) == 2
    rerender_pages_linking_to(space_id=space.pk, titles=[wiki_page.title])
    source.refresh_from_db()
    assert "wikilink-missing" in source.current_revision.rendered_html
    assert list(selectors.list_trash(space=space)) == [wiki_page]
    services.undelete_page(page=wiki_page, by=teammate)
    wiki_page.refresh_from_db()
    assert not wiki_page.is_deleted
    rerender_pages_linking_to(space_id=space.pk, titles=[wiki_page.title])
    source.refresh_from_db()
    assert "wikilink-missing" not in source.current_revision.rendered_html
    actions = set(
        AuditEvent.objects.filter(scope=space.audit_scope).values_list("action", flat=True)
    )
    assert {"page.deleted", "page.undeleted"} <= actions


def test_undelete_refuses_when_the_title_was_reused(space, wiki_page, teammate):
    services.delete_page(page=wiki_page, by=teammate)
    services.create_page(space=space, author=teammate, title="Deploy guide", body="new")
    wiki_page.refresh_from_db()
    with pytest.raises(services.PageTitleTakenError):
        services.undelete_page(page=wiki_page, by=teammate)
    wiki_page.refresh_from_db()
    assert wiki_page.is_deleted


def test_delete_refuses_a_page_with_children(space, wiki_page, teammate):
    services.create_page(space=space, author=teammate, title="Sub", parent=wiki_page)
    with pytest.raises(services.PageHasChildrenError):
        services.delete_page(page=wiki_page, by=teammate)
    wiki_page.refresh_from_db()
    assert not wiki_page.is_deleted


def test_restore_creates_a_new_revision(wiki_page, teammate, subject):
    first = wiki_page.current_revision
    edit(wiki_page, teammate, "changed\n")
    new = services.restore_revision(page=wiki_page, revision=first, by=subject)
    assert new.number == 3
    assert new.body == first.body
    assert Revision.objects.filter(page=wiki_page).count() == 3
    assert AuditEvent.objects.filter(action="page.revision_restored").exists()


def test_reassign_pages_moves_ownership_and_audits(space, wiki_page, teammate, successor):
    other = services.create_page(space=space, author=teammate, title="Other")
    count = services.reassign_pages(from_user=teammate, to_user=successor, by=None)
    assert count == 2
    for each in (wiki_page, other):
        assert list(each.owners.all()) == [successor]
    assert list(selectors.list_stale_pages(user=successor, owner=teammate)) == []
    assert AuditEvent.objects.filter(action="page.owners_reassigned").count() == 1


def test_stale_pages_and_verification(wiki_page, teammate, manager):
    import datetime

    services.set_review_by(page=wiki_page, by=teammate, review_by=datetime.date(2020, 1, 1))
    assert list(selectors.list_stale_pages(user=teammate, space=wiki_page.space)) == [wiki_page]
    assert list(selectors.list_stale_pages(user=teammate, owner=teammate)) == [wiki_page]
    services.mark_verified(page=wiki_page, by=teammate)
    wiki_page.refresh_from_db()
    assert wiki_page.verified_by == teammate
    assert wiki_page.review_by > datetime.date.today()
    assert list(selectors.list_stale_pages(user=teammate, space=wiki_page.space)) == []


def test_only_owners_or_admins_verify(wiki_page, subject, manager):
    with pytest.raises(PermissionDenied):
        services.mark_verified(page=wiki_page, by=subject)
    services.mark_verified(page=wiki_page, by=manager)


def test_space_keeps_an_admin(space, manager):
    with pytest.raises(services.LastAdminError):
        services.set_space_role(space=space, by=manager, role=Role.READER, user=manager)
    assert selectors.get_space_role(user=manager, space=space) == Role.ADMIN


def test_role_changes_are_audited_and_need_admin(space, manager, teammate, outsider):
    with pytest.raises(PermissionDenied):
        services.set_space_role(space=space, by=teammate, role=Role.ADMIN, user=teammate)
    services.set_space_role(space=space, by=manager, role=Role.READER, user=outsider)
    event = AuditEvent.objects.filter(action="space.role_set").first()
    assert event.details["user_id"] == outsider.pk


def test_team_role_grants_access(space, manager, team, outsider):
    from core.models import Membership

    assert selectors.get_space_role(user=outsider, space=space) is None
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, team=team)
    Membership.objects.create(team=team, user=outsider)
    assert selectors.get_space_role(user=outsider, space=space) == Role.EDITOR


def test_template_fills_the_title(space, teammate):
    template = services.create_template(
        space=space, by=teammate, name="Runbook", body="# {{title}}\n\nOwner: ...\n"
    )
    page = services.create_page_from_template(
        space=space, author=teammate, title="DB failover", template=template
    )
    assert page.current_revision.body.startswith("# DB failover")


def test_links_the_quick_scan_misses_still_resolve(space, teammate):
    odd = services.create_page(space=space, author=teammate, title="Foo [bar]", body="x")
    source = services.create_page(
        space=space, author=teammate, title="Index", body="See [[Foo [bar]]] and [[ foo   [BAR] ]]."
    )
    html = source.current_revision.rendered_html
    assert "wikilink-missing" not in html
    assert PageLink.objects.get(from_page=source).to_page == odd


def test_owned_pages_are_listed_only_where_the_reader_may_look(
    space, wiki_page, teammate, outsider
):
    assert list(selectors.list_owned_pages(user=teammate, owner=teammate)) == [wiki_page]
    assert list(selectors.list_owned_pages(user=outsider, owner=teammate)) == []


def test_moving_a_page_updates_the_links_that_point_at_it(space, teammate):
    target = services.create_page(space=space, author=teammate, title="Target")
    folder = services.create_page(space=space, author=teammate, title="Folder")
    source = services.create_page(space=space, author=teammate, title="Index", body="[[Target]]")
    assert 'href="/wiki/platform/target/"' in source.current_revision.rendered_html
    services.move_page(page=target, by=teammate, new_parent=folder)
    # What the worker runs after the commit (old URLs redirect meanwhile).
    rerender_pages(page_ids=[source.pk])
    source.refresh_from_db()
    assert 'href="/wiki/platform/folder/target/"' in source.current_revision.rendered_html
    assert source.current_revision.number == 1


def test_renaming_a_page_that_links_to_itself(space, teammate):
    page = services.create_page(space=space, author=teammate, title="Loop", body="[[Loop]] again")
    services.rename_page(page=page, by=teammate, new_title="Circle")
    page.refresh_from_db()
    assert page.current_revision.body == "[[Circle]] again"
    assert page.search_text.startswith("Circle")
    assert PageLink.objects.get(from_page=page).to_page == page
