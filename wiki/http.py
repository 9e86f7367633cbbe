"""HTTP responses shared by the wiki's HTML views and its API."""

from django.http import FileResponse

from wiki.models import Attachment
from wiki.services import INLINE_IMAGE_TYPES


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
