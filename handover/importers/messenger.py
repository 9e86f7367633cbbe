"""Facebook Messenger "Download your information" JSON (``message_1.json`` per conversation).

A file is ``{"participants": [{"name"}], "messages": [{"sender_name",
"timestamp_ms", "content", "photos", "files", "audio_files", "videos",
"sticker", "share", "reactions", "is_unsent"}], "title", "thread_path"}``,
newest message first. Messages are streamed. The export writes every UTF-8
byte as its own ``\\u00XX`` escape, so text is repaired (re-read as UTF-8)
when it decodes that way. There are no message ids: a message's key is a
hash of its time, sender, text and how many identical messages came before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

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
from handover.importers.jsonstream import JSON_ERRORS, iter_items, read_prelude
from handover.importers.text import OccurrenceKeys, from_unix

MEDIA_FIELDS = ("photos", "videos", "files", "audio_files", "gifs")


def repair(text: str) -> str:
    """Undo Facebook's byte-per-character escaping of UTF-8 text, when that is what it is."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


class MessengerImporter(MemberImporter):
    """Reads Facebook Messenger JSON conversation files."""

    format = "messenger"
    label = "Facebook Messenger (JSON)"
    not_found = "no Messenger conversation JSON found."
    head_bytes = 8192

    def looks_like(self, head: bytes) -> bool:
        """A JSON member with participants and messages carrying sender_name and timestamp_ms."""
        return b'"participants"' in head and b'"sender_name"' in head and b'"timestamp_ms"' in head

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per conversation file (sorted): the conversation, then its messages as exported."""
        members = yield from self._start(source)
        yield from skip_other_files(
            source,
            members,
            "media and other files of the export are not imported; messages name them",
        )
        people: set[str] = set()
        for name in members:
            try:
                with source.open_member(name) as stream:
                    prelude = read_prelude(stream, "messages")
                # The title and thread_path come after the messages in real exports; the
                # conversation's folder (inbox/<name>_<id>/) names it as stably.
                folder = PurePosixPath(name).parent.name
                conversation_key = str(prelude.get("thread_path") or folder or name)
                participants = [
                    repair(str(p.get("name")))
                    for p in prelude.get("participants") or ()
                    if isinstance(p, dict) and p.get("name")
                ]
                title = repair(str(prelude.get("title") or "")) or ", ".join(participants)
                yield ConversationRecord(
                    key=conversation_key,
                    name=title or conversation_key,
                    kind=(
                        ConversationRecord.Kind.DIRECT
                        if len(participants) <= 2
                        else ConversationRecord.Kind.GROUP
                    ),
                )
                seen = OccurrenceKeys()
                with source.open_member(name) as stream:
                    for index, message in enumerate(iter_items(stream, "messages.item")):
                        yield from self._message(
                            message, f"{name}#{index}", conversation_key, people, seen
                        )
            except JSON_ERRORS as error:
                yield SkippedItem(name, f"malformed JSON ({error}); the file stopped here")

    def _message(
        self,
        message: Any,
        location: str,
        conversation_key: str,
        people: set[str],
        seen: OccurrenceKeys,
    ) -> Iterator[Record]:
        if not isinstance(message, dict) or not message.get("timestamp_ms"):
            yield SkippedItem(location, "a message without a timestamp")
            return
        if message.get("is_unsent"):
            yield SkippedItem(location, "unsent in Messenger before the export; nothing to import")
            return
        author = repair(str(message.get("sender_name") or "")) or None
        if author and is_new(people, author):
            yield PersonRecord(key=author, display_name=author)
        text = repair(str(message.get("content") or ""))
        share = message.get("share") or {}
        if share.get("link"):
            text = f"{text}\n{share['link']}".strip()
        attachments = tuple(
            AttachmentRecord(name=PurePosixPath(str(item.get("uri"))).name, url=str(item["uri"]))
            for field in MEDIA_FIELDS
            for item in message.get(field) or ()
            if isinstance(item, dict) and item.get("uri")
        )
        sticker = message.get("sticker")
        if isinstance(sticker, dict) and sticker.get("uri"):
            attachments += (AttachmentRecord(name="sticker", url=str(sticker["uri"])),)
        reactions = Counter(
            repair(str(r.get("reaction")))
            for r in message.get("reactions") or ()
            if isinstance(r, dict)
        )
        sent_at = from_unix(message["timestamp_ms"], milliseconds=True)
        key = seen.key(str(message["timestamp_ms"]), author, text)
        kind = MessageRecord.Kind.MESSAGE
        if message.get("type") in ("Subscribe", "Unsubscribe", "Call"):
            kind = MessageRecord.Kind.SYSTEM
        yield MessageRecord(
            key=key,
            conversation_key=conversation_key,
            thread_key=key,
            author_key=author,
            sent_at=sent_at,
            text=text,
            raw=raw_json(message),
            kind=kind,
            attachments=attachments,
            reactions=tuple(reactions.items()),
        )


importer = MessengerImporter()
