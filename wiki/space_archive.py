"""Export a space as a zip of Markdown files and import such a zip into an empty space.

The archive (format ``tacit-space``, version 1)::

    manifest.json                    the space, and every page in tree order
    pages/<path>.md                  one page: YAML front matter, then its Markdown text
    attachments/<path>/<n>_<name>    the page's files, byte for byte

A page file looks like::

    ---
    title: Deploy guide
    tags: [ops]
    owners: [alice]
    review_by: '2026-01-31'
    ---
    The Markdown text, exactly as saved.

``pages/`` mirrors the page tree (``pages/ops.md`` and its child ``pages/ops/deploy.md``),
so the zip reads well in any file browser. The manifest is the authority for the tree and
the attachments; the front matter for title, tags, owners and review date, so a person may
edit a page file by hand before importing it.

Import goes through the wiki's services (``create_page``, ``upload_attachment``), so
rendering, links, search and the attachment checks are the same as for pages typed in the
browser, and it runs in one transaction: a broken archive leaves nothing behind. The zip is
read carefully rather than through the thread importers' ``ExportSource``, because that one
skips nested archives (a page may have a .zip attachment) and speaks of chat exports in its
errors: entries with absolute or ``..`` paths, links or encryption refuse the whole archive,
and the total size and each entry's compression ratio are capped while reading, not only
from the sizes the headers declare.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import zipsafe
from core.services import record_audit_event
from wiki.errors import WikiError, WikiPermissionError
from wiki.models import Page, Role, Space
from wiki.selectors.access import has_space_role
from wiki.services.attachments import upload_attachment
from wiki.services.ownership import set_page_owners
from wiki.services.pages import create_page
from wiki.services.spaces import create_space

User = get_user_model()

FORMAT = "tacit-space"
VERSION = 1
MANIFEST = "manifest.json"
# Limits come from settings.WIKI_IMPORT_MAX_BYTES / WIKI_IMPORT_MAX_RATIO; below 1 MiB an
# entry may have any ratio (harmless, and Markdown compresses very well).
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 256 * 1024


class SpaceArchiveError(WikiError):
    """The archive cannot be imported; the message says which file and why."""


@dataclass
class ImportReport:
    """What an import created, and what it left out (with the reason)."""

    space: Space
    pages: int = 0
    attachments: int = 0
    skipped: list[str] = field(default_factory=list)


# --- Export ------------------------------------------------------------------------------------


def _front_matter(page: Page) -> str:
    meta = {
        "title": page.title,
        "tags": sorted(tag.name for tag in page.tags.all()),
        "owners": sorted(owner.username for owner in page.owners.all()),
        "review_by": page.review_by.isoformat() if page.review_by else None,
    }
    dumped = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None)
    return f"---\n{dumped}---\n"


def _attachment_member(page_path: str, index: int, name: str) -> str:
    return f"attachments/{page_path}/{index}_{name}"


@transaction.atomic
def export_space_archive(*, space: Space, by: AbstractBaseUser) -> IO[bytes]:
    """Write the space's live pages and their files to a zip; return it open at its start.

    Only space admins may export (a whole space leaves the building). The zip is built in
    an anonymous temporary file, so memory stays flat however large the space is; closing
    the returned file deletes it. An audit row records the export.
    """
    if not has_space_role(user=by, space=space, role=Role.ADMIN):
        raise WikiPermissionError(_("Only the space's admins can export it."))
    pages = list(
        Page.objects.filter(space=space, deleted_at__isnull=True)
        .select_related("current_revision")
        .prefetch_related("tags", "owners", "attachments")
        .order_by("path")
    )
    output = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the caller closes it
    manifest_pages = []
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for page in pages:
            body = page.current_revision.body if page.current_revision_id else ""
            member = f"pages/{page.path}.md"
            archive.writestr(member, _front_matter(page) + body)
            files = []
            for index, attachment in enumerate(page.attachments.all(), start=1):
                name = _attachment_member(page.path, index, attachment.name)
                digest = hashlib.sha256()
                with attachment.file.open("rb") as source, archive.open(name, "w") as target:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        target.write(chunk)
                files.append(
                    {
                        "file": name,
                        "name": attachment.name,
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                        "sha256": digest.hexdigest(),
                    }
                )
            manifest_pages.append(
                {
                    "path": page.path,
                    "parent": page.path.rsplit("/", 1)[0] if "/" in page.path else None,
                    "file": member,
                    "title": page.title,
                    "attachments": files,
                }
            )
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": timezone.now().isoformat(),
            "space": {"key": space.key, "name": space.name, "description": space.description},
            "pages": manifest_pages,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    record_audit_event(
        actor=by,
        action="space.exported",
        target=space,
        scope=space.audit_scope,
        details={
            "pages": len(pages),
            "attachments": sum(len(p["attachments"]) for p in manifest_pages),
        },
    )
    output.seek(0)
    return output


# --- Reading an archive safely -----------------------------------------------------------------


# Which problem to name when an entry has several, and how to name it.
_PROBLEM_ORDER = (
    zipsafe.ABSOLUTE,
    zipsafe.BACKSLASH,
    zipsafe.NUL,
    zipsafe.PARENT,
    zipsafe.SYMLINK,
    zipsafe.ENCRYPTED,
)


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    problems = zipsafe.entry_problems(info)
    for problem in _PROBLEM_ORDER:
        if problem in problems:
            return {
                zipsafe.ABSOLUTE: _("an absolute path"),
                zipsafe.BACKSLASH: _("a backslash or NUL in its name"),
                zipsafe.NUL: _("a backslash or NUL in its name"),
                zipsafe.PARENT: _("a path that leaves the archive with “..”"),
                zipsafe.SYMLINK: _("a symbolic link"),
                zipsafe.ENCRYPTED: _("encryption"),
            }[problem]
    return None


class _SafeZip:
    """A zip whose entries were checked, read with size and ratio limits enforced."""

    def __init__(self, archive_file: str | Path | IO[bytes], label: str) -> None:
        self.label = label
        self.limits = zipsafe.ZipLimits(
            max_total_bytes=settings.WIKI_IMPORT_MAX_BYTES,
            max_ratio=settings.WIKI_IMPORT_MAX_RATIO,
            ratio_floor_bytes=RATIO_FLOOR_BYTES,
        )
        self.budget = zipsafe.ExpansionBudget(self.limits)
        try:
            self.zip = zipfile.ZipFile(archive_file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
            raise SpaceArchiveError(
                _("%(name)s is not a readable zip file (%(error)s); nothing was imported.")
                % {"name": label, "error": error}
            ) from error
        self.infos: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in self.zip.infolist():
            reason = _unsafe_reason(info)
            if reason:
                self.zip.close()
                raise SpaceArchiveError(
                    _("%(name)s: the entry “%(entry)s” has %(reason)s; nothing was imported.")
                    % {"name": label, "entry": info.filename, "reason": reason}
                )
            if info.is_dir():
                continue
            declared += info.file_size
            if zipsafe.ratio_exceeded(info.file_size, info.compress_size, self.limits):
                self.zip.close()
                raise self._ratio_error(info.filename)
            self.infos[info.filename] = info
        if declared > self.limits.max_total_bytes:
            self.zip.close()
            raise SpaceArchiveError(
                _(
                    "%(name)s would expand to %(size)d bytes, more than the limit of "
                    "%(limit)d; nothing was imported."
                )
                % {"name": label, "size": declared, "limit": self.limits.max_total_bytes}
            )

    def _ratio_error(self, entry: str) -> SpaceArchiveError:
        return SpaceArchiveError(
            _(
                "%(name)s: “%(entry)s” expands more than %(ratio)d times its compressed "
                "size (a likely zip bomb); nothing was imported."
            )
            % {"name": self.label, "entry": entry, "ratio": self.limits.max_ratio}
        )

    def read(self, name: str) -> bytes:
        """The entry's bytes, stopping as soon as it exceeds what its header declared."""
        info = self.infos.get(name)
        if info is None:
            raise SpaceArchiveError(
                _("%(name)s: the manifest names “%(entry)s”, which is not in the archive.")
                % {"name": self.label, "entry": name}
            )
        try:
            with zipsafe.open_guarded(self.zip, info, self.budget) as handle:
                return b"".join(iter(lambda: handle.read(_CHUNK), b""))
        except zipsafe.ZipLimitError as error:
            if error.kind == "ratio":
                self.zip.close()
                raise self._ratio_error(name) from error
            # Headers lie: the limits hold on what actually comes out.
            raise SpaceArchiveError(
                _("%(name)s: “%(entry)s” expands beyond its declared size or the "
                  "import limit; nothing was imported.")
                % {"name": self.label, "entry": name}
            ) from error  # fmt: skip
        except zipsafe.DamagedEntryError as error:
            raise SpaceArchiveError(
                _("%(name)s: “%(entry)s” is damaged (%(error)s); nothing was imported.")
                % {"name": self.label, "entry": name, "error": error.__cause__ or error}
            ) from error

    def close(self) -> None:
        self.zip.close()


