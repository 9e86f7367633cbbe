"""Writes for imports: store and detect an export, queue it, cancel it, re-send stale ones.

The run itself is :mod:`handover.imports.pipeline`; every state change of a
source other than the run's own happens here, with its audit row. So does the
deletion of a stored upload once its import succeeded (``IMPORT_UPLOAD_RETENTION_DAYS``);
a failed or cancelled import keeps its file, to be retried, until the import is deleted
(:func:`handover.rights.services.erase_import`).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.importers.archive import ExportSource
from handover.importers.base import ImportFormatError
from handover.models import Source

logger = logging.getLogger(__name__)


class ImportRejectedError(Exception):
    """An export was refused before anything was stored; the message says why, for a person."""


class InvalidTransitionError(Exception):
    """The source is not in a state that allows the requested action."""


class UploadNotStoredError(Exception):
    """An upload's recorded path is not under MEDIA_ROOT/imports/; it is left where it is."""


# --- Sources -----------------------------------------------------------------------------------


def _imports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def stored_upload_folder(source: Source) -> Path | None:
    """The folder under MEDIA_ROOT/imports/ that holds ``source``'s upload; None when not an upload.

    Uploads are stored as ``imports/<random folder>/<file>``; the whole folder is the
    upload. A server-side export (the command line's path) is never Tacit's to delete, and
    an upload whose path is not inside the imports folder (MEDIA_ROOT moved, a hand-edited
    row) raises :class:`UploadNotStoredError` rather than deleting something else.
    """
    if not source.is_upload:
        return None
    root = _imports_root().resolve()
    path = Path(source.path).resolve()
    if not path.is_relative_to(root) or len(path.relative_to(root).parts) < 2:
        raise UploadNotStoredError(
            f"import {source.pk}: {source.path} is not inside the upload folder {root}"
        )
    return root / path.relative_to(root).parts[0]


def delete_upload_folder(folder: Path) -> bool:
    """Delete a stored upload's folder; False when it was already gone. Other errors propagate."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        return False
    return True


def _detect(path: Path, requested_format: str | None) -> str:
    """The format name of the export at ``path``; raise ImportRejectedError with why not."""
    from handover.importers.registry import detect_format, get_importer

    try:
        with ExportSource(path) as export:
            if requested_format:
                importer = get_importer(requested_format)
                if not importer.detect(export):
                    raise ImportRejectedError(
                        _("%(name)s does not look like a %(label)s export.")
                        % {"name": export.name, "label": importer.label}
                    )
            else:
                importer = detect_format(export)
            return importer.format
    except ImportFormatError as error:
        raise ImportRejectedError(str(error)) from error
    except OSError as error:
        raise ImportRejectedError(
            _("%(name)s cannot be read: %(error)s") % {"name": path.name, "error": error}
        ) from error


def _safe_file_name(name: str) -> str:
    """A name to store an upload under; the user's name is kept only for display."""
    try:
        return get_valid_filename(name)[:200] or "export"
    except SuspiciousFileOperation:
        return "export"


def create_source(
    *,
    owner: AbstractBaseUser,
    uploaded_file: UploadedFile | None = None,
    path: str | Path | None = None,
    format: str | None = None,  # noqa: A002 - the user-facing word
) -> Source:
    """Store an export (an upload, or a server-side path for the CLI) and detect its format.

    An upload larger than ``IMPORT_MAX_UPLOAD_BYTES`` or that no importer can
    read is refused with :class:`ImportRejectedError` and nothing is kept. A
    server-side path is read in place, not copied. ``format`` overrides the
    detection; the export must still look like that format.
    """
    if (uploaded_file is None) == (path is None):
        raise ValueError("create_source needs exactly one of uploaded_file and path")
    format = (format or "").strip() or None
    if uploaded_file is not None:
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if uploaded_file.size is None or uploaded_file.size > limit:
            raise ImportRejectedError(
                _("The file is larger than the limit of %(limit)s bytes; nothing was stored.")
                % {"limit": f"{limit:,}"}
            )
        if not uploaded_file.size:
            raise ImportRejectedError(_("The file is empty; nothing was stored."))
        original_name = Path(uploaded_file.name or "export").name[:255]
        folder = _imports_root() / uuid.uuid4().hex
        folder.mkdir(parents=True)
        stored = folder / _safe_file_name(original_name)
        try:
            with stored.open("wb") as handle:
                for chunk in uploaded_file.chunks():
                    handle.write(chunk)
            detected = _detect(stored, format)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        size = stored.stat().st_size
        is_upload = True
    else:
        stored = Path(path).expanduser().resolve()  # type: ignore[arg-type]
        if not stored.exists():
            raise ImportRejectedError(_("%(path)s does not exist.") % {"path": stored})
        detected = _detect(stored, format)
        original_name = stored.name[:255]
        size = (
            sum(p.stat().st_size for p in stored.rglob("*") if p.is_file())
            if stored.is_dir()
            else stored.stat().st_size
        )
        is_upload = False
    try:
        with transaction.atomic():
            source = Source.objects.create(
                owner=owner,
                format=detected,
                original_name=original_name,
                path=str(stored),
                is_upload=is_upload,
                size_bytes=size,
            )
            record_audit_event(
                actor=owner,
                action="import.uploaded",
                target=source,
                scope=f"import:{source.pk}",
                details={"format": detected, "size": size},
                personal={"name": original_name},
            )
    except BaseException:
        if is_upload:
            shutil.rmtree(stored.parent, ignore_errors=True)
        raise
    return source


