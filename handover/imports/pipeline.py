"""The import run: claim a source, stream its records through batches, finish with an audit row.

An import reads the importer's records in their deterministic order and writes
them in batches (:mod:`handover.imports.batches`). A failure leaves no
half-written batch and a resumed import skips exactly the committed records.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.importers.archive import ExportSource
from handover.importers.base import ImportFormatError
from handover.imports import services
from handover.imports.batches import (
    BatchWriter,
    ImportCancelledError,
    ImportProgress,
    LostClaimError,
    ProgressCallback,
)
from handover.models import Source

__all__ = ["ImportProgress", "ProgressCallback", "run_import"]

logger = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 50


def _claim(source_id: int, token: str, stale_after: timedelta) -> bool:
    """Take the source for this run: queued, or running with a stale heartbeat. Atomic."""
    now = timezone.now()
    claimable = Q(status=Source.Status.QUEUED, cancel_requested=False) | Q(
        status=Source.Status.RUNNING, heartbeat_at__lt=now - stale_after, cancel_requested=False
    )
    return bool(
        Source.objects.filter(claimable, pk=source_id).update(
            status=Source.Status.RUNNING,
            run_token=token,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
        )
    )


def _finish(source_id: int, token: str, status: str, *, error: str = "") -> Source | None:
    """Mark the end of a run, only if this run still holds the claim; one audit row."""
    with transaction.atomic():
        source = Source.objects.select_for_update().filter(pk=source_id, run_token=token).first()
        if source is None:
            return None
        source.status = status
        source.finished_at = timezone.now()
        source.heartbeat_at = source.finished_at
        source.run_token = ""
        source.error = error
        report = dict(source.report)
        if error:
            report["errors"] = [*report.get("errors", []), error][-MAX_REPORTED_ERRORS:]
        if status == Source.Status.CANCELLED:
            report["cancelled"] = True
        source.report = report
        fields = ["status", "finished_at", "heartbeat_at", "run_token", "error", "report"]
        if status == Source.Status.SUCCEEDED:
            source.messages_total = source.messages_done
            source.bytes_done = source.bytes_total
            fields += ["messages_total", "bytes_done"]
        source.save(update_fields=fields)
        if (
            status == Source.Status.SUCCEEDED
            and source.is_upload
            and settings.IMPORT_UPLOAD_RETENTION_DAYS == 0
        ):
            # Once the import is committed, the upload has served its purpose; robust: a file
            # that cannot go is logged, and beat's sweep tries again (the import succeeded).
            transaction.on_commit(
                lambda: services.delete_succeeded_upload(source_id=source_id, reason="success"),
                robust=True,
            )
        if status == Source.Status.SUCCEEDED:
            from handover.privacy.services import schedule_preparing_after_import

            schedule_preparing_after_import(owner_id=source.owner_id)
        record_audit_event(
            actor=None,
            action="import.cancelled" if status == Source.Status.CANCELLED else "import.finished",
            target=source,
            scope=f"import:{source.pk}",
            details={"status": status, "totals": report.get("totals", {})},
            personal={"error": error} if error else None,
        )
    return source


def run_import(
    *,
    source_id: int,
    on_progress: ProgressCallback | None = None,
    batch_size: int | None = None,
    stale_after: timedelta | None = None,
) -> Source | None:
    """Import a queued source (or resume a stale running one); None when another run has it.

    Streams the importer's records, writes them in batches of ``batch_size``
    messages (``IMPORT_BATCH_SIZE``), each batch one transaction with the
    checkpoint, progress, heartbeat and report. Checks for cancellation
    between batches. An export that turns out unreadable midway marks the
    source failed with the importer's message; the committed batches stay.
    """
    from handover.importers.registry import get_importer

    if stale_after is None:
        stale_after = timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    token = uuid.uuid4().hex
    if not _claim(source_id, token, stale_after):
        logger.info("Import %s is not claimable (finished, cancelled or running).", source_id)
        return None
    source = Source.objects.select_related("owner").get(pk=source_id)
    writer = BatchWriter(
        source=source,
        token=token,
        batch_size=batch_size or settings.IMPORT_BATCH_SIZE,
        on_progress=on_progress,
    )
    try:
        importer = get_importer(source.format)
        if source.messages_total is None and settings.IMPORT_COUNT_FIRST:
            # Its own opening: the archive's read limits count each pass separately.
            with ExportSource(source.path) as export:
                writer.count_messages(importer.iter_records(export))
        with ExportSource(source.path) as export:
            writer.attach(export)
            for position, record in enumerate(importer.iter_records(export), start=1):
                if position <= source.checkpoint:
                    continue
                writer.add(record, position)
            writer.flush()
    except ImportCancelledError:
        return _finish(source_id, token, Source.Status.CANCELLED)
    except LostClaimError:
        logger.warning("Import %s was taken over by another run; this run stops.", source_id)
        return None
    except ImportFormatError as error:
        return _finish(source_id, token, Source.Status.FAILED, error=str(error))
    except OSError as error:
        message = _("The export could not be read any more: %(error)s") % {"error": error}
        return _finish(source_id, token, Source.Status.FAILED, error=message)
    except Exception as error:
        logger.exception("Import %s failed.", source_id)
        message = _("The import stopped on an unexpected error: %(error)s") % {
            "error": f"{type(error).__name__}: {error}"
        }
        return _finish(source_id, token, Source.Status.FAILED, error=message)
    return _finish(source_id, token, Source.Status.SUCCEEDED)
