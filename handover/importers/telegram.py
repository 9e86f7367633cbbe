"""Telegram Desktop "Export chat history" / "Export Telegram data" JSON (``result.json``).

Two layouts: a single chat (``{"name", "type", "id", "messages": [...]}``)
and a full-account export (``{"chats": {"list": [chat, ...]}, "left_chats":
{...}}``). The file is read as a stream of JSON events with ijson, so a chat
of millions of messages never sits in memory: each message object is built
on its own and dropped once it has become a record.

Replies (``reply_to_message_id``) form threads: a message's thread is its
replied-to message's thread. Service messages (joins, calls, pins) are system
messages. Media files in the export folder are not imported; their metadata
becomes attachments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, BinaryIO

import ijson

from handover.importers.archive import ExportSource
from handover.importers.base import (
    AttachmentRecord,
    ConversationRecord,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.importers.common import MemberImporter, is_new, raw_json, skip_other_files
from handover.importers.jsonstream import JSON_ERRORS, ValueBuilder, iter_items, repaired
from handover.importers.text import ReplyThreads, from_unix, parse_iso

CHAT_TYPES = (
    rb"personal_chat|private_group|public_group|private_supergroup|public_supergroup"
    rb"|private_channel|public_channel|bot_chat|saved_messages"
)
CHAT_TYPE = re.compile(rb'"type"\s*:\s*"(' + CHAT_TYPES + rb')"')
FROM_ID = re.compile(rb'"(from_id|actor_id)"\s*:\s*"(user|channel|chat)\d+"')
FULL_EXPORT = re.compile(rb'"(personal_information|frequent_contacts)"\s*:')
# Where chats sit in each layout: the prefix of a chat object in ijson's terms.
CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
KIND_BY_TYPE = {
    "personal_chat": ConversationRecord.Kind.DIRECT,
    "bot_chat": ConversationRecord.Kind.DIRECT,
    "saved_messages": ConversationRecord.Kind.DIRECT,
    "private_group": ConversationRecord.Kind.GROUP,
    "private_supergroup": ConversationRecord.Kind.GROUP,
    "public_supergroup": ConversationRecord.Kind.GROUP,
    "public_group": ConversationRecord.Kind.GROUP,
}
NOT_INCLUDED = "(File not included"


def render_text(text: object) -> str:
    """Telegram's text (a string, or a list of strings and entity objects) as plain text."""
    if isinstance(text, str):
        return text
    if not isinstance(text, list):
        return ""
    parts: list[str] = []
    for piece in text:
        if isinstance(piece, str):
            parts.append(piece)
        elif isinstance(piece, dict):
            value = str(piece.get("text") or "")
            href = piece.get("href")
            if href and href != value:
                parts.append(f"{value} ({href})")
            else:
                parts.append(value)
    return "".join(parts)


def _moment(message: dict[str, Any], unix_key: str, iso_key: str) -> Any:
    if message.get(unix_key):
        return from_unix(message[unix_key])
    if message.get(iso_key):
        # Older exports write local wall-clock time without an offset; read it as UTC.
        return parse_iso(str(message[iso_key]))
    return None


def _attachments(message: dict[str, Any]) -> tuple[AttachmentRecord, ...]:
    found: list[AttachmentRecord] = []
    for field, default_mime in (("photo", "image/jpeg"), ("file", "")):
        value = message.get(field)
        if not value:
            continue
        path = str(value)
        name = message.get("file_name") or (
            f"{message.get('media_type') or field} (not included in the export)"
            if path.startswith(NOT_INCLUDED)
            else PurePosixPath(path).name
        )
        size = message.get(f"{field}_file_size") or message.get("file_size")
        found.append(
            AttachmentRecord(
                name=str(name),
                mime_type=str(message.get("mime_type") or default_mime),
                size=size if isinstance(size, int) else None,
                url="" if path.startswith(NOT_INCLUDED) else path,
            )
        )
    return tuple(found)


