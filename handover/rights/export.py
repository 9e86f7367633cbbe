"""The build of a data export: every kind of data held about a person, one JSON file each, zipped.

A worker claims the export (:func:`build_data_export`), writes one file per kind of
:data:`handover.rights.selectors.HELD_KINDS` from that kind's ``held_<kind>`` queryset, row by
row with ``.iterator()`` (memory stays bounded however many messages there are), then
``manifest.json``: each kind's file, row count and SHA-256, the time and the format version.
The zip is written under a temporary name and renamed into place when complete.

The claim is a compare-and-set on the status and the heartbeat: a run owns the export while
``heartbeat_at`` is the value it last wrote. Progress (``kinds_done``) and the heartbeat are
written together, after each kind and every few seconds inside a long one; when another run
took the export over (the sweeper judged this one dead), the write changes nothing, and this
run stops and leaves the export to the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.consent.read import live_grant_q
from handover.models import ConsentGrant, DataExport
from handover.rights import selectors as held
from plugins.manager import plugin_person_exports
from plugins.types import PersonRef
from wiki.models import Page

logger = logging.getLogger(__name__)

# Raised when the files' layout or meaning changes, so that a reader can tell.
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# Rows fetched from the database at a time.
CHUNK_SIZE = 2000
# The most seconds between two heartbeats while a kind is being written.
HEARTBEAT_EVERY_SECONDS = 5.0


class LostClaimError(Exception):
    """Another run took the export over; this one stops without writing anything more."""


def exports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def export_folder(export_id: int) -> Path:
    """``MEDIA_ROOT/exports/<id>/``: everything of one export, deleted with it."""
    return exports_root() / str(int(export_id))


def export_file_name(export: DataExport) -> str:
    return f"tacit-data-export-{export.pk}.zip"


# --- One row generator per kind -------------------------------------------------------------


def _values(queryset: QuerySet, order: str, *fields: str) -> Iterator[dict]:
    """Rows of ``queryset`` as dicts of ``fields``, in ``order``, streamed in chunks."""
    return queryset.order_by(order).values(*fields).iterator(chunk_size=CHUNK_SIZE)


def _imports(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_imports(user=user),
        "pk",
        "id",
        "format",
        "original_name",
        "size_bytes",
        "status",
        "messages_done",
        "error",
        "report",
        "created_at",
        "started_at",
        "finished_at",
        "upload_deleted_at",
    )


def _conversations(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_conversations(user=user),
        "pk",
        "id",
        "platform",
        "external_key",
        "name",
        "kind",
        "topic",
        "created_at",
    )


def _messages(user: AbstractBaseUser) -> Iterator[dict]:
    """Every message of the person's imports, in full, as they imported it."""
    yield from _values(
        held.held_messages(user=user),
        "pk",
        "id",
        "conversation_id",
        "thread_id",
        "external_id",
        "author_id",
        "sent_at",
        "subject",
        "text",
        "raw",
        "reply_to_key",
        "edited_at",
        "kind",
        "attachments",
        "reactions",
        "revision",
        "source_id",
    )


def _people(user: AbstractBaseUser) -> Iterator[dict]:
    people = (held.held_people(user=user).order_by("pk").prefetch_related("identities")).iterator(
        chunk_size=CHUNK_SIZE
    )
    for person in people:
        yield {
            "id": person.pk,
            "display_name": person.display_name,
            "email": person.email,
            "handles": person.handles,
            "is_bot": person.is_bot,
            "merged_into_id": person.merged_into_id,
            "identities": [
                {"platform": identity.platform, "external_key": identity.external_key}
                for identity in person.identities.all()
            ],
            "created_at": person.created_at,
        }


_CASE_FIELDS = ("id", "team__slug", "state", "last_day", "created_at", "state_changed_at")


def _cases_subject(user: AbstractBaseUser) -> Iterator[dict]:
    """The person's own cases: their state and what the person registered for them."""
    yield from _values(
        held.held_cases_subject(user=user),
        "pk",
        *_CASE_FIELDS,
        "language",
        "personal_email",
        "key_destroyed_at",
    )


