"""Space export/import: a faithful round trip, safe zip reading, clear errors, all or nothing."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from tests.wiki.conftest import png_bytes
from wiki import services
from wiki.models import Attachment, Page, Role, Space
from wiki.space_archive import (
    SpaceArchiveError,
    archive_bytes,
    export_space_archive,
    import_space_archive,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def _png() -> bytes:
    return png_bytes((6, 3), "green")


@pytest.fixture
def tree(space, manager, teammate):  # noqa: ANN001, ANN201
    """A small tree with tags, an owner, a review date, Chinese text, links and an image."""
    ops = services.create_page(
        space=space, author=teammate, title="Operations", body="# Ops\n\nSee [[部署指南]].\n"
    )
    guide = services.create_page(
        space=space,
        author=teammate,
        title="部署指南",
        body=(
            "## 步骤\n\n先在预发布环境验证。\n\n```sh\nmake deploy\n```\n\n"
            "Back to [[Operations]].\n"
        ),
        parent=ops,
        tags=["ops", "中文"],
        review_by=date(2030, 1, 31),
    )
    services.create_page(
        space=space, author=teammate, title="Rollback", body="Undo it.\n", parent=guide
    )
    services.create_page(space=space, author=manager, title="Empty page", body="")
    services.set_page_owners(page=guide, by=manager, owners=[teammate, manager])
    services.upload_attachment(
        page=guide,
        by=teammate,
        upload=SimpleUploadedFile("diagram.png", _png(), content_type="image/png"),
    )
    services.upload_attachment(
        page=guide,
        by=teammate,
        upload=SimpleUploadedFile("diagram.png", b"second file, same name\n", "text/plain"),
    )
    return space


def _snapshot(space):  # noqa: ANN001, ANN202
    """Everything a round trip must keep, keyed by the chain of titles from the root."""
    pages = Page.objects.filter(space=space, deleted_at__isnull=True).select_related(
        "current_revision", "parent"
    )
    result = {}
    for page in pages:
        chain, node = [], page
        while node is not None:
            chain.insert(0, node.title)
            node = node.parent
        result[" / ".join(chain)] = {
            "body": page.current_revision.body,
            "tags": sorted(page.tags.values_list("name", flat=True)),
            "owners": sorted(page.owners.values_list("username", flat=True)),
            "review_by": page.review_by,
            "files": sorted(
                (a.name, a.content_type, a.file.open("rb").read()) for a in page.attachments.all()
            ),
        }
    return result


def test_round_trip_keeps_titles_hierarchy_bodies_tags_owners_and_files(tree, manager, teammate):
    data = archive_bytes(tree, manager)
    target = services.create_space(name="Copy", key="copy", by=manager)
    services.set_space_role(space=target, by=manager, role=Role.EDITOR, user=teammate)
    report = import_space_archive(
        space=target, archive_file=SimpleUploadedFile("platform.zip", data), by=manager
    )
    assert (report.pages, report.attachments, report.skipped) == (4, 2, [])
    assert _snapshot(target) == _snapshot(tree)
    copy = Page.objects.get(space=target, title="Operations")
    # Links between imported pages resolve to the new space's pages, not red links.
    guide = Page.objects.get(space=target, title="部署指南")
    assert list(copy.outgoing_links.values_list("to_page", flat=True)) == [guide.pk]
    assert 'href="/wiki/copy/operations/' in copy.current_revision.rendered_html
    assert AuditEvent.objects.filter(action="space.exported", scope=tree.audit_scope).exists()
    assert AuditEvent.objects.filter(action="space.imported", scope=target.audit_scope).exists()


def test_export_layout_mirrors_the_tree_with_front_matter(tree, manager):
    with zipfile.ZipFile(io.BytesIO(archive_bytes(tree, manager))) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        guide = archive.read("pages/operations/部署指南.md").decode("utf-8")
    assert "pages/operations.md" in names
    assert "pages/operations/部署指南/rollback.md" in names
    assert "attachments/operations/部署指南/1_diagram.png" in names
    assert manifest["format"] == "tacit-space" and manifest["space"]["key"] == "platform"
    assert guide.startswith("---\ntitle: 部署指南\n")
    assert "review_by: '2030-01-31'" in guide
    assert guide.endswith("Back to [[Operations]].\n")


def test_only_admins_export_and_import(tree, teammate, manager):
    with pytest.raises(services.WikiPermissionError):
        export_space_archive(space=tree, by=teammate)
    target = services.create_space(name="Copy", key="copy", by=manager)
    services.set_space_role(space=target, by=manager, role=Role.EDITOR, user=teammate)
    with pytest.raises(services.WikiPermissionError):
        import_space_archive(
            space=target, archive_file=io.BytesIO(archive_bytes(tree, manager)), by=teammate
        )
    assert not Page.objects.filter(space=target).exists()


def test_import_refuses_a_space_that_has_pages(tree, manager):
    data = archive_bytes(tree, manager)
    before = Page.objects.filter(space=tree).count()
    with pytest.raises(SpaceArchiveError, match="already has pages"):
        import_space_archive(space=tree, archive_file=io.BytesIO(data), by=manager)
    assert Page.objects.filter(space=tree).count() == before


def _zip(entries: dict[str, bytes | str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def _manifest(*pages: dict) -> str:
    return json.dumps({"format": "tacit-space", "version": 1, "pages": list(pages)})


GOOD_PAGE = "---\ntitle: Good\n---\nFine.\n"


@pytest.mark.parametrize(
    ("archive", "words"),
    [
        (io.BytesIO(b"this is not a zip"), "not a readable zip"),
        (io.BytesIO(b""), "not a readable zip"),
        (_zip({"pages/a.md": GOOD_PAGE}), "no manifest.json"),
        (_zip({"manifest.json": "{not json"}), "not valid JSON"),
        (_zip({"manifest.json": json.dumps({"format": "other"})}), "not a Tacit space manifest"),
        (
            _zip({"manifest.json": json.dumps({"format": "tacit-space", "version": 9})}),
            "version 9",
        ),
        (
            _zip({"manifest.json": _manifest({"path": "a", "file": "pages/a.md"})}),
            "not in the archive",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
                    "pages/a.md": "no front matter\n",
                }
            ),
            "front matter",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
                    "pages/a.md": "---\ntitle: [unclosed\n---\nx\n",
                }
            ),
            "not valid YAML",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
                    "pages/a.md": "---\ntags: [x]\n---\nx\n",
                }
            ),
            "needs a “title”",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
                    "pages/a.md": b"---\ntitle: Latin\n---\n\xff\xfe caf\xe9\n",
                }
            ),
            "not UTF-8",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a/b", "file": "pages/a/b.md"}),
                    "pages/a/b.md": GOOD_PAGE,
                }
            ),
            "parent page “a” is not in the archive",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest(
                        {"path": "a", "file": "pages/a.md"}, {"path": "b", "file": "pages/b.md"}
                    ),
                    "pages/a.md": GOOD_PAGE,
                    "pages/b.md": GOOD_PAGE,
                }
            ),
            "already exists",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest(
                        {
                            "path": "a",
                            "file": "pages/a.md",
                            "attachments": [{"file": "attachments/a/1_x.exe", "name": "x.exe"}],
                        }
                    ),
                    "pages/a.md": GOOD_PAGE,
                    "attachments/a/1_x.exe": b"MZ\x90\x00" + b"\x00" * 100,
                }
            ),
            "not allowed",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
                    "pages/a.md": GOOD_PAGE,
                    "../evil.md": "x",
                }
            ),
            "leaves the archive",
        ),
        (
            _zip(
                {
                    "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
                    "pages/a.md": GOOD_PAGE,
                    "/etc/evil.md": "x",
                }
            ),
            "absolute path",
        ),
    ],
)
def test_bad_archives_fail_clearly_and_leave_the_space_empty(archive, words, space, manager):
    with pytest.raises(SpaceArchiveError) as error:
        import_space_archive(space=space, archive_file=archive, by=manager)
    assert words in str(error.value)
    assert not Page.objects.filter(space=space).exists()
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="space.imported").exists()


def test_a_zip_bomb_is_refused_before_anything_is_written(space, manager, settings):
    bomb = _zip(
        {
            "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
            "pages/a.md": GOOD_PAGE + "\n" * (20 * 1024 * 1024),
        }
    )
    with pytest.raises(SpaceArchiveError, match="zip bomb"):
        import_space_archive(space=space, archive_file=bomb, by=manager)
    settings.WIKI_IMPORT_MAX_BYTES = 1000
    big = _zip(
        {
            "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
            "pages/a.md": GOOD_PAGE + "word " * 400,
        }
    )
    with pytest.raises(SpaceArchiveError, match="more than the limit"):
        import_space_archive(space=space, archive_file=big, by=manager)
    assert not Page.objects.filter(space=space).exists()


def test_unknown_owners_and_unlisted_files_are_reported_not_fatal(space, manager):
    archive = _zip(
        {
            "manifest.json": _manifest({"path": "a", "file": "pages/a.md"}),
            "pages/a.md": "---\ntitle: A\nowners: [ghost, manager]\n---\nText.\n",
            "notes/readme.txt": "extra",
        }
    )
    report = import_space_archive(space=space, archive_file=archive, by=manager)
    assert report.pages == 1
    assert any("ghost" in line for line in report.skipped)
    assert any("notes/readme.txt" in line for line in report.skipped)
    page = Page.objects.get(space=space, title="A")
    assert list(page.owners.values_list("username", flat=True)) == ["manager"]
    assert page.current_revision.body == "Text.\n"


# --- Through the API and the HTML space page --------------------------------------------------


def test_api_export_then_import_into_a_new_space(tree, manager, successor, client_for):
    client = client_for(manager)
    response = client.get(reverse("api:wiki:space-export", kwargs={"key": tree.key}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="platform.zip"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    upload = SimpleUploadedFile("platform.zip", data, content_type="application/zip")
    created = client.post(
        reverse("api:wiki:space-import-new"), {"file": upload, "name": "Copy", "key": "copy"}
    )
    assert created.status_code == 201
    report = created.json()
    assert (report["space"], report["pages"], report["attachments"]) == ("copy", 4, 2)
    # The copy is private to its creator, so the teammate cannot own its pages (yet).
    assert len(report["skipped"]) == 3
    assert all("“teammate” cannot read this space" in line for line in report["skipped"])
    assert created["Location"] == reverse("api:wiki:space-detail", kwargs={"key": "copy"})
    # A reader of the original space is no reader of the copy: it is private to its creator.
    missing = client_for(successor).get(reverse("api:wiki:space-detail", kwargs={"key": "copy"}))
    assert missing.status_code == 404


def test_api_import_of_a_bad_zip_is_400_and_creates_no_space(manager, client_for):
    upload = SimpleUploadedFile("x.zip", b"PK\x03\x04 broken", content_type="application/zip")
    response = client_for(manager).post(
        reverse("api:wiki:space-import-new"), {"file": upload, "name": "Copy", "key": "copy"}
    )
    assert response.status_code == 400
    assert "not a readable zip" in response.json()["detail"]
    assert not Space.objects.filter(key="copy").exists()
    missing = client_for(manager).post(
        reverse("api:wiki:space-import-new"), {"name": "Copy", "key": "copy"}
    )
    assert missing.status_code == 400 and "file" in missing.json()["detail"]


def test_api_import_into_an_existing_empty_space(tree, manager, client_for):
    data = archive_bytes(tree, manager)
    target = services.create_space(name="Copy", key="copy", by=manager)
    url = reverse("api:wiki:space-import", kwargs={"key": target.key})
    response = client_for(manager).post(url, {"file": SimpleUploadedFile("p.zip", data)})
    assert response.status_code == 201
    assert response.json()["pages"] == 4
    again = client_for(manager).post(url, {"file": SimpleUploadedFile("p.zip", data)})
    assert again.status_code == 400 and "already has pages" in again.json()["detail"]


@pytest.mark.parametrize(("persona", "status"), [("teammate", 403), ("outsider", 404)])
def test_api_export_and_import_need_the_admin_role(
    request, persona, status, tree, manager, client_for
):
    client = client_for(request.getfixturevalue(persona))
    response = client.get(reverse("api:wiki:space-export", kwargs={"key": tree.key}))
    assert response.status_code == status
    data = archive_bytes(tree, manager)
    target = services.create_space(name="Copy", key="copy", by=manager)
    services.set_space_role(
        space=target, by=manager, role=Role.EDITOR, user=request.getfixturevalue("teammate")
    )
    url = reverse("api:wiki:space-import", kwargs={"key": target.key})
    response = client.post(url, {"file": SimpleUploadedFile("p.zip", data)})
    assert response.status_code == status
    assert not Page.objects.filter(space=target).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("manager", 200), ("teammate", 403), ("successor", 403), ("outsider", 404), (None, 302)],
)
def test_html_export_button_per_persona(request, persona, status, tree, client_for):
    user = request.getfixturevalue(persona) if persona else None
    response = client_for(user).get(reverse("wiki:space-export", kwargs={"key": tree.key}))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/zip"
        assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).testzip() is None


def test_html_space_page_offers_export_and_import_to_admins_only(
    space, manager, teammate, client_for
):
    page = client_for(manager).get(reverse("wiki:space-detail", kwargs={"key": space.key}))
    assert reverse("wiki:space-export", kwargs={"key": space.key}) in page.content.decode()
    assert reverse("wiki:space-import", kwargs={"key": space.key}) in page.content.decode()
    other = client_for(teammate).get(reverse("wiki:space-detail", kwargs={"key": space.key}))
    assert reverse("wiki:space-export", kwargs={"key": space.key}) not in other.content.decode()


def test_html_import_fills_an_empty_space_or_explains_why_not(tree, manager, client_for):
    target = services.create_space(name="Copy", key="copy", by=manager)
    url = reverse("wiki:space-import", kwargs={"key": target.key})
    client = client_for(manager)
    assert client.get(url).status_code == 405
    bad = client.post(url, {"file": SimpleUploadedFile("x.zip", b"nope")}, follow=True)
    assert "not a readable zip" in bad.content.decode()
    assert not Page.objects.filter(space=target).exists()
    data = archive_bytes(tree, manager)
    done = client.post(url, {"file": SimpleUploadedFile("p.zip", data)}, follow=True)
    assert "Imported 4 pages and 2 attachments." in done.content.decode()
    assert Page.objects.filter(space=target).count() == 4
    anonymous = client_for(None)
    assert anonymous.post(url, {"file": SimpleUploadedFile("p.zip", data)}).status_code == 302


def test_command_line_export_and_import(tree, manager, teammate, tmp_path):
    from django.core.management import CommandError, call_command

    output = tmp_path / "platform.zip"
    call_command("export_space", "platform", str(output), by="manager")
    assert zipfile.is_zipfile(output)
    with pytest.raises(CommandError, match="admins"):
        call_command("export_space", "platform", str(tmp_path / "x.zip"), by="teammate")
    call_command("import_space", str(output), "copy", by="manager", name="Copy")
    assert Page.objects.filter(space__key="copy").count() == 4
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not a readable zip"):
        call_command("import_space", str(broken), "other", by="manager", name="Other")
    assert not Space.objects.filter(key="other").exists()
