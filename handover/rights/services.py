"""Erasure: the person who imported an export deletes it and everything it brought, with a receipt.

One transaction deletes the rows (:func:`handover.rights.selectors.plan_import_erasure` says
which), writes the :class:`~handover.models.DeletionReceipt` and the audit row. The stored
upload is deleted once that transaction has committed (a file cannot be rolled back), then
the receipt is completed and e-mailed to the owner. A file that cannot be deleted leaves the
receipt incomplete, with the reason shown to the owner and the path in the operator's log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.imports.services import (
    UploadNotStoredError,
    delete_upload_folder,
    stored_upload_folder,
)
from handover.models import (
    Conversation,
    DeletionReceipt,
    Message,
    Person,
    PersonIdentity,
    Source,
    Thread,
)
from handover.rights.selectors import plan_import_erasure

logger = logging.getLogger(__name__)


class ErasureNotAllowedError(Exception):
    """Only the person who imported an export may delete it: not staff, not anyone else."""


class ImportRunningError(Exception):
    """The import, or another of its owner's, is queued or running; the message says what to do."""


# The file step's outcomes, kept in the receipt item as codes and worded by the receipt page.
FILE_SERVER_EXPORT = "server_export"  # read in place on the server; not Tacit's copy to delete
FILE_ALREADY_DELETED = "already_deleted"  # deleted earlier, after the import succeeded
FILE_MISSING = "missing"  # not found when it was to be deleted
FILE_DELETE_FAILED = "delete_failed"  # could not be deleted; the operator's log says why


def _now_iso() -> str:
    return timezone.now().isoformat()


def erase_import(*, source: Source, by: AbstractBaseUser | AnonymousUser | None) -> DeletionReceipt:
    """Delete an import, what it alone brought and its stored upload; return the receipt.

    Only the owner may (:class:`ErasureNotAllowedError` for anyone else, staff included).
    Refused with :class:`ImportRunningError` while this import or another of the owner's is
    queued or running: a running import holds ids of conversations and people that this
    would delete, so the owner cancels it (or waits) first. Messages that other imports of
    the owner wrote stay, with their threads, conversations and people.
    """
    if by is None or not by.is_authenticated or by.pk != source.owner_id:
        raise ErasureNotAllowedError(_("Only the person who imported an export may delete it."))
    with transaction.atomic():
        # Every source of the owner, locked in one order: no import of theirs starts meanwhile.
        owned = list(
            Source.objects.select_for_update().filter(owner_id=source.owner_id).order_by("pk")
        )
        locked = next((s for s in owned if s.pk == source.pk), None)
        if locked is None:
            raise Source.DoesNotExist("The import was deleted meanwhile.")
        if locked.is_active:
            raise ImportRunningError(
                _("This import is still queued or running. Cancel it first, then delete it.")
            )
        busy = next((s for s in owned if s.is_active), None)
        if busy is not None:
            raise ImportRunningError(
                _(
                    "Your import “%(name)s” is queued or running. Wait until it finishes, or "
                    "cancel it, then delete this one."
                )
                % {"name": busy.original_name}
            )
        plan = plan_import_erasure(source=locked)
        counts: dict[str, int] = {}
        items: list[dict[str, object]] = []
        for what, queryset, model in (
            ("messages", plan.messages, Message),
            ("threads", plan.threads, Thread),
            ("conversations", plan.conversations, Conversation),
            ("identities", plan.identities, PersonIdentity),
            ("people", plan.people, Person),
        ):
            _total, by_model = queryset.delete()
            counts[what] = by_model.get(model._meta.label, 0)
            items.append({"what": what, "count": counts[what], "at": _now_iso()})

        folder: Path | None = None
        file_item: dict[str, object] = {"what": "files", "count": 0, "at": _now_iso()}
        if not locked.is_upload:
            file_item["note"] = FILE_SERVER_EXPORT
        elif locked.upload_deleted:
            file_item.update(
                count=1, at=locked.upload_deleted_at.isoformat(), note=FILE_ALREADY_DELETED
            )
        else:
            try:
                folder = stored_upload_folder(locked)
            except UploadNotStoredError:
                logger.exception("Import %s: its upload is not deleted.", locked.pk)
                file_item["error"] = FILE_DELETE_FAILED
        items.append(file_item)

        source_pk = locked.pk
        locked.delete()
        counts["imports"] = 1
        items.append({"what": "imports", "count": 1, "at": _now_iso()})
        receipt = DeletionReceipt.objects.create(
            user_id=locked.owner_id,
            kind=DeletionReceipt.Kind.IMPORT_ERASURE,
            summary=locked.original_name[:255],
            items=items,
            completed_at=None if folder is not None or "error" in file_item else timezone.now(),
        )
        locked.pk = source_pk  # the audit row names the import that was deleted
        record_audit_event(
            actor=by,
            action="import.erased",
            target=locked,
            scope=f"import:{source_pk}",
            details={"receipt": receipt.pk, "counts": counts},
        )
        owner = locked.owner
        transaction.on_commit(
            lambda: _complete_receipt(receipt=receipt, folder=folder, owner=owner), robust=True
        )
    return receipt


def _complete_receipt(
    *, receipt: DeletionReceipt, folder: Path | None, owner: AbstractBaseUser
) -> None:
    """After the commit: delete the stored upload, complete the receipt, e-mail it."""
    if folder is not None:
        item = next(i for i in receipt.items if i["what"] == "files")
        try:
            deleted = delete_upload_folder(folder)
        except OSError:
            logger.exception(
                "Receipt %s: the stored upload %s could not be deleted.", receipt.pk, folder
            )
            item["error"] = FILE_DELETE_FAILED
        else:
            item["count"] = int(deleted)
            if not deleted:
                item["note"] = FILE_MISSING
            receipt.completed_at = timezone.now()
        item["at"] = _now_iso()
        receipt.save(update_fields=["items", "completed_at"])
    send_receipt(receipt=receipt, owner=owner)


def send_receipt(*, receipt: DeletionReceipt, owner: AbstractBaseUser) -> bool:
    """E-mail a receipt to its owner's account address; False when they have none or it failed.

    Sent through Django's e-mail backend (``EMAIL_BACKEND``), in the language active now. A
    failure to send is logged; the receipt stays on the owner's pages either way.
    """
    address = (getattr(owner, "email", "") or "").strip()
    if not address:
        return False
    context = {"receipt": receipt, "owner": owner}
    try:
        send_mail(
            subject=_("Tacit: your deletion receipt"),
            message=render_to_string("handover/email/deletion_receipt.txt", context),
            from_email=None,
            recipient_list=[address],
        )
    except Exception:
        logger.exception("Receipt %s could not be e-mailed.", receipt.pk)
        return False
    return True