def _cases_succeeding(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(held.held_cases_succeeding(user=user), "pk", *_CASE_FIELDS)


def _cases_opened(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(held.held_cases_opened(user=user), "pk", *_CASE_FIELDS)


def _consent_grants(user: AbstractBaseUser) -> Iterator[dict]:
    """Each grant with the exact terms shown, their SHA-256, its scope and whether it is live."""
    live = ConsentGrant.objects.filter(pk=OuterRef("pk")).filter(live_grant_q())
    grants = (
        held.held_consent_grants(user=user)
        .annotate(is_live=Exists(live))
        .order_by("pk")
        .prefetch_related("scope_rows", "excluded_thread_rows")
    ).iterator(chunk_size=CHUNK_SIZE)
    for grant in grants:
        yield {
            "id": grant.pk,
            "case_id": grant.case_id,
            "purpose": grant.purpose,
            "live": grant.is_live,
            "terms_version": grant.terms_version,
            "terms_language": grant.terms_language,
            "terms_text": grant.terms_text,
            "terms_sha256": grant.terms_sha256,
            "conversation_ids": sorted(row.conversation_id for row in grant.scope_rows.all()),
            "excluded_thread_ids": sorted(
                row.thread_id for row in grant.excluded_thread_rows.all()
            ),
            "granted_at": grant.granted_at,
            "expires_at": grant.expires_at,
            "ended_at": grant.ended_at,
            "end_reason": grant.end_reason,
            "supersedes_id": grant.supersedes_id,
        }


def _naming_consents(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_naming_consents(user=user),
        "pk",
        "id",
        "case_id",
        "terms_version",
        "terms_text",
        "terms_sha256",
        "granted_at",
        "withdrawn_at",
    )


def _prepared_messages(user: AbstractBaseUser) -> Iterator[dict]:
    """The redacted, pseudonymised copies of the person's cases, as downstream may see them."""
    yield from _values(
        held.held_prepared_messages(user=user),
        "pk",
        "case_id",
        "message_id",
        "conversation_label",
        "author_label",
        "author_is_subject",
        "subject_line",
        "text",
        "out_of_scope_topic",
        "included_by_subject",
        "prepared_at",
    )


def _pseudonyms(user: AbstractBaseUser) -> Iterator[dict]:
    """One row per pseudonym, naming only its case: who stands behind it is not the person's."""
    yield from (
        held.held_pseudonyms(user=user)
        .order_by("case_id", "index")
        .values("case_id")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _deletion_receipts(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_deletion_receipts(user=user),
        "pk",
        "id",
        "kind",
        "summary",
        "items",
        "created_at",
        "completed_at",
    )


def _data_exports(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_data_exports(user=user),
        "pk",
        "id",
        "status",
        "size_bytes",
        "error",
        "created_at",
        "finished_at",
    )


def _wiki_pages(user: AbstractBaseUser) -> Iterator[dict]:
    owns = Page.owners.through.objects.filter(page_id=OuterRef("pk"), user_id=user.pk)
    pages = (
        held.held_wiki_pages(user=user)
        .annotate(
            you_own=Exists(owns),
            you_created=ExpressionWrapper(Q(created_by_id=user.pk), output_field=BooleanField()),
        )
        .order_by("pk")
        .values(
            "id",
            "space__key",
            "title",
            "path",
            "you_created",
            "you_own",
            "created_at",
            "deleted_at",
        )
    )
    yield from pages.iterator(chunk_size=CHUNK_SIZE)


def _wiki_revisions(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_wiki_revisions(user=user),
        "pk",
        "id",
        "page_id",
        "page__space__key",
        "page__title",
        "number",
        "summary",
        "body",
        "merged",
        "created_at",
    )


def _audit_events(user: AbstractBaseUser) -> Iterator[dict]:
    """The audit rows of the person's actions, ``personal`` included, in the chain's order."""
    yield from _values(
        held.held_audit_events(user=user),
        "sequence",
        "sequence",
        "created_at",
        "action",
        "target_type",
        "target_id",
        "scope",
        "details",
        "personal",
        "prev_digest",
        "digest",
    )


def _qa_questions(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_qa_questions(user=user),
        "pk",
        "id",
        "chat_id",
        "text",
        "answer",
        "confidence",
        "abstained",
        "feedback",
        "surface",
        "audience",
        "asked_at",
    )


def _assistant_tokens(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_assistant_tokens(user=user),
        "pk",
        "id",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    )


def _chat_accounts(user: AbstractBaseUser) -> Iterator[dict]:
    yield from _values(
        held.held_chat_accounts(user=user),
        "pk",
        "id",
        "workspace__platform",
        "workspace__external_id",
        "workspace__name",
        "external_user_id",
        "display_name",
        "linked_at",
    )


ROWS: dict[str, Callable[[AbstractBaseUser], Iterator[dict]]] = {
    held.KIND_IMPORTS: _imports,
    held.KIND_CONVERSATIONS: _conversations,
    held.KIND_MESSAGES: _messages,
    held.KIND_PEOPLE: _people,
    held.KIND_CASES_SUBJECT: _cases_subject,
    held.KIND_CASES_SUCCEEDING: _cases_succeeding,
    held.KIND_CASES_OPENED: _cases_opened,
    held.KIND_CONSENT_GRANTS: _consent_grants,
    held.KIND_NAMING_CONSENTS: _naming_consents,
    held.KIND_PREPARED_MESSAGES: _prepared_messages,
    held.KIND_PSEUDONYMS: _pseudonyms,
    held.KIND_DELETION_RECEIPTS: _deletion_receipts,
    held.KIND_DATA_EXPORTS: _data_exports,
    held.KIND_WIKI_PAGES: _wiki_pages,
    held.KIND_WIKI_REVISIONS: _wiki_revisions,
    held.KIND_QA_QUESTIONS: _qa_questions,
    held.KIND_ASSISTANT_TOKENS: _assistant_tokens,
    held.KIND_CHAT_ACCOUNTS: _chat_accounts,
    held.KIND_AUDIT_EVENTS: _audit_events,
}


# --- Writing ---------------------------------------------------------------------------------


class _Claim:
    """This run's hold on the export: the heartbeat value it last wrote."""

    def __init__(self, export_id: int, heartbeat_at: datetime) -> None:
        self.export_id = export_id
        self.heartbeat_at = heartbeat_at
        self._beat_monotonic = time.monotonic()

    def beat(self, **fields: object) -> None:
        """Write the heartbeat (and ``fields``) if this run still holds the export."""
        now = timezone.now()
        updated = DataExport.objects.filter(
            pk=self.export_id, status=DataExport.Status.RUNNING, heartbeat_at=self.heartbeat_at
        ).update(heartbeat_at=now, **fields)
        if not updated:
            raise LostClaimError(f"export {self.export_id} was taken over by another run")
        self.heartbeat_at = now
        self._beat_monotonic = time.monotonic()

    def beat_if_due(self) -> None:
        if time.monotonic() - self._beat_monotonic >= HEARTBEAT_EVERY_SECONDS:
            self.beat()


def _write_kind(
    archive: zipfile.ZipFile, name: str, rows: Iterator[dict], claim: _Claim
) -> tuple[int, str]:
    """Write ``rows`` as one JSON array, a row a line; return the row count and the SHA-256."""
    digest = hashlib.sha256()
    count = 0
    with archive.open(name, "w", force_zip64=True) as member:

        def write(text: str) -> None:
            data = text.encode()
            digest.update(data)
            member.write(data)

        write("[")
        for row in rows:
            write(("\n" if count == 0 else ",\n") + json.dumps(row, cls=DjangoJSONEncoder))
            count += 1
            if count % 500 == 0:
                claim.beat_if_due()
        write("\n]\n" if count else "]\n")
    return count, digest.hexdigest()


def _write_archive(target: IO[bytes], user: AbstractBaseUser, claim: _Claim) -> dict:
    """Write every kind and the manifest into ``target``; return the manifest."""
    kinds: dict[str, dict] = {}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for done, (kind, rows) in enumerate(ROWS.items(), start=1):
            name = f"{kind}.json"
            count, sha256 = _write_kind(archive, name, rows(user), claim)
            kinds[kind] = {"file": name, "count": count, "sha256": sha256}
            claim.beat(kinds_done=done)
        # What plugins hold about the person (the tacit_person_export hook).
        person = PersonRef(user_id=user.pk, username=user.get_username())
        for plugin, section in plugin_person_exports(person):
            folder = re.sub(r"[^a-z0-9_-]+", "_", plugin.lower()).strip("_") or "plugin"
            name = f"plugins/{folder}/{section.kind}.json"
            count, sha256 = _write_kind(archive, name, iter(section.rows), claim)
            kinds[f"plugin:{plugin}:{section.kind}"] = {
                "file": name,
                "count": count,
                "sha256": sha256,
            }
        manifest = {
            "format_version": FORMAT_VERSION,
            "generated_at": timezone.now().isoformat(),
            "user_id": user.pk,
            "kinds": kinds,
        }
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _claim(export_id: int, stale_after: timedelta) -> _Claim | None:
    """Take the export for this run: pending, or running with a stale heartbeat. Atomic."""
    now = timezone.now()
    claimable = Q(status=DataExport.Status.PENDING) | Q(
        Q(status=DataExport.Status.RUNNING)
        & (Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True))
    )
    updated = DataExport.objects.filter(claimable, pk=export_id).update(
        status=DataExport.Status.RUNNING,
        heartbeat_at=now,
        kinds_done=0,
        kinds_total=len(ROWS),
        error="",
    )
    return _Claim(export_id, now) if updated else None


def build_data_export(*, export_id: int, stale_after: timedelta | None = None) -> DataExport | None:
    """Build (or build again) one export; return it, or None when another run holds it.

    Idempotent: a second delivery of the task finds the export running with a live
    heartbeat, or finished, and does nothing. A failure marks the export failed with a
    sentence for its person (the details go to the log); a run that lost its claim stops.
    """
    if stale_after is None:
        stale_after = timedelta(seconds=settings.DATA_EXPORT_STALE_SECONDS)
    claim = _claim(export_id, stale_after)
    if claim is None:
        return None
    export = DataExport.objects.get(pk=export_id)
    user = get_user_model().objects.get(pk=export.user_id)
    folder = export_folder(export_id)
    part = folder / f".{uuid.uuid4().hex}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with part.open("wb") as target:
            manifest = _write_archive(target, user, claim)
        return _finish(export, claim, part, manifest)
    except LostClaimError:
        logger.info("Data export %s: another run took it over; this one stops.", export_id)
        return None
    except Exception:
        logger.exception("Data export %s failed.", export_id)
        return _fail(export, claim)
    finally:
        _remove(part)


def _remove(part: Path) -> None:
    """Delete a temporary file left by a run; a folder that cannot hold it has none."""
    with contextlib.suppress(OSError):
        part.unlink(missing_ok=True)


@transaction.atomic
def _finish(export: DataExport, claim: _Claim, part: Path, manifest: dict) -> DataExport | None:
    locked = (
        DataExport.objects.select_for_update()
        .filter(pk=export.pk, status=DataExport.Status.RUNNING, heartbeat_at=claim.heartbeat_at)
        .first()
    )
    if locked is None:
        return None
    final = export_folder(export.pk) / export_file_name(export)
    part.replace(final)
    now = timezone.now()
    locked.status = DataExport.Status.READY
    locked.path = str(final)
    locked.size_bytes = final.stat().st_size
    locked.kinds_done = locked.kinds_total = len(manifest["kinds"])
    locked.heartbeat_at = locked.finished_at = now
    locked.save(
        update_fields=[
            "status",
            "path",
            "size_bytes",
            "kinds_done",
            "kinds_total",
            "heartbeat_at",
            "finished_at",
        ]
    )
    record_audit_event(
        actor=None,
        action="export.completed",
        target=locked,
        scope=f"user:{locked.user_id}",
        details={
            "kinds": len(manifest["kinds"]),
            "rows": sum(kind["count"] for kind in manifest["kinds"].values()),
            "size_bytes": locked.size_bytes,
        },
    )
    return locked


@transaction.atomic
def _fail(export: DataExport, claim: _Claim) -> DataExport | None:
    locked = (
        DataExport.objects.select_for_update()
        .filter(pk=export.pk, status=DataExport.Status.RUNNING, heartbeat_at=claim.heartbeat_at)
        .first()
    )
    if locked is None:
        return None
    locked.status = DataExport.Status.FAILED
    locked.error = _(
        "Your data export could not be built. Nothing was kept of it; request a new one. "
        "If it fails again, tell your administrator: the server's log says why."
    )
    locked.heartbeat_at = locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "error", "heartbeat_at", "finished_at"])
    record_audit_event(
        actor=None,
        action="export.failed",
        target=locked,
        scope=f"user:{locked.user_id}",
        details={"kinds_done": locked.kinds_done},
    )
    return locked