class TelegramImporter(MemberImporter):
    """Reads Telegram Desktop JSON exports, single chat or whole account."""

    format = "telegram"
    label = "Telegram Desktop export (result.json)"
    not_found = "no Telegram result.json found."
    head_bytes = 8192

    def looks_like(self, head: bytes) -> bool:
        """A JSON member whose start shows Telegram's chat types or user ids."""
        if b'"messages"' not in head and not FULL_EXPORT.search(head):
            return False
        return bool(CHAT_TYPE.search(head) or FROM_ID.search(head) or FULL_EXPORT.search(head))

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per chat, in file order: the chat, then its messages, people on first sight."""
        members = yield from self._start(source)
        yield from skip_other_files(
            source,
            members,
            "media and other files of the export are not imported; their metadata is kept "
            "on the messages as attachments",
        )
        people: set[str] = set()
        for name in members:
            try:
                with source.open_member(name) as stream:
                    chat = self._single_chat(stream)
                with source.open_member(name) as stream:
                    if chat is not None:
                        yield from self._iter_single_chat(name, stream, chat, people)
                    else:
                        yield from self._iter_file(name, stream, people)
            except JSON_ERRORS as error:
                yield SkippedItem(name, f"malformed JSON ({error}); the file stopped here")

    def _single_chat(self, stream: BinaryIO) -> dict[str, Any] | None:
        """The chat's fields when the file is a single-chat export, else None.

        Reads only up to the start of the ``messages`` array (single chat) or
        of ``chats`` (full account), so it costs next to nothing.
        """
        chat: dict[str, Any] = {}
        for prefix, event, value in ijson.parse(repaired(stream), use_float=True):
            if prefix == "messages" and event == "start_array":
                return chat
            if prefix in ("chats", "left_chats") and event == "start_map":
                return None
            if prefix in ("name", "type", "id") and event in ("string", "number", "integer"):
                chat[prefix] = value
        return None

    def _iter_single_chat(
        self, name: str, stream: BinaryIO, chat: dict[str, Any], people: set[str]
    ) -> Iterator[Record]:
        # The common case gets ijson's C object builder, much faster than replaying events.
        conversation_key = str(chat.get("id") or f"{name}#1")
        yield ConversationRecord(
            key=conversation_key,
            name=str(chat.get("name") or conversation_key),
            kind=KIND_BY_TYPE.get(str(chat.get("type")), ConversationRecord.Kind.CHANNEL),
        )
        thread_of = ReplyThreads()
        for message in iter_items(stream, "messages.item"):
            yield from self._records(message, conversation_key, people, thread_of)

    def _iter_file(self, name: str, stream: BinaryIO, people: set[str]) -> Iterator[Record]:
        chat: dict[str, Any] = {}
        chat_prefix: str | None = None
        conversation_key: str | None = None
        chat_number = 0
        thread_of = ReplyThreads()
        builder: ValueBuilder | None = None
        for prefix, event, value in ijson.parse(repaired(stream), use_float=True):
            if builder is not None:
                if builder.feed(event, value):
                    message = builder.value
                    builder = None
                    if conversation_key is None:
                        chat_number += 1
                        conversation_key = str(chat.get("id") or f"{name}#{chat_number}")
                        yield ConversationRecord(
                            key=conversation_key,
                            name=str(chat.get("name") or conversation_key),
                            kind=KIND_BY_TYPE.get(
                                str(chat.get("type")), ConversationRecord.Kind.CHANNEL
                            ),
                        )
                    yield from self._records(message, conversation_key, people, thread_of)
                continue
            if chat_prefix is not None and prefix == f"{chat_prefix}.messages.item".lstrip("."):
                if event == "start_map":
                    builder = ValueBuilder(event, value)
                continue
            if event == "start_map" and prefix in CHAT_PREFIXES:
                # A chat object begins (the top level counts, for single-chat exports).
                chat, chat_prefix, conversation_key = {}, prefix, None
                thread_of = ReplyThreads()
                continue
            if (
                chat_prefix is not None
                and event in ("string", "number", "integer")
                and prefix.startswith(chat_prefix)
            ):
                key = prefix[len(chat_prefix) :].lstrip(".")
                if key in ("name", "type", "id"):
                    chat[key] = value

    def _records(
        self,
        message: dict[str, Any],
        conversation_key: str,
        people: set[str],
        thread_of: ReplyThreads,
    ) -> Iterator[Record]:
        if not isinstance(message, dict) or "id" not in message:
            yield SkippedItem(conversation_key, f"a message without an id: {str(message)[:80]}")
            return
        key = str(message["id"])
        if thread_of.seen(key):
            yield SkippedItem(
                f"{conversation_key}#{key}", f"duplicate of the earlier message {key}"
            )
            return
        sent_at = _moment(message, "date_unixtime", "date")
        if sent_at is None:
            yield SkippedItem(f"{conversation_key}#{key}", "a message without a date")
            return
        is_service = message.get("type") == "service"
        author_id = message.get("actor_id" if is_service else "from_id") or message.get("from_id")
        author_name = message.get("actor" if is_service else "from") or message.get("from")
        author_key = str(author_id) if author_id else None
        if author_key and is_new(people, author_key):
            yield PersonRecord(key=author_key, display_name=str(author_name or author_key))

        text = render_text(message.get("text"))
        if is_service and not text:
            action = str(message.get("action") or "event").replace("_", " ")
            members = message.get("members") or []
            details = message.get("title") or ", ".join(str(m) for m in members if m)
            text = f"{author_name or 'Someone'}: {action}" + (f" ({details})" if details else "")
        if not text and message.get("sticker_emoji"):
            text = str(message["sticker_emoji"])
        if message.get("forwarded_from"):
            text = f"[forwarded from {message['forwarded_from']}] {text}"

        reply_to = message.get("reply_to_message_id")
        reply_key = str(reply_to) if reply_to is not None else None
        # A reply to a message not in the export (deleted, out of range) keeps no reply link.
        thread_key, reply_key = thread_of.place(key, reply_key)
        reactions = tuple(
            (str(r.get("emoji") or r.get("document_id") or r.get("type")), int(r.get("count") or 0))
            for r in message.get("reactions") or ()
            if isinstance(r, dict)
        )
        yield MessageRecord(
            key=key,
            conversation_key=conversation_key,
            thread_key=thread_key,
            author_key=author_key,
            sent_at=sent_at,
            text=text,
            raw=raw_json(message),
            reply_to_key=reply_key,
            edited_at=_moment(message, "edited_unixtime", "edited"),
            kind=MessageRecord.Kind.SYSTEM if is_service else MessageRecord.Kind.MESSAGE,
            attachments=_attachments(message),
            reactions=reactions,
        )


importer = TelegramImporter()
