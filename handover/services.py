"""Writes for imported exports: sources, the import pipeline, people merges.

An import reads the importer's records in their deterministic order and writes
them in batches. Each batch is one transaction that also stores the
checkpoint (how many records are committed), the progress, the heartbeat and
the report, so a failure leaves no half-written batch and a resumed import
skips exactly the committed records. Messages are matched by
(conversation, external id) and a content hash: the same export twice adds
nothing; a later export adds only new messages and updates edited ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.importers.archive import ExportSource
from handover.importers.base import (
    ConversationRecord,
    ImportFormatError,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.models import Conversation, Message, Person, PersonIdentity, Source
from handover.search_text import cjk_terms

logger = logging.getLogger(__name__)

# The report keeps every skipped item up to this many; past it only the count grows,
# so a pathological export cannot make the report row itself enormous.
MAX_REPORTED_SKIPPED = 5000
MAX_REPORTED_ERRORS = 50


class ImportRejectedError(Exception):
    """An export was refused before anything was stored; the message says why, for a person."""


class InvalidTransitionError(Exception):
    """The source is not in a state that allows the requested action."""


class ImportCancelledError(Exception):
    """The owner asked to stop; raised between batches."""


class LostClaimError(Exception):
    """Another run took this source over (the sweeper thought this one was dead)."""


# --- Sources -----------------------------------------------------------------------------------


def _imports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


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
                details={"format": detected, "name": original_name, "size": size},
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
    from handover.tasks import import_source_task

    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if locked.is_active:
            raise InvalidTransitionError(_("This import is already queued or running."))
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
    from handover.tasks import import_source_task

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


# --- People ------------------------------------------------------------------------------------


def merge_people(*, keep: Person, absorb: Person, by: AbstractBaseUser | None) -> Person:
    """Make ``absorb`` part of ``keep``: its identities, handles and messages move over.

    Both must belong to the same owner. ``absorb`` stays as a row pointing at
    ``keep`` (``merged_into``) so the merge is visible and its audit row has a target.
    """
    if keep.pk == absorb.pk:
        raise InvalidTransitionError(_("A person cannot be merged into themselves."))
    if keep.owner_id != absorb.owner_id:
        raise InvalidTransitionError(_("Only people of the same archive can be merged."))
    with transaction.atomic():
        keep, absorb = (
            Person.objects.select_for_update().get(pk=keep.pk),
            Person.objects.select_for_update().get(pk=absorb.pk),
        )
        if absorb.merged_into_id is not None or keep.merged_into_id is not None:
            raise InvalidTransitionError(_("This person was already merged."))
        moved = Message.objects.filter(author=absorb).update(author=keep)
        PersonIdentity.objects.filter(person=absorb).update(person=keep)
        Person.objects.filter(merged_into=absorb).update(merged_into=keep)
        keep.handles = sorted(set(keep.handles) | set(absorb.handles))
        keep.email = keep.email or absorb.email
        keep.user_id = keep.user_id or absorb.user_id
        keep.display_name = keep.display_name or absorb.display_name
        keep.save(update_fields=["handles", "email", "user", "display_name"])
        absorb.merged_into = keep
        absorb.save(update_fields=["merged_into"])
        record_audit_event(
            actor=by,
            action="person.merged",
            target=keep,
            scope=f"people:{keep.owner_id}",
            details={"absorbed": absorb.pk, "messages_moved": moved},
        )
    return keep


# --- The import run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProgress:
    """What a progress display needs after each committed batch."""

    messages_done: int
    messages_total: int | None
    records_done: int
    bytes_done: int = 0
    bytes_total: int = 0


ProgressCallback = Callable[[ImportProgress], None]


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
        record_audit_event(
            actor=None,
            action="import.cancelled" if status == Source.Status.CANCELLED else "import.finished",
            target=source,
            scope=f"import:{source.pk}",
            details={"status": status, "totals": report.get("totals", {}), "error": error},
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
    writer = _BatchWriter(
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


def _clean(text: str) -> str:
    """Text PostgreSQL accepts: no NUL characters, no lone surrogates."""
    if not text:
        return ""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


_MESSAGE_COLUMNS = (
    "conversation_id",
    "thread_id",
    "external_id",
    "author_id",
    "sent_at",
    "text",
    "raw",
    "subject",
    "reply_to_key",
    "edited_at",
    "kind",
    "attachments",
    "reactions",
    "cjk_terms",
    "content_hash",
    "source_id",
)
_STAGE_TABLE = "handover_message_stage"


def _store_message_rows(rows: list[tuple], *, all_new: bool) -> None:
    """COPY a batch of new messages straight into the table, or upsert it through a stage.

    When the lookup found none of the batch's messages, a direct COPY is the
    fastest write. Should a concurrent import of an overlapping export have
    stored one of them since, the savepoint rolls the COPY back and the
    upsert path takes over.
    """
    if all_new:
        columns = ", ".join(_MESSAGE_COLUMNS)
        try:
            statement = f"COPY handover_message ({columns}, revision) FROM STDIN"
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.copy(statement) as copy,
            ):
                for row in rows:
                    copy.write_row((*row, 1))
            return
        except IntegrityError:
            logger.info("A concurrent import stored some of this batch; upserting instead.")
    _upsert_message_rows(rows)


def _upsert_message_rows(rows: list[tuple]) -> None:
    """Insert new messages and update changed ones: COPY into a staging table, then one upsert.

    COPY is several times faster than a multi-row INSERT for thousands of rows.
    The upsert only touches a row whose content hash differs, so a concurrent
    import of an overlapping export cannot make a message count twice.
    """
    columns = ", ".join(_MESSAGE_COLUMNS)
    updates = ", ".join(
        f"{column} = EXCLUDED.{column}"
        for column in _MESSAGE_COLUMNS
        if column not in ("conversation_id", "external_id")
    )
    with connection.cursor() as cursor:
        # A temporary table lives per connection; its rows go at commit.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE_TABLE} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {columns} FROM handover_message WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {_STAGE_TABLE}")
        with cursor.copy(f"COPY {_STAGE_TABLE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO handover_message ({columns}, revision) "  # noqa: S608 - constants only
            f"SELECT {columns}, 1 FROM {_STAGE_TABLE} "
            "ON CONFLICT (conversation_id, external_id) DO UPDATE SET "
            f"{updates}, revision = handover_message.revision + 1 "
            "WHERE handover_message.content_hash <> EXCLUDED.content_hash"
        )


def _key(value: str) -> str:
    """An export's id as stored (at most 255 characters); longer ids keep a hash of the rest.

    Truncating alone could make two long Message-IDs that share a prefix one message.
    """
    if len(value) <= 255:
        return value
    digest = hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=16).hexdigest()
    return f"{value[:222]}~{digest}"


def _with_stored_keys(record: MessageRecord) -> MessageRecord:
    """The record with every id in its stored form, so caches and rows agree."""
    keys = {
        "key": _key(record.key),
        "conversation_key": _key(record.conversation_key),
        "thread_key": _key(record.thread_key),
        "author_key": _key(record.author_key) if record.author_key else record.author_key,
        "reply_to_key": _key(record.reply_to_key) if record.reply_to_key else None,
    }
    if all(getattr(record, name) == value for name, value in keys.items()):
        return record
    return dataclasses.replace(record, **keys)


def _json_text(value: list | dict) -> str:
    """Canonical JSON text, computed once per message for both the hash and the COPY."""
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _content_hash(record: MessageRecord, attachments_json: str, reactions_json: str) -> str:
    """What makes a message 'changed' for a later import: what a reader sees, not the raw form."""
    parts = (
        record.thread_key,
        record.author_key or "",
        record.sent_at.isoformat(),
        record.edited_at.isoformat() if record.edited_at else "",
        record.kind,
        record.subject,
        record.reply_to_key or "",
        record.text,
        attachments_json,
        reactions_json,
    )
    return hashlib.blake2b(
        "\x1f".join(parts).encode("utf-8", "replace"), digest_size=16
    ).hexdigest()


class _BatchWriter:
    """Buffers one batch of records and writes it in one transaction.

    Keeps small per-run caches (identities, conversations, threads) so each
    batch needs a handful of queries whatever its size. The thread cache is
    cleared when it grows large, so memory stays flat on any export size.
    """

    THREAD_CACHE_LIMIT = 50_000
    FLUSH_EVERY_SECONDS = 5.0

    def __init__(
        self,
        *,
        source: Source,
        token: str,
        batch_size: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.source = source
        self.owner_id = source.owner_id
        self.platform = source.format
        self.token = token
        self.batch_size = batch_size
        self.on_progress = on_progress
        self.position = source.checkpoint
        self.messages_done = source.messages_done
        self.messages_total = source.messages_total
        self.report: dict[str, Any] = {
            "conversations": {},
            "skipped": [],
            "skipped_count": 0,
            "duplicates": 0,
            "errors": [],
            "totals": {"new": 0, "updated": 0, "unchanged": 0},
            **source.report,
        }
        self.people: list[PersonRecord] = []
        self.conversations: list[ConversationRecord] = []
        self.messages: list[MessageRecord] = []
        self.skipped: list[SkippedItem] = []
        self.last_flush = time.monotonic()
        self.person_ids: dict[str, int] = dict(
            PersonIdentity.objects.filter(owner_id=self.owner_id, platform=self.platform)
            .values_list("external_key", "person_id")
            .iterator()
        )
        self.conversation_ids: dict[str, int] = {}
        self.conversation_state: dict[str, tuple[str, str, str]] = {}
        for conv in Conversation.objects.filter(owner_id=self.owner_id, platform=self.platform):
            self.conversation_ids[conv.external_key] = conv.pk
            self.conversation_state[conv.external_key] = (conv.name, conv.kind, conv.topic)
        self.thread_ids: dict[tuple[int, str], int] = {}
        self.export: ExportSource | None = None
        self.bytes_total = source.bytes_total
        self.bytes_done = 0

    # --- reading -------------------------------------------------------------------------------

    def attach(self, export: ExportSource) -> None:
        """Read progress in bytes from ``export`` and store its total size."""
        self.export = export
        self.bytes_total = export.total_size()
        Source.objects.filter(pk=self.source.pk, run_token=self.token).update(
            bytes_total=self.bytes_total
        )

    def count_messages(self, records: Iterable[Record]) -> None:
        """A first pass that only counts messages, for the progress bar's total."""
        count = 0
        for record in records:
            if isinstance(record, MessageRecord):
                count += 1
                if (
                    count % 2000 == 0
                    and time.monotonic() - self.last_flush > self.FLUSH_EVERY_SECONDS
                ):
                    self._touch()
        self.messages_total = count
        with transaction.atomic():
            self._lock()
            Source.objects.filter(pk=self.source.pk).update(
                messages_total=count, heartbeat_at=timezone.now()
            )
        self.last_flush = time.monotonic()
        self._progress()

    def add(self, record: Record, position: int) -> None:
        """Buffer one record; write the batch when it is full or has waited long enough."""
        if isinstance(record, MessageRecord):
            if max(map(len, (record.key, record.thread_key, record.conversation_key))) > 255 or (
                len(record.reply_to_key or "") > 255 or len(record.author_key or "") > 255
            ):
                record = _with_stored_keys(record)
            self.messages.append(record)
        elif isinstance(record, PersonRecord):
            if len(record.key) > 255:
                record = dataclasses.replace(record, key=_key(record.key))
            self.people.append(record)
        elif isinstance(record, ConversationRecord):
            if len(record.key) > 255:
                record = dataclasses.replace(record, key=_key(record.key))
            self.conversations.append(record)
        elif isinstance(record, SkippedItem):
            self.skipped.append(record)
        self.position = position
        if (
            len(self.messages) >= self.batch_size
            or len(self.people) + len(self.conversations) >= self.batch_size
            or (
                position % 256 == 0
                and time.monotonic() - self.last_flush > self.FLUSH_EVERY_SECONDS
            )
        ):
            self.flush()

    # --- writing -------------------------------------------------------------------------------

    def _heartbeat_due(self) -> bool:
        return time.monotonic() - self.last_flush > self.FLUSH_EVERY_SECONDS

    def _lock(self) -> dict[str, Any]:
        row = (
            Source.objects.select_for_update()
            .filter(pk=self.source.pk, run_token=self.token)
            .values("cancel_requested")
            .first()
        )
        if row is None:
            raise LostClaimError
        if row["cancel_requested"]:
            raise ImportCancelledError
        return row

    def _touch(self) -> None:
        """Heartbeat (and cancellation check) while no batch is being written."""
        with transaction.atomic():
            self._lock()
            Source.objects.filter(pk=self.source.pk).update(heartbeat_at=timezone.now())
        self.last_flush = time.monotonic()

    def flush(self) -> None:
        """Write the buffered records and the checkpoint in one transaction."""
        report_before = json.dumps(self.report)
        try:
            with transaction.atomic():
                self._lock()
                with connection.cursor() as cursor:
                    # Do not wait for the WAL flush at commit: should the database crash,
                    # a lost batch loses its checkpoint with it, and the resumed import
                    # writes it again. Worth a large share of the import time.
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                self._write_people()
                self._write_conversations()
                self._write_messages()
                self._write_skipped()
                if self.export is not None:
                    # Two-pass formats read some bytes twice; never report past the end.
                    self.bytes_done = min(self.export.bytes_read, self.bytes_total)
                Source.objects.filter(pk=self.source.pk).update(
                    checkpoint=self.position,
                    records_done=self.position,
                    bytes_done=self.bytes_done,
                    messages_done=self.messages_done + len(self.messages),
                    heartbeat_at=timezone.now(),
                    report=self.report,
                )
        except BaseException:
            self.report = json.loads(report_before)
            raise
        self.messages_done += len(self.messages)
        self.people.clear()
        self.conversations.clear()
        self.messages.clear()
        self.skipped.clear()
        self.last_flush = time.monotonic()
        self._progress()

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                ImportProgress(
                    messages_done=self.messages_done,
                    messages_total=self.messages_total,
                    records_done=self.position,
                    bytes_done=self.bytes_done,
                    bytes_total=self.bytes_total,
                )
            )

    def _write_skipped(self) -> None:
        if not self.skipped:
            return
        listed = self.report["skipped"]
        for item in self.skipped:
            if len(listed) < MAX_REPORTED_SKIPPED:
                listed.append({"location": _clean(item.location), "reason": _clean(item.reason)})
        self.report["skipped_count"] += len(self.skipped)

    def _write_people(self) -> None:
        if not self.people:
            return
        by_key: dict[str, PersonRecord] = {}
        for record in self.people:
            by_key[record.key] = record
        known = [r for r in by_key.values() if r.key in self.person_ids]
        fresh = [r for r in by_key.values() if r.key not in self.person_ids]
        if known:
            self._refresh_people(known)
        if fresh:
            self._create_people(fresh)

    def _refresh_people(self, records: list[PersonRecord]) -> None:
        """Fill in what a later export knows better (a name, an e-mail, a handle)."""
        persons = Person.objects.in_bulk([self.person_ids[r.key] for r in records])
        for record in records:
            person = persons.get(self.person_ids[record.key])
            if person is None:
                continue
            fields = []
            name = _clean(record.display_name)[:255]
            if name and person.display_name != name:
                person.display_name = name
                fields.append("display_name")
            email = record.email.strip().lower()[:320]
            if email and not person.email:
                person.email = email
                fields.append("email")
            if record.handle and record.handle not in person.handles:
                person.handles = [*person.handles, _clean(record.handle)[:255]]
                fields.append("handles")
            if fields:
                person.save(update_fields=fields)

    def _create_people(self, records: list[PersonRecord]) -> None:
        """New identities join an existing person with the same e-mail, or a new person."""
        emails = {r.email.strip().lower() for r in records if r.email.strip()}
        by_email: dict[str, int] = {}
        users_by_email: dict[str, int] = {}
        if emails:
            for person_id, email in Person.objects.filter(
                owner_id=self.owner_id, email__in=emails, merged_into__isnull=True
            ).values_list("id", "email"):
                by_email.setdefault(email, person_id)
            user_rows = (
                get_user_model()
                .objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails, is_active=True)
                .values_list("id", "email")
            )
            counts: dict[str, int] = {}
            for user_id, email in user_rows:
                counts[email.lower()] = counts.get(email.lower(), 0) + 1
                users_by_email[email.lower()] = user_id
            # An address two accounts share names nobody for sure; leave it unlinked.
            users_by_email = {e: u for e, u in users_by_email.items() if counts[e] == 1}
        new_people: list[Person] = []
        new_by_email: dict[str, Person] = {}
        assignment: list[tuple[PersonRecord, Person | int]] = []
        for record in records:
            email = record.email.strip().lower()[:320]
            if email and email in by_email:
                assignment.append((record, by_email[email]))
                continue
            if email and email in new_by_email:
                assignment.append((record, new_by_email[email]))
                continue
            person = Person(
                owner_id=self.owner_id,
                display_name=_clean(record.display_name)[:255] or record.key[:255],
                email=email,
                handles=[_clean(record.handle)[:255]] if record.handle else [],
                is_bot=record.is_bot,
                user_id=users_by_email.get(email),
            )
            new_people.append(person)
            if email:
                new_by_email[email] = person
            assignment.append((record, person))
        Person.objects.bulk_create(new_people)
        identities = []
        for record, target in assignment:
            person_id = target if isinstance(target, int) else target.pk
            identities.append(
                PersonIdentity(
                    owner_id=self.owner_id,
                    person_id=person_id,
                    platform=self.platform,
                    external_key=_key(record.key),
                )
            )
            self.person_ids[record.key] = person_id
        PersonIdentity.objects.bulk_create(identities, ignore_conflicts=True)

    def _ensure_people(self, keys: Iterable[str]) -> None:
        """Authors the export never introduced become people named by their key."""
        missing = {k for k in keys if k and k not in self.person_ids}
        if missing:
            self._create_people([PersonRecord(key=k, display_name=k) for k in sorted(missing)])

    def _write_conversations(self) -> None:
        for record in self.conversations:
            self._upsert_conversation(record)

    def _upsert_conversation(self, record: ConversationRecord) -> int:
        state = (_clean(record.name)[:255] or record.key[:255], record.kind, _clean(record.topic))
        conversation_id = self.conversation_ids.get(record.key)
        if conversation_id is None:
            conversation, _created = Conversation.objects.get_or_create(
                owner_id=self.owner_id,
                platform=self.platform,
                external_key=_key(record.key),
                defaults={"name": state[0], "kind": state[1], "topic": state[2]},
            )
            conversation_id = conversation.pk
        elif self.conversation_state.get(record.key) != state:
            Conversation.objects.filter(pk=conversation_id).update(
                name=state[0], kind=state[1], topic=state[2]
            )
        self.conversation_ids[record.key] = conversation_id
        self.conversation_state[record.key] = state
        self._conversation_report(record.key, state[0])
        return conversation_id

    def _conversation_report(self, key: str, name: str) -> dict[str, Any]:
        entry = self.report["conversations"].get(key)
        if entry is None:
            entry = {"name": name, "new": 0, "updated": 0, "unchanged": 0}
            self.report["conversations"][key] = entry
        return entry

    def _thread_ids_for(self, wanted: set[tuple[int, str]]) -> None:
        if len(self.thread_ids) + len(wanted) > self.THREAD_CACHE_LIMIT:
            # Keep memory flat: start over (before looking up what this batch needs).
            self.thread_ids.clear()
        missing = {pair for pair in wanted if pair not in self.thread_ids}
        if not missing:
            return
        self._load_threads(missing)
        missing = {pair for pair in missing if pair not in self.thread_ids}
        if not missing:
            return
        with connection.cursor() as cursor:
            # Rows a concurrent import inserted meanwhile are not returned; load them after.
            cursor.execute(
                "INSERT INTO handover_thread (conversation_id, root_key) "
                "SELECT * FROM unnest(%s::bigint[], %s::text[]) "
                "ON CONFLICT (conversation_id, root_key) DO NOTHING "
                "RETURNING id, conversation_id, root_key",
                [[c for c, _k in missing], [k for _c, k in missing]],
            )
            for thread_id, conversation_id, root_key in cursor.fetchall():
                self.thread_ids[(conversation_id, root_key)] = thread_id
        missing = {pair for pair in missing if pair not in self.thread_ids}
        if missing:
            self._load_threads(missing)

    def _load_threads(self, pairs: set[tuple[int, str]]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.id, t.conversation_id, t.root_key FROM handover_thread t "
                "JOIN unnest(%s::bigint[], %s::text[]) AS k(c, r) "
                "ON t.conversation_id = k.c AND t.root_key = k.r",
                [[c for c, _k in pairs], [k for _c, k in pairs]],
            )
            for thread_id, conversation_id, root_key in cursor.fetchall():
                self.thread_ids[(conversation_id, root_key)] = thread_id

    def _existing_messages(self, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT m.conversation_id, m.external_id, m.id, m.content_hash, m.revision "
                "FROM handover_message m "
                "JOIN unnest(%s::bigint[], %s::text[]) AS k(c, e) "
                "ON m.conversation_id = k.c AND m.external_id = k.e",
                [[c for c, _e in pairs], [e for _c, e in pairs]],
            )
            return {(c, e): (i, h, r) for c, e, i, h, r in cursor.fetchall()}

    def _write_messages(self) -> None:
        if not self.messages:
            return
        for record in self.messages:
            if record.conversation_key not in self.conversation_ids:
                self._upsert_conversation(
                    ConversationRecord(key=record.conversation_key, name=record.conversation_key)
                )
        self._ensure_people(r.author_key for r in self.messages if r.author_key)
        latest: dict[tuple[int, str], MessageRecord] = {}
        for record in self.messages:
            pair = (self.conversation_ids[record.conversation_key], _key(record.key))
            if pair in latest:
                self.report["duplicates"] += 1
            latest[pair] = record
        self._thread_ids_for({(pair[0], _key(r.thread_key or r.key)) for pair, r in latest.items()})
        existing = self._existing_messages(list(latest))
        rows: list[tuple] = []
        totals = self.report["totals"]
        totals_new_in_batch = 0
        for pair, record in latest.items():
            attachments_json = _json_text(
                [
                    {
                        "name": _clean(a.name),
                        "mime_type": _clean(a.mime_type),
                        "size": a.size,
                        "url": _clean(a.url),
                    }
                    for a in record.attachments
                ]
            )
            reactions_json = _json_text({_clean(name): count for name, count in record.reactions})
            digest = _content_hash(record, attachments_json, reactions_json)
            entry = self._conversation_report(
                record.conversation_key, self.conversation_state[record.conversation_key][0]
            )
            found = existing.get(pair)
            if found is not None and found[1] == digest:
                entry["unchanged"] += 1
                totals["unchanged"] += 1
                continue
            if found is None:
                entry["new"] += 1
                totals["new"] += 1
                totals_new_in_batch += 1
            else:
                entry["updated"] += 1
                totals["updated"] += 1
            text = _clean(record.text)
            subject = _clean(record.subject)
            rows.append(
                (
                    pair[0],
                    self.thread_ids[(pair[0], _key(record.thread_key or record.key))],
                    pair[1],
                    self.person_ids.get(record.author_key) if record.author_key else None,
                    record.sent_at,
                    text,
                    _clean(record.raw),
                    subject,
                    _key(record.reply_to_key or ""),
                    record.edited_at,
                    record.kind,
                    attachments_json,
                    reactions_json,
                    cjk_terms(subject, text),
                    digest,
                    self.source.pk,
                )
            )
        if rows:
            _store_message_rows(rows, all_new=totals_new_in_batch == len(rows))
