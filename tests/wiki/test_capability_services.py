"""The use cases that views and the API used to assemble themselves, now single services."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from tests.wiki.conftest import png_bytes
from wiki.errors import PageTitleTakenError, WikiError
from wiki.models import EditingPresence, Page
from wiki.selectors.people import (
    UnknownNameError,
    get_team_by_slug,
    get_user_by_username,
    list_users_by_username,
)
from wiki.services.attachments import upload_attachment
from wiki.services.ownership import (
    mark_verified,
    set_page_tags,
    set_review_by,
    update_page_settings,
)
from wiki.services.pages import create_page
from wiki.services.tree import move_and_rename_page
from wiki.space_archive import archive_bytes, create_space_from_archive


def _actions(page: Page) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(page.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_it_moves_and_renames_in_one_step(space, wiki_page, teammate):
    parent = create_page(space=space, author=teammate, title="Ops")
    moved = move_and_rename_page(
        page=wiki_page, by=teammate, new_parent=parent, new_title="Deploying"
    )
    assert (moved.title, moved.path) == ("Deploying", "ops/deploying")


def test_it_leaves_the_parent_when_none_is_given(space, wiki_page, teammate):
    moved = move_and_rename_page(page=wiki_page, by=teammate, new_title="Deploying")
    assert (moved.parent_id, moved.path) == (None, "deploying")


def test_it_moves_nothing_when_the_rename_is_refused(space, wiki_page, teammate):
    parent = create_page(space=space, author=teammate, title="Ops")
    create_page(space=space, author=teammate, title="Taken")
    with pytest.raises(PageTitleTakenError):
        move_and_rename_page(page=wiki_page, by=teammate, new_parent=parent, new_title="Taken")
    wiki_page.refresh_from_db()
    assert (wiki_page.parent_id, wiki_page.path) == (None, "deploy-guide")


def test_it_sets_owners_review_date_and_tags_together(wiki_page, teammate, successor):
    update_page_settings(
        page=wiki_page,
        by=teammate,
        owners=[successor],
        review_by=date(2030, 1, 1),
        tags=["Ops", " ops ", "runbook"],
    )
    wiki_page.refresh_from_db()
    assert list(wiki_page.owners.values_list("username", flat=True)) == [successor.username]
    assert wiki_page.review_by == date(2030, 1, 1)
    assert sorted(wiki_page.tags.values_list("name", flat=True)) == ["ops", "runbook"]


def test_it_changes_no_setting_when_one_is_refused(wiki_page, teammate, outsider):
    with pytest.raises(WikiError):
        update_page_settings(
            page=wiki_page, by=teammate, owners=[outsider], review_by=date(2030, 1, 1), tags=["x"]
        )
    wiki_page.refresh_from_db()
    assert wiki_page.review_by is None
    assert not wiki_page.tags.exists()


def test_ownership_writes_leave_audit_rows(wiki_page, teammate, manager):
    set_page_tags(page=wiki_page, by=teammate, names=["ops"])
    set_review_by(page=wiki_page, by=teammate, review_by=date(2030, 1, 1))
    mark_verified(page=wiki_page, by=manager)
    assert _actions(wiki_page)[-3:] == ["page.tags_set", "page.review_by_set", "page.verified"]


def test_an_unchanged_tag_list_writes_no_audit_row(wiki_page, teammate):
    set_page_tags(page=wiki_page, by=teammate, names=["ops"])
    set_page_tags(page=wiki_page, by=teammate, names=["OPS"])
    assert _actions(wiki_page).count("page.tags_set") == 1


def test_an_upload_leaves_an_audit_row(wiki_page, teammate, media_root):
    upload = SimpleUploadedFile("dot.png", png_bytes(), content_type="image/png")
    attachment = upload_attachment(page=wiki_page, by=teammate, upload=upload)
    event = AuditEvent.objects.get(action="attachment.uploaded")
    assert event.details["page_id"] == wiki_page.pk
    assert event.personal["name"] == attachment.name


def test_it_creates_a_space_from_an_archive(space, wiki_page, manager, teammate, media_root):
    data = archive_bytes(space, manager)
    report = create_space_from_archive(
        by=teammate, archive_file=_file(data), name="Copy", key="copy"
    )
    assert report.space.key == "copy"
    assert Page.objects.filter(space=report.space, title="Deploy guide").exists()


def test_it_creates_no_space_from_a_broken_archive(teammate):
    with pytest.raises(WikiError):
        create_space_from_archive(
            by=teammate, archive_file=_file(b"not a zip"), name="Copy", key="copy"
        )
    assert not Page.objects.filter(space__key="copy").exists()


def _file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def test_it_finds_people_and_teams_by_name(teammate, successor, team):
    assert get_user_by_username(username=teammate.username) == teammate
    assert get_team_by_slug(slug=team.slug) == team
    found = list_users_by_username(usernames=[successor.username, teammate.username])
    assert found == [successor, teammate]


def test_it_names_every_unknown_username(teammate):
    with pytest.raises(UnknownNameError) as error:
        list_users_by_username(usernames=["zed", teammate.username, "amy"])
    assert str(error.value) == "Unknown usernames: amy, zed"
    with pytest.raises(UnknownNameError):
        get_team_by_slug(slug="nobody")


def test_opening_the_editor_writes_nothing(wiki_page, teammate, client_for):
    url = reverse("wiki:page-edit", kwargs={"key": wiki_page.space.key, "path": wiki_page.path})
    assert client_for(teammate).get(url).status_code == 200
    assert not EditingPresence.objects.exists()
    presence = reverse(
        "wiki:page-presence", kwargs={"key": wiki_page.space.key, "path": wiki_page.path}
    )
    assert client_for(teammate).post(presence).status_code == 200
    assert EditingPresence.objects.filter(page=wiki_page, user=teammate).exists()
