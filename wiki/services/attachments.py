"""Attachments: upload with size and sniffed-type checks, and deletion."""

from __future__ import annotations

import os
import unicodedata

import filetype
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import record_audit_event
from wiki.errors import AttachmentError, PageDeletedError
from wiki.models import (
    Attachment,
    Page,
    Role,
)
from wiki.selectors.access import require_space_role

# Sniffed types we accept; anything else (executables, archives we cannot vouch for) is refused.
ALLOWED_ATTACHMENT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/zip",
        "application/gzip",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)


INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _clean_filename(name: str) -> str:
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or "attachment"


def _sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes; plain UTF-8 text is text/plain."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return None
    return "text/plain"


@transaction.atomic
def upload_attachment(*, page: Page, by: AbstractBaseUser, upload: UploadedFile) -> Attachment:
    """Store a file on a page after checking its size and sniffing its real type.

    The type the browser claims is ignored except to catch a mismatch: a file that says it
    is an image but is not one is refused, as are empty files, files over
    ``WIKI_ATTACHMENT_MAX_BYTES`` and types not in ``ALLOWED_ATTACHMENT_TYPES``.
    """
    require_space_role(by, page.space, Role.EDITOR)
    if page.is_deleted:
        raise PageDeletedError(_("This page is in the trash; restore it before uploading."))
    limit = settings.WIKI_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise AttachmentError(_("The file is empty."))
    if upload.size > limit:
        raise AttachmentError(
            _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": upload.size, "limit": limit}
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    sniffed = _sniff(head)
    if sniffed is None or sniffed not in ALLOWED_ATTACHMENT_TYPES:
        raise AttachmentError(
            _("This kind of file (%(type)s) is not allowed.")
            % {"type": sniffed or _("unknown binary")}
        )
    claimed = (upload.content_type or "").split(";")[0].strip().lower()
    for family in ("image/", "application/pdf"):
        if claimed.startswith(family) and not sniffed.startswith(family):
            raise AttachmentError(
                _("The file claims to be %(claimed)s but its content is %(sniffed)s.")
                % {"claimed": claimed, "sniffed": sniffed}
            )
    name = _clean_filename(upload.name or "")
    attachment = Attachment(
        page=page, name=name, content_type=sniffed, size=upload.size, uploaded_by=by
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    record_audit_event(
        actor=by,
        action="attachment.uploaded",
        target=attachment,
        scope=page.space.audit_scope,
        details={"page_id": page.pk, "content_type": sniffed, "size": upload.size},
        personal={"name": name},
    )
    return attachment


@transaction.atomic
def delete_attachment(*, attachment: Attachment, by: AbstractBaseUser) -> None:
    """Remove an attachment; the file goes once the deletion is committed."""
    page = attachment.page
    require_space_role(by, page.space, Role.EDITOR)
    record_audit_event(
        actor=by,
        action="attachment.deleted",
        target=attachment,
        scope=page.space.audit_scope,
        details={"page_id": page.pk},
        personal={"name": attachment.name},
    )
    file_name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(file_name))
