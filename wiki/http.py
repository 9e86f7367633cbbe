"""HTTP pieces shared by the wiki's HTML views and its API: file responses and ETags."""

import re
from typing import IO

from django.http import FileResponse

from wiki.models import Attachment, Page, Space
from wiki.services.attachments import INLINE_IMAGE_TYPES


def attachment_file_response(attachment: Attachment) -> FileResponse:
    """Serve an attachment: images inline, everything else as a download, never sniffed."""
    inline = attachment.content_type in INLINE_IMAGE_TYPES
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even an image opened directly must not run anything.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


# A page's ETag names its current revision: "<page id>-<revision number>".
_ETAG_RE = re.compile(r'^"(\d+)-(\d+)"$')


def revision_etag(page_id: int, number: int) -> str:
    """The strong ETag of revision ``number`` of page ``page_id``."""
    return f'"{page_id}-{number}"'


def page_etag(page: Page) -> str:
    """The strong ETag of a page's current text: its id and current revision number."""
    return revision_etag(page.pk, page.current_revision.number if page.current_revision_id else 0)


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def etag_matches_current(header: str, page: Page, *, allow_star: bool) -> bool:
    """Whether an If-Match (``allow_star``) or If-None-Match header names the current text."""
    tags = _tags(header)
    return (allow_star and "*" in tags) or page_etag(page) in tags


def etag_base_number(header: str, page: Page) -> int | None:
    """The revision number an If-Match header names for this page, or None if it names none."""
    for tag in _tags(header):
        match = _ETAG_RE.match(tag)
        if match and int(match.group(1)) == page.pk:
            return int(match.group(2))
    return None


def space_archive_response(space: Space, archive: IO[bytes]) -> FileResponse:
    """Serve a space export as ``<key>.zip``, never sniffed (HTML view and API alike)."""
    response = FileResponse(
        archive, as_attachment=True, filename=f"{space.key}.zip", content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
