"""Discord channel exports made with DiscordChatExporter, in its JSON and CSV formats.

JSON: ``{"guild": {...}, "channel": {...}, "messages": [{"id", "type",
"timestamp", "timestampEdited", "content", "author": {...}, "attachments",
"reactions", "mentions", "reference": {"messageId"}}]}``; the messages are
streamed. CSV: one channel per file with the columns ``AuthorID, Author,
Date, Content, Attachments, Reactions``; it carries no message ids, so a
message's key is a hash of its time, author, text and how many identical
messages came before it (two identical lines stay two messages, and a
re-import finds the same keys).

Replies (``reference.messageId``) form threads. Messages whose type is not a
normal message or reply (joins, pins, calls, renames) are system messages.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from dateutil import parser as date_parser

from handover.importers.archive import ExportSource
from handover.importers.base import (
    AttachmentRecord,
    ConversationRecord,
    ImportFormatError,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.importers.common import is_new, raw_json, skip_unchosen
from handover.importers.jsonstream import JSON_ERRORS, iter_items, read_prelude
from handover.importers.text import OccurrenceKeys, ReplyThreads, parse_iso

CSV_HEADER = ["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"]
MESSAGE_TYPES = frozenset({"Default", "Reply", "ThreadStarterMessage"})
MENTION = re.compile(r"<@!?(\d+)>")
REACTION = re.compile(r"\s*(.+?)\s*\((\d+)\)\s*$")
CHANNEL_ID_IN_NAME = re.compile(r"\[(\d+)\]")
KIND_BY_CHANNEL_TYPE = {
    "DirectTextChat": ConversationRecord.Kind.DIRECT,
    "DirectGroupTextChat": ConversationRecord.Kind.GROUP,
}


def _is_discord_json(head: bytes) -> bool:
    return b'"guild"' in head and b'"channel"' in head and b'"messages"' in head


def _is_discord_csv(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    return [cell.strip().strip('"') for cell in first.strip().split(",")][:4] == CSV_HEADER[:4]


def _moment(value: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError:
        # Older DiscordChatExporter versions write the user's locale format.
        moment = date_parser.parse(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class DiscordImporter:
    """Reads DiscordChatExporter JSON and CSV channel exports (one file per channel)."""

    format = "discord"
    label = "Discord (DiscordChatExporter JSON or CSV)"

    def detect(self, source: ExportSource) -> bool:
        """A JSON member with guild, channel and messages, or a CSV with the exporter's header."""
        return any(True for _ in self._members(source))

    def _members(self, source: ExportSource) -> Iterator[tuple[str, str]]:
        for name in source.list_members():
            lowered = name.lower()
            if lowered.endswith(".json") and _is_discord_json(source.head(name, 8192)):
                yield name, "json"
            elif lowered.endswith(".csv") and _is_discord_csv(source.head(name, 1024)):
                yield name, "csv"

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per channel file (sorted): the channel, then its messages, people on first sight."""
        yield from source.iter_skipped()
        members = list(self._members(source))
        if not members:
            raise ImportFormatError(
                f"{source.name}: no DiscordChatExporter JSON or CSV file found."
            )
        yield from skip_unchosen(
            source,
            {name for name, _ in members},
            "not a DiscordChatExporter JSON or CSV channel file",
        )
        people: set[str] = set()
        for name, kind in members:
            if kind == "json":
                yield from self._iter_json(source, name, people)
            else:
                yield from self._iter_csv(source, name, people)

    # --- JSON ----------------------------------------------------------------------------------

    def _iter_json(self, source: ExportSource, name: str, people: set[str]) -> Iterator[Record]:
        try:
            with source.open_member(name) as stream:
                prelude = read_prelude(stream, "messages")
        except JSON_ERRORS as error:
            yield SkippedItem(name, f"malformed JSON ({error})")
            return
        channel = prelude.get("channel") or {}
        guild = prelude.get("guild") or {}
        conversation_key = str(channel.get("id") or name)
        title = str(channel.get("name") or conversation_key)
        if guild.get("name") and guild.get("id") not in (None, "0"):
            title = f"{guild['name']} / {title}"
        yield ConversationRecord(
            key=conversation_key,
            name=title,
            kind=KIND_BY_CHANNEL_TYPE.get(
                str(channel.get("type")), ConversationRecord.Kind.CHANNEL
            ),
            topic=str(channel.get("topic") or ""),
        )
        thread_of = ReplyThreads()
        try:
            with source.open_member(name) as stream:
                for index, message in enumerate(iter_items(stream, "messages.item")):
                    yield from self._json_message(
                        message, f"{name}#{index}", conversation_key, people, thread_of
                    )
        except JSON_ERRORS as error:
            yield SkippedItem(
                name, f"malformed JSON ({error}); the messages before it were imported"
            )

    def _json_message(
        self,
        message: Any,
        location: str,
        conversation_key: str,
        people: set[str],
        thread_of: ReplyThreads,
    ) -> Iterator[Record]:
        if not isinstance(message, dict) or not message.get("id") or not message.get("timestamp"):
            yield SkippedItem(location, "a message without an id or timestamp")
            return
        author = message.get("author") or {}
        author_key = str(author["id"]) if author.get("id") else None
        if author_key and is_new(people, author_key):
            yield PersonRecord(
                key=author_key,
                display_name=str(author.get("nickname") or author.get("name") or author_key),
                handle=str(author.get("name") or ""),
                is_bot=bool(author.get("isBot")),
            )
        try:
            sent_at = _moment(str(message["timestamp"]))
            edited_at = (
                _moment(str(message["timestampEdited"])) if message.get("timestampEdited") else None
            )
        except (ValueError, OverflowError) as error:
            yield SkippedItem(location, f"unreadable timestamp ({error})")
            return
        key = str(message["id"])
        if thread_of.seen(key):
            yield SkippedItem(location, f"duplicate of the earlier message {key}")
            return
        names = {
            str(m.get("id")): str(m.get("nickname") or m.get("name"))
            for m in message.get("mentions") or ()
            if isinstance(m, dict)
        }
        content = str(message.get("content") or "")
        if "<@" in content:
            content = MENTION.sub(
                lambda match: f"@{names.get(match.group(1), match.group(1))}", content
            )
        reference = message.get("reference") or {}
        reply_key = str(reference["messageId"]) if reference.get("messageId") else None
        thread_key, reply_key = thread_of.place(key, reply_key)
        if message.get("type") not in MESSAGE_TYPES:
            kind = MessageRecord.Kind.SYSTEM
        elif author.get("isBot"):
            kind = MessageRecord.Kind.BOT
        else:
            kind = MessageRecord.Kind.MESSAGE
        attachments = tuple(
            AttachmentRecord(
                name=str(item.get("fileName") or item.get("id") or "file"),
                size=item.get("fileSizeBytes")
                if isinstance(item.get("fileSizeBytes"), int)
                else None,
                url=str(item.get("url") or ""),
            )
            for item in message.get("attachments") or ()
            if isinstance(item, dict)
        )
        reactions = tuple(
            (str((r.get("emoji") or {}).get("name") or "?"), int(r.get("count") or 0))
            for r in message.get("reactions") or ()
            if isinstance(r, dict)
        )
        yield MessageRecord(
            key=key,
            conversation_key=conversation_key,
            thread_key=thread_key,
            author_key=author_key,
            sent_at=sent_at,
            text=content,
            raw=raw_json(message),
            reply_to_key=reply_key,
            edited_at=edited_at,
            kind=kind,
            attachments=attachments,
            reactions=reactions,
        )

    # --- CSV -----------------------------------------------------------------------------------

    def _iter_csv(self, source: ExportSource, name: str, people: set[str]) -> Iterator[Record]:
        stem = PurePosixPath(name).stem
        match = CHANNEL_ID_IN_NAME.search(stem)
        conversation_key = match.group(1) if match else stem
        yield ConversationRecord(
            key=conversation_key, name=CHANNEL_ID_IN_NAME.sub("", stem).strip()
        )
        seen = OccurrenceKeys()
        with source.open_member(name) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
            reader = csv.reader(text)
            next(reader, None)
            for row in reader:
                location = f"{name}:{reader.line_num}"
                if len(row) < 4:
                    yield SkippedItem(
                        location, f"expected {len(CSV_HEADER)} columns, found {len(row)}"
                    )
                    continue
                author_id, author, date, content = row[:4]
                try:
                    sent_at = _moment(date)
                except (ValueError, OverflowError):
                    yield SkippedItem(location, f"unreadable date {date!r}")
                    continue
                author_key = author_id or None
                if author_key and is_new(people, author_key):
                    yield PersonRecord(key=author_key, display_name=author or author_key)
                key = seen.key(date, author_id, content)
                attachments = tuple(
                    AttachmentRecord(name=PurePosixPath(url.split("?")[0]).name or url, url=url)
                    for url in (row[4].split(",") if len(row) > 4 and row[4] else ())
                    if url.strip()
                )
                reactions = tuple(
                    (found.group(1), int(found.group(2)))
                    for part in (row[5].split(",") if len(row) > 5 and row[5] else ())
                    if (found := REACTION.match(part))
                )
                yield MessageRecord(
                    key=key,
                    conversation_key=conversation_key,
                    thread_key=key,
                    author_key=author_key,
                    sent_at=sent_at,
                    text=content,
                    raw=",".join(row),
                    attachments=attachments,
                    reactions=reactions,
                )


importer = DiscordImporter()
