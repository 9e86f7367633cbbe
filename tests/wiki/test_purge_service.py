"""purge_pages: hard deletion of pages for withdrawals, with everything around them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from tests.wiki.conftest import edit, png_bytes
from wiki import services
from wiki.models import (
    Attachment,
    Comment,
    Page,
    PageLink,
    PageRedirect,
    Revision,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

SECRET = "the withdrawn sentence about the billing migration"


def _tree(space, subject):  # noqa: ANN001, ANN202
    root = services.create_page(space=space, author=subject, title="Handover root", body=SECRET)
    child = services.create_page(
        space=space, author=subject, title="Handover child", body="first", parent=root
    )
    edit(child, subject, f"second: {SECRET}")
    return root, child


def test_it_deletes_pages_revisions_attachments_comments_redirects_and_links(
    space, subject, teammate, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    root, child = _tree(space, subject)
    services.add_comment(page=child, author=teammate, body=f"About {SECRET}")
    attachment = services.upload_attachment(
        page=child,
        by=subject,
        upload=SimpleUploadedFile("chart.png", png_bytes((4, 4), "red"), "image/png"),
    )
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    services.rename_page(page=child, by=subject, new_title="Handover child renamed")
    other = services.create_page(
        space=space, author=teammate, title="Elsewhere", body="See [[Handover root]]."
    )
    assert PageRedirect.objects.filter(page=child).exists()
    with django_capture_on_commit_callbacks(execute=True):
        removed = services.purge_pages(pages=[root, child], reason="consent_withdrawn")
    assert removed == 2
    assert not Page.objects.filter(pk__in=[root.pk, child.pk]).exists()
    assert not Revision.objects.filter(page_id__in=[root.pk, child.pk]).exists()
    assert not Revision.objects.filter(body__contains=SECRET).exists()
    assert not Revision.objects.filter(rendered_html__contains=SECRET).exists()
    assert not Page.objects.filter(search_text__contains=SECRET).exists()
    assert not Comment.objects.filter(body__contains=SECRET).exists()
    assert not Attachment.objects.exists()
    assert not storage.exists(name)
    assert not PageRedirect.objects.filter(page_id=child.pk).exists()
    assert not PageLink.objects.filter(from_page_id__in=[root.pk, child.pk]).exists()
    assert PageLink.objects.get(from_page=other).to_page is None
    event = AuditEvent.objects.get(action="page.purged")
    assert event.details["pages"] == sorted([root.pk, child.pk])
    assert event.details["reason"] == "consent_withdrawn"
    assert SECRET not in str(event.details) and not event.personal


def test_it_refuses_a_parent_without_its_children_and_deletes_nothing(space, subject) -> None:  # noqa: ANN001
    root, child = _tree(space, subject)
    with pytest.raises(services.PageHasChildrenError):
        services.purge_pages(pages=[root], reason="consent_withdrawn")
    assert Page.objects.filter(pk__in=[root.pk, child.pk]).count() == 2
    assert Revision.objects.filter(page=child).count() == 2
    assert not AuditEvent.objects.filter(action="page.purged").exists()


def test_it_purges_a_leaf_alone_and_keeps_the_rest(space, subject) -> None:  # noqa: ANN001
    root, child = _tree(space, subject)
    assert services.purge_pages(pages=[child], reason="consent_withdrawn") == 1
    assert Page.objects.filter(pk=root.pk).exists()
    assert services.purge_pages(pages=[], reason="consent_withdrawn") == 0


def test_the_wiki_does_not_import_the_handover() -> None:
    from pathlib import Path

    import wiki

    for path in Path(wiki.__file__).parent.rglob("*.py"):
        text = path.read_text()
        assert "import handover" not in text and "from handover" not in text, path
