"""Erasure: the person who imported an export deletes it and everything it brought, with a receipt.

One transaction deletes the rows (:func:`handover.rights.selectors.plan_import_erasure` says
which), writes the :class:`~handover.models.DeletionReceipt` and the audit row. The stored
upload is deleted once that transaction has committed (a file cannot be rolled back), then
the receipt is completed and e-mailed to the owner. A file that cannot be deleted leaves the
receipt incomplete, with the reason shown to the owner and the path in the operator's log.

Data exports: a person asks for a machine-readable copy of what Tacit holds about them
(:func:`request_data_export`); a worker builds it (:mod:`handover.rights.export`); a sweeper
sends again the exports whose worker died (:func:`requeue_stale_data_exports`), and beat
deletes them ``DATA_EXPORT_RETENTION_DAYS`` after they were built
(:func:`delete_expired_data_exports`).
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.errors import HandoverError
from handover.imports.services import (
    UploadNotStoredError,
    delete_upload_folder,
    stored_upload_folder,
)
from handover.models import (
    Conversation,
    DataExport,
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


# --- Data exports ------------------------------------------------------------------------------


class DataExportInProgressError(HandoverError):
    """The person's previous data export is still waiting for a worker or being built."""


class DataExportNotAllowedError(HandoverError):
    """Only a signed-in person may export their data."""


ACTIVE_EXPORT_STATES = (DataExport.Status.PENDING, DataExport.Status.RUNNING)


def request_data_export(*, user: AbstractBaseUser) -> DataExport:
    """Ask for a machine-readable export of everything Tacit holds about ``user``.

    A worker builds it once this transaction commits. Refused with
    :class:`DataExportInProgressError` while another export of theirs is pending or
    running (the person's row is locked, so two requests at once make one export).
    """
    from handover.rights.export import ROWS
    from handover.rights.tasks import build_data_export_task

    if user is None or not user.is_authenticated:
        raise DataExportNotAllowedError(_("Sign in to export your data."))
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if DataExport.objects.filter(user_id=user.pk, status__in=ACTIVE_EXPORT_STATES).exists():
            raise DataExportInProgressError(
                _(
                    "Your previous data export is still being prepared. Wait until it is "
                    "ready, then download it or ask for a new one."
                )
            )
        export = DataExport.objects.create(user_id=user.pk, kinds_total=len(ROWS))
        record_audit_event(
            actor=user,
            action="export.requested",
            target=export,
            scope=f"user:{user.pk}",
        )
        transaction.on_commit(lambda: build_data_export_task.delay(export.pk))
    return export


def requeue_stale_data_exports(*, stale_after: timedelta | None = None) -> list[int]:
    """Send again the exports whose worker died, and pending ones no worker picked up.

    A running export whose heartbeat is older than ``stale_after``
    (``DATA_EXPORT_STALE_SECONDS``) is put back to pending: the run that held it, if it is
    only slow, loses its compare-and-set and stops, and the next run builds it from the
    start. A pending export is sent again once per ``stale_after`` (its heartbeat notes
    when). Safe to run concurrently with itself and with live runs.
    """
    from handover.rights.tasks import build_data_export_task

    if stale_after is None:
        stale_after = timedelta(seconds=settings.DATA_EXPORT_STALE_SECONDS)
    now = timezone.now()
    cutoff = now - stale_after
    beat_stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    stale = Q(status__in=ACTIVE_EXPORT_STATES) & beat_stale
    with transaction.atomic():
        exports = list(DataExport.objects.select_for_update(skip_locked=True).filter(stale))
        for export in exports:
            export.status = DataExport.Status.PENDING
            export.heartbeat_at = now
            export.save(update_fields=["status", "heartbeat_at"])
        ids = [export.pk for export in exports]
        for export_id in ids:
            transaction.on_commit(
                lambda export_id=export_id: build_data_export_task.delay(export_id)
            )
    if ids:
        logger.info("Re-sent stalled data exports: %s", ids)
    return ids


def delete_expired_data_exports(*, now: datetime | None = None) -> list[int]:
    """Delete the exports built (or failed) more than ``DATA_EXPORT_RETENTION_DAYS`` ago.

    Each goes with its folder under ``MEDIA_ROOT/exports/`` and an audit row; a folder
    whose export row is gone (a deletion interrupted before) is removed too. Returns the
    ids of the exports deleted.
    """
    from handover.rights.export import export_folder, exports_root

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DATA_EXPORT_RETENTION_DAYS)
    deleted: list[int] = []
    expired = DataExport.objects.filter(
        status__in=[DataExport.Status.READY, DataExport.Status.FAILED], finished_at__lte=cutoff
    ).values_list("pk", flat=True)
    for export_id in list(expired):
        with transaction.atomic():
            export = DataExport.objects.select_for_update().filter(pk=export_id).first()
            if export is None:
                continue
            export.delete()
            export.pk = export_id  # the audit row names the export that was deleted
            record_audit_event(
                actor=None,
                action="export.deleted",
                target=export,
                scope=f"user:{export.user_id}",
                details={
                    "reason": "retention",
                    "retention_days": settings.DATA_EXPORT_RETENTION_DAYS,
                },
            )
        _delete_export_folder(export_folder(export_id))
        deleted.append(export_id)
    root = exports_root()
    if root.is_dir():
        names = [p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit()]
        kept = set(
            DataExport.objects.filter(pk__in=[int(n) for n in names]).values_list("pk", flat=True)
        )
        for name in names:
            if int(name) not in kept:
                _delete_export_folder(root / name)
    if deleted:
        logger.info("Deleted data exports %s (retention passed).", deleted)
    return deleted


def _delete_export_folder(folder: Path) -> None:
    """Delete an export's folder; a failure is logged, and the next sweep tries again."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
    except OSError:
        logger.exception("The data export folder %s could not be deleted.", folder)