# --- Parsing the manifest and the page files ---------------------------------------------------


@dataclass(frozen=True)
class _PageFile:
    title: str
    body: str
    tags: list[str]
    owners: list[str]
    review_by: date | None


def _as_str_list(value: Any, what: str, member: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
        raise SpaceArchiveError(
            _("%(file)s: “%(what)s” must be a list of names.") % {"file": member, "what": what}
        )
    return [str(item) for item in value]


def _parse_page_file(member: str, raw: bytes) -> _PageFile:
    """Split a page file into its front matter and body; a clear error names what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpaceArchiveError(
            _("%(file)s is not UTF-8 text (byte %(at)d); nothing was imported.")
            % {"file": member, "at": error.start}
        ) from error
    text = text.removeprefix("\ufeff")
    if not text.startswith("---\n"):
        raise SpaceArchiveError(
            _("%(file)s does not start with a “---” front matter block; nothing was imported.")
            % {"file": member}
        )
    end = text.find("\n---\n", 3)
    if end == -1:
        raise SpaceArchiveError(
            _("%(file)s: its front matter has no closing “---” line; nothing was imported.")
            % {"file": member}
        )
    try:
        meta = yaml.safe_load(text[4 : end + 1]) or {}
    except yaml.YAMLError as error:
        raise SpaceArchiveError(
            _("%(file)s: its front matter is not valid YAML (%(error)s); nothing was imported.")
            % {"file": member, "error": str(error).splitlines()[0]}
        ) from error
    if not isinstance(meta, dict) or not isinstance(meta.get("title"), str | int):
        raise SpaceArchiveError(
            _("%(file)s: its front matter needs a “title”; nothing was imported.")
            % {"file": member}
        )
    review_by = meta.get("review_by")
    if isinstance(review_by, str) and review_by:
        try:
            review_by = date.fromisoformat(review_by)
        except ValueError as error:
            raise SpaceArchiveError(
                _("%(file)s: review_by “%(value)s” is not a date like 2026-01-31.")
                % {"file": member, "value": review_by}
            ) from error
    elif not isinstance(review_by, date):
        review_by = None
    return _PageFile(
        title=str(meta["title"]),
        body=text[end + 5 :],
        tags=_as_str_list(meta.get("tags"), "tags", member),
        owners=_as_str_list(meta.get("owners"), "owners", member),
        review_by=review_by,
    )


def _load_manifest(archive: _SafeZip) -> list[dict]:
    if MANIFEST not in archive.infos:
        raise SpaceArchiveError(
            _(
                "%(name)s has no manifest.json, so it is not a Tacit space export; "
                "nothing was imported."
            )
            % {"name": archive.label}
        )
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SpaceArchiveError(
            _("%(name)s: manifest.json is not valid JSON (%(error)s); nothing was imported.")
            % {"name": archive.label, "error": error}
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SpaceArchiveError(
            _("%(name)s: manifest.json is not a Tacit space manifest; nothing was imported.")
            % {"name": archive.label}
        )
    if manifest.get("version") != VERSION:
        raise SpaceArchiveError(
            _("%(name)s: this export has version %(version)s; Tacit reads version %(ours)d.")
            % {"name": archive.label, "version": manifest.get("version"), "ours": VERSION}
        )
    pages = manifest.get("pages")
    if not isinstance(pages, list):
        raise SpaceArchiveError(_("manifest.json: “pages” must be a list."))
    for entry in pages:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("file"), str)
            and isinstance(entry.get("attachments", []), list)
        ):
            raise SpaceArchiveError(
                _("manifest.json: each page needs a “path” and a “file”; nothing was imported.")
            )
    return pages


def _parent_path(entry: dict) -> str | None:
    parent = entry.get("parent")
    if isinstance(parent, str) and parent:
        return parent
    return entry["path"].rsplit("/", 1)[0] if "/" in entry["path"] else None


# --- Import ------------------------------------------------------------------------------------


def _owners_for(space: Space, names: Iterable[str], member: str, report: ImportReport) -> list:
    """Existing users among ``names`` who can read ``space``; the others are reported."""
    names = list(dict.fromkeys(names))
    found = {user.username: user for user in User.objects.filter(username__in=names)}
    owners = []
    for name in names:
        user = found.get(name)
        if user is None:
            report.skipped.append(
                _("%(file)s: owner “%(name)s” has no account here.")
                % {"file": member, "name": name}
            )
        elif not has_space_role(user=user, space=space, role=Role.READER):
            report.skipped.append(
                _("%(file)s: owner “%(name)s” cannot read this space.")
                % {"file": member, "name": name}
            )
        else:
            owners.append(user)
    return owners


@transaction.atomic
def import_space_archive(
    *, space: Space, archive_file: str | Path | IO[bytes], by: AbstractBaseUser
) -> ImportReport:
    """Recreate the pages of a ``tacit-space`` zip in ``space``, which has no live pages.

    Needs the admin role. Titles, hierarchy, text, tags, review dates and attachments
    come back; owners come back where the named accounts exist and can read the space
    (otherwise the importer owns the page, and the report says so). Everything happens in
    one transaction: any error leaves the space as it was. An audit row records the import.
    """
    if not has_space_role(user=by, space=space, role=Role.ADMIN):
        raise WikiPermissionError(_("Only the space's admins can import into it."))
    if Page.objects.filter(space=space, deleted_at__isnull=True).exists():
        raise SpaceArchiveError(
            _("This space already has pages; import into a new or empty space.")
        )
    label = Path(str(getattr(archive_file, "name", archive_file) or "archive.zip")).name
    if hasattr(archive_file, "seek"):
        archive_file.seek(0)
    archive = _SafeZip(archive_file, label)
    report = ImportReport(space=space)
    try:
        entries = _load_manifest(archive)
        listed = {MANIFEST}
        created: dict[str, Page] = {}
        # Parents before children, whatever order the manifest lists them in.
        for entry in sorted(entries, key=lambda item: (item["path"].count("/"), item["path"])):
            member = entry["file"]
            listed.add(member)
            parsed = _parse_page_file(member, archive.read(member))
            parent_path = _parent_path(entry)
            parent = None
            if parent_path is not None:
                parent = created.get(parent_path)
                if parent is None:
                    raise SpaceArchiveError(
                        _("%(file)s: its parent page “%(parent)s” is not in the archive.")
                        % {"file": member, "parent": parent_path}
                    )
            try:
                page = create_page(
                    space=space,
                    author=by,
                    title=parsed.title,
                    body=parsed.body,
                    parent=parent,
                    summary=_("Imported from %(name)s") % {"name": label},
                    tags=parsed.tags,
                    review_by=parsed.review_by,
                )
            except WikiError as error:
                raise SpaceArchiveError(f"{member}: {error}") from error
            created[entry["path"]] = page
            report.pages += 1
            owners = _owners_for(space, parsed.owners, member, report)
            if owners:
                set_page_owners(page=page, by=by, owners=owners)
            for item in entry.get("attachments", []):
                report.attachments += _import_attachment(archive, page, item, by)
                listed.add(item.get("file", ""))
        for name in sorted(set(archive.infos) - listed):
            report.skipped.append(_("%(file)s: not named in the manifest.") % {"file": name})
    finally:
        archive.close()
    record_audit_event(
        actor=by,
        action="space.imported",
        target=space,
        scope=space.audit_scope,
        details={
            "pages": report.pages,
            "attachments": report.attachments,
            "skipped": len(report.skipped),
        },
        personal={"archive": label},
    )
    return report


@transaction.atomic
def create_space_from_archive(
    *,
    by: AbstractBaseUser,
    archive_file: str | Path | IO[bytes],
    name: str,
    key: str,
    description: str = "",
    is_private: bool = True,
) -> ImportReport:
    """Create a space (its creator its admin) and fill it from an export zip: both or neither."""
    space = create_space(by=by, name=name, key=key, description=description, is_private=is_private)
    return import_space_archive(space=space, archive_file=archive_file, by=by)


def _import_attachment(archive: _SafeZip, page: Page, item: Any, by: AbstractBaseUser) -> int:
    if not isinstance(item, dict) or not isinstance(item.get("file"), str):
        raise SpaceArchiveError(_("manifest.json: each attachment needs a “file”."))
    data = archive.read(item["file"])
    name = str(item.get("name") or item["file"].rsplit("/", 1)[-1])
    expected = item.get("sha256")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise SpaceArchiveError(
            _("%(file)s does not match the checksum in the manifest; nothing was imported.")
            % {"file": item["file"]}
        )
    upload = SimpleUploadedFile(name, data, content_type=str(item.get("content_type") or ""))
    try:
        upload_attachment(page=page, by=by, upload=upload)
    except WikiError as error:
        raise SpaceArchiveError(f"{item['file']}: {error}") from error
    return 1


def archive_bytes(space: Space, by: AbstractBaseUser) -> bytes:
    """The export as bytes (for the command line and tests that want the whole zip)."""
    with export_space_archive(space=space, by=by) as handle:
        return handle.read()


__all__ = [
    "ImportReport",
    "SpaceArchiveError",
    "archive_bytes",
    "export_space_archive",
    "import_space_archive",
]
