"""Message rows as stored: clean text, stored keys, the content hash, COPY and upsert."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging

from django.db import IntegrityError, connection, transaction

from handover.importers.base import MessageRecord

logger = logging.getLogger(__name__)


def clean_text(text: str) -> str:
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


def store_message_rows(rows: list[tuple], *, all_new: bool) -> None:
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


def stored_key(value: str) -> str:
    """An export's id as stored (at most 255 characters); longer ids keep a hash of the rest.

    Truncating alone could make two long Message-IDs that share a prefix one message.
    """
    if len(value) <= 255:
        return value
    digest = hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=16).hexdigest()
    return f"{value[:222]}~{digest}"


def with_stored_keys(record: MessageRecord) -> MessageRecord:
    """The record with every id in its stored form, so caches and rows agree."""
    keys = {
        "key": stored_key(record.key),
        "conversation_key": stored_key(record.conversation_key),
        "thread_key": stored_key(record.thread_key),
        "author_key": stored_key(record.author_key) if record.author_key else record.author_key,
        "reply_to_key": stored_key(record.reply_to_key) if record.reply_to_key else None,
    }
    if all(getattr(record, name) == value for name, value in keys.items()):
        return record
    return dataclasses.replace(record, **keys)


def json_text(value: list | dict) -> str:
    """Canonical JSON text, computed once per message for both the hash and the COPY."""
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(record: MessageRecord, attachments_json: str, reactions_json: str) -> str:
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
