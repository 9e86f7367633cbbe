"""One batch of an import's records, written in one transaction with its checkpoint.

Each batch also stores the checkpoint (how many records are committed), the
progress, the heartbeat and the report. Messages are matched by
(conversation, external id) and a content hash: the same export twice adds
nothing; a later export adds only new messages and updates edited ones.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from handover.importers.archive import ExportSource
from handover.importers.base import (
    ConversationRecord,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.imports.rows import (
    clean_text,
    content_hash,
    json_text,
    store_message_rows,
    stored_key,
    with_stored_keys,
)
from handover.models import Conversation, Person, PersonIdentity, Source
from handover.search_text import cjk_terms

# The report keeps every skipped item up to this many; past it only the count grows,
# so a pathological export cannot make the report row itself enormous.
MAX_REPORTED_SKIPPED = 5000


class ImportCancelledError(Exception):
    """The owner asked to stop; raised between batches."""


class LostClaimError(Exception):
    """Another run took this source over (the sweeper thought this one was dead)."""


@dataclass(frozen=True)
class ImportProgress:
    """What a progress display needs after each committed batch."""

    messages_done: int
    messages_total: int | None
    records_done: int
    bytes_done: int = 0
    bytes_total: int = 0


ProgressCallback = Callable[[ImportProgress], None]


class BatchWriter:
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
                record = with_stored_keys(record)
            self.messages.append(record)
        elif isinstance(record, PersonRecord):
            if len(record.key) > 255:
                record = dataclasses.replace(record, key=stored_key(record.key))
            self.people.append(record)
        elif isinstance(record, ConversationRecord):
            if len(record.key) > 255:
                record = dataclasses.replace(record, key=stored_key(record.key))
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
                listed.append(
                    {"location": clean_text(item.location), "reason": clean_text(item.reason)}
                )
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
            name = clean_text(record.display_name)[:255]
            if name and person.display_name != name:
                person.display_name = name
                fields.append("display_name")
            email = record.email.strip().lower()[:320]
            if email and not person.email:
                person.email = email
                fields.append("email")
            if record.handle and record.handle not in person.handles:
                person.handles = [*person.handles, clean_text(record.handle)[:255]]
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
                display_name=clean_text(record.display_name)[:255] or record.key[:255],
                email=email,
                handles=[clean_text(record.handle)[:255]] if record.handle else [],
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
                    external_key=stored_key(record.key),
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
        state = (
            clean_text(record.name)[:255] or record.key[:255],
            record.kind,
            clean_text(record.topic),
        )
        conversation_id = self.conversation_ids.get(record.key)
        if conversation_id is None:
            conversation, _created = Conversation.objects.get_or_create(
                owner_id=self.owner_id,
                platform=self.platform,
                external_key=stored_key(record.key),
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
            pair = (self.conversation_ids[record.conversation_key], stored_key(record.key))
            if pair in latest:
                self.report["duplicates"] += 1
            latest[pair] = record
        self._thread_ids_for(
            {(pair[0], stored_key(r.thread_key or r.key)) for pair, r in latest.items()}
        )
        existing = self._existing_messages(list(latest))
        rows: list[tuple] = []
        totals = self.report["totals"]
        totals_new_in_batch = 0
        for pair, record in latest.items():
            attachments_json = json_text(
                [
                    {
                        "name": clean_text(a.name),
                        "mime_type": clean_text(a.mime_type),
                        "size": a.size,
                        "url": clean_text(a.url),
                    }
                    for a in record.attachments
                ]
            )
            reactions_json = json_text(
                {clean_text(name): count for name, count in record.reactions}
            )
            digest = content_hash(record, attachments_json, reactions_json)
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
            text = clean_text(record.text)
            subject = clean_text(record.subject)
            rows.append(
                (
                    pair[0],
                    self.thread_ids[(pair[0], stored_key(record.thread_key or record.key))],
                    pair[1],
                    self.person_ids.get(record.author_key) if record.author_key else None,
                    record.sent_at,
                    text,
                    clean_text(record.raw),
                    subject,
                    stored_key(record.reply_to_key or ""),
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
            store_message_rows(rows, all_new=totals_new_in_batch == len(rows))