def start_import(*, source: Source, by: AbstractBaseUser | None, schedule: bool = True) -> Source:
    """Queue the import of ``source``; with ``schedule`` the worker gets it once committed.

    A finished source can be imported again (it starts over from the first
    record; matching makes that add nothing twice). ``schedule=False`` is for
    the command line, which then calls :func:`run_import` in its own process.
    """
    from handover.imports.tasks import import_source_task

    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if locked.is_active:
            raise InvalidTransitionError(_("This import is already queued or running."))
        if locked.upload_deleted:
            raise InvalidTransitionError(
                _(
                    "The uploaded file was deleted after this import succeeded, so it cannot "
                    "be imported again. Upload the export again instead."
                )
            )
        restart = locked.status != Source.Status.UPLOADED
        locked.status = Source.Status.QUEUED
        locked.queued_at = timezone.now()
        locked.cancel_requested = False
        locked.run_token = ""
        locked.error = ""
        locked.finished_at = None
        if restart:
            locked.checkpoint = 0
            locked.records_done = 0
            locked.messages_done = 0
            locked.report = {}
        locked.save(
            update_fields=[
                "status",
                "queued_at",
                "cancel_requested",
                "run_token",
                "error",
                "finished_at",
                "checkpoint",
                "records_done",
                "messages_done",
                "report",
            ]
        )
        record_audit_event(
            actor=by,
            action="import.started",
            target=locked,
            scope=f"import:{locked.pk}",
            details={"format": locked.format, "restart": restart},
        )
        if schedule:
            transaction.on_commit(lambda: import_source_task.delay(locked.pk))
    return locked


def submit_export(
    *,
    owner: AbstractBaseUser,
    uploaded_file: UploadedFile | None = None,
    path: str | Path | None = None,
    format: str | None = None,  # noqa: A002 - the user-facing word
    schedule: bool = True,
) -> Source:
    """Store an export and queue its import: :func:`create_source` then :func:`start_import`.

    One transaction: should queueing fail, neither the source row nor an uploaded
    file is kept. ``schedule=False`` is for the command line (see :func:`start_import`).
    """
    with transaction.atomic():
        source = create_source(owner=owner, uploaded_file=uploaded_file, path=path, format=format)
        try:
            return start_import(source=source, by=owner, schedule=schedule)
        except BaseException:
            if source.is_upload:
                shutil.rmtree(Path(source.path).parent, ignore_errors=True)
            raise


def cancel_import(*, source: Source, by: AbstractBaseUser | None) -> Source:
    """Ask a queued or running import to stop.

    A queued import is cancelled at once; a running one stops before its next
    batch (the batches already committed stay, and a later import can resume
    the work without duplicates).
    """
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if not locked.is_active:
            raise InvalidTransitionError(_("Only a queued or running import can be cancelled."))
        locked.cancel_requested = True
        fields = ["cancel_requested"]
        if locked.status == Source.Status.QUEUED:
            locked.status = Source.Status.CANCELLED
            locked.finished_at = timezone.now()
            locked.report = {**locked.report, "cancelled": True}
            fields += ["status", "finished_at", "report"]
        locked.save(update_fields=fields)
        record_audit_event(
            actor=by,
            action="import.cancelled",
            target=locked,
            scope=f"import:{locked.pk}",
            details={"while": source.status},
        )
    return locked


def requeue_stale_imports(*, stale_after: timedelta | None = None) -> list[int]:
    """Send again the imports whose worker died, and queued ones no worker picked up.

    The brokers Tacit embeds deliver at most once, so a worker killed mid-import
    loses its task; the state in the source row (checkpoint, heartbeat) is what
    lets the import resume. A running import whose heartbeat is older than
    ``stale_after`` (``IMPORT_STALE_SECONDS``) is put back to queued and sent
    again; a stale one whose owner asked to cancel is cancelled. Safe to run
    concurrently with itself and with live imports: every change is a
    compare-and-set on the status and heartbeat, and a run only ever writes a
    batch while it holds the source's claim.
    """
    from handover.imports.tasks import import_source_task

    if stale_after is None:
        stale_after = timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    now = timezone.now()
    cutoff = now - stale_after
    stale_running = Q(status=Source.Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )
    requeued: list[int] = []
    with transaction.atomic():
        for source in Source.objects.select_for_update(skip_locked=True).filter(
            stale_running & Q(cancel_requested=True)
        ):
            source.status = Source.Status.CANCELLED
            source.finished_at = now
            source.run_token = ""
            source.report = {**source.report, "cancelled": True}
            source.save(update_fields=["status", "finished_at", "run_token", "report"])
            record_audit_event(
                actor=None,
                action="import.finished",
                target=source,
                scope=f"import:{source.pk}",
                details={"status": source.status},
            )
        candidates = Source.objects.select_for_update(skip_locked=True).filter(
            stale_running
            | (
                Q(status=Source.Status.QUEUED)
                & (Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True))
            )
        )
        for source in candidates:
            source.status = Source.Status.QUEUED
            source.run_token = ""
            source.queued_at = now
            source.save(update_fields=["status", "run_token", "queued_at"])
            requeued.append(source.pk)
        for source_id in requeued:
            transaction.on_commit(lambda source_id=source_id: import_source_task.delay(source_id))
    if requeued:
        logger.info("Re-sent stale imports: %s", requeued)
    return requeued


# --- Stored uploads after success ---------------------------------------------------------------


def delete_succeeded_upload(*, source_id: int, reason: str) -> bool:
    """Delete the stored upload of a succeeded import and note when; True when it was deleted.

    Does nothing (False) for a server-side export, an import that is not (or no longer)
    succeeded, or one whose file is already recorded as deleted. A file that cannot be
    deleted is logged as an error and left for the next sweep
    (:func:`delete_expired_uploads`); a file already missing counts as deleted.
    ``reason`` ("success" or "retention") goes into the audit row.
    """
    with transaction.atomic():
        source = (
            Source.objects.select_for_update()
            .filter(
                pk=source_id,
                is_upload=True,
                status=Source.Status.SUCCEEDED,
                upload_deleted_at__isnull=True,
            )
            .first()
        )
        if source is None:
            return False
        try:
            folder = stored_upload_folder(source)
            if folder is not None:
                delete_upload_folder(folder)
        except (UploadNotStoredError, OSError):
            logger.exception("The stored upload of import %s could not be deleted.", source_id)
            return False
        source.upload_deleted_at = timezone.now()
        source.save(update_fields=["upload_deleted_at"])
        record_audit_event(
            actor=None,
            action="import.upload_deleted",
            target=source,
            scope=f"import:{source.pk}",
            details={
                "reason": reason,
                "retention_days": settings.IMPORT_UPLOAD_RETENTION_DAYS,
            },
        )
    return True


def delete_expired_uploads(*, now: datetime | None = None) -> list[int]:
    """Delete the uploads of imports that succeeded more than the retention period ago.

    The period is ``IMPORT_UPLOAD_RETENTION_DAYS`` (0: every succeeded import, which also
    catches a deletion a worker could not do at the end of its import). Failed and
    cancelled imports keep their file. Returns the ids of the imports whose file went.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IMPORT_UPLOAD_RETENTION_DAYS)
    candidates = Source.objects.filter(
        is_upload=True,
        status=Source.Status.SUCCEEDED,
        upload_deleted_at__isnull=True,
        finished_at__lte=cutoff,
    ).values_list("pk", flat=True)
    deleted = [
        source_id
        for source_id in list(candidates)
        if delete_succeeded_upload(source_id=source_id, reason="retention")
    ]
    if deleted:
        logger.info("Deleted the stored uploads of imports %s (retention passed).", deleted)
    return deleted
