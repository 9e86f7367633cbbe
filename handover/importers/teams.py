"""Microsoft Teams chat and channel messages as the Graph API returns them.

A file holds one response page, ``{"@odata.context": ..., "value":
[chatMessage, ...], "@odata.nextLink": ...}``, or a JSON array of such pages
(what a script that follows ``nextLink`` and saves everything writes); a zip
or folder may hold many such files. Messages are streamed with ijson.

chatMessage fields used: ``id``, ``replyToId`` (channel replies point at the
thread's root), ``createdDateTime``, ``lastEditedDateTime``,
``deletedDateTime`` (deleted messages are reported, not imported),
``messageType`` (``systemEventMessage`` is a system message), ``from``
(``user`` or ``application``), ``body`` (HTML becomes text),
``attachments``, ``reactions``, ``subject``, ``chatId`` or
``channelIdentity``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Generator, Iterator
from typing import Any

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
from handover.importers.jsonstream import JSON_ERRORS, iter_items, top_level_kind
from handover.importers.text import html_to_text, parse_iso

MENTION_TAG = re.compile(r"<at\b[^>]*>", re.IGNORECASE)
SYSTEM_TYPES = frozenset({"systemEventMessage", "chatEvent"})


def _looks_like_teams(head: bytes) -> bool:
    return (b'"value"' in head or b'"@odata.context"' in head) and (
        b'"messageType"' in head and b'"createdDateTime"' in head
    )


class TeamsImporter:
    """Reads Teams chatMessage pages from the Microsoft Graph API."""

    format = "teams"
    label = "Microsoft Teams messages (Graph API JSON)"

    def detect(self, source: ExportSource) -> bool:
        """A JSON member with a ``value`` list of chatMessage objects."""
        return any(True for _ in self._members(source))

    def _members(self, source: ExportSource) -> Iterator[str]:
        for name in source.list_members():
            if name.lower().endswith(".json") and _looks_like_teams(source.head(name, 16384)):
                yield name

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per page file (sorted), its messages in page order; chats and people on first use."""
        yield from source.iter_skipped()
        members = list(self._members(source))
        if not members:
            raise ImportFormatError(
                f'{source.name}: no Microsoft Graph chatMessage JSON (a "value" list) found.'
            )
        chosen = set(members)
        for name in source.list_members():
            if name not in chosen:
                yield SkippedItem(name, "not a Microsoft Graph chatMessage page")
        state = _State()
        for name in members:
            with source.open_member(name) as stream:
                prefix = (
                    "item.value.item"
                    if top_level_kind(stream.read(64)) == "array"
                    else "value.item"
                )
            try:
                with source.open_member(name) as stream:
                    for index, message in enumerate(iter_items(stream, prefix)):
                        yield from state.message(message, f"{name}#{index}")
            except JSON_ERRORS as error:
                yield SkippedItem(
                    name, f"malformed JSON ({error}); the messages before it were imported"
                )


class _State:
    def __init__(self) -> None:
        self.people: set[str] = set()
        self.conversations: set[str] = set()
        # hash() of (conversation, key): a small int per message instead of two strings.
        self.seen: set[int] = set()

    def message(self, message: Any, location: str) -> Iterator[Record]:
        if not isinstance(message, dict) or not message.get("id"):
            yield SkippedItem(location, "not a chatMessage (no id)")
            return
        key = str(message["id"])
        if message.get("deletedDateTime"):
            yield SkippedItem(location, f"message {key} was deleted in Teams; nothing to import")
            return
        conversation = yield from self._conversation(message)
        if hash((conversation, key)) in self.seen:
            yield SkippedItem(location, f"duplicate of the earlier message {key}")
            return
        try:
            sent_at = parse_iso(str(message["createdDateTime"]))
            edited = message.get("lastEditedDateTime")
            edited_at = parse_iso(str(edited)) if edited else None
        except (KeyError, ValueError) as error:
            yield SkippedItem(location, f"missing or unreadable createdDateTime ({error})")
            return

        sender = message.get("from") or {}
        user = sender.get("user") or {}
        application = sender.get("application") or {}
        who = user or application
        author_key = str(who["id"]) if who.get("id") else None
        if author_key and author_key not in self.people:
            self.people.add(author_key)
            yield PersonRecord(
                key=author_key,
                display_name=str(who.get("displayName") or author_key),
                is_bot=bool(application and not user),
            )

        body = message.get("body") or {}
        content = str(body.get("content") or "")
        if str(body.get("contentType") or "").lower() == "html":
            content = html_to_text(MENTION_TAG.sub("@", content))
        if message.get("messageType") in SYSTEM_TYPES:
            kind = MessageRecord.Kind.SYSTEM
            if not content:
                detail = (message.get("eventDetail") or {}).get("@odata.type", "event")
                content = str(detail).rsplit(".", 1)[-1]
        elif application and not user:
            kind = MessageRecord.Kind.BOT
        else:
            kind = MessageRecord.Kind.MESSAGE

        reply_to = str(message["replyToId"]) if message.get("replyToId") else None
        self.seen.add(hash((conversation, key)))
        reactions = Counter(
            str(r.get("reactionType") or r.get("displayName") or "?")
            for r in message.get("reactions") or ()
            if isinstance(r, dict)
        )
        attachments = tuple(
            AttachmentRecord(
                name=str(item.get("name") or item.get("id") or "attachment"),
                mime_type=str(item.get("contentType") or ""),
                url=str(item.get("contentUrl") or ""),
            )
            for item in message.get("attachments") or ()
            if isinstance(item, dict) and item.get("contentType") != "messageReference"
        )
        yield MessageRecord(
            key=key,
            conversation_key=conversation,
            # Channel replies name their thread's root; chats have no threads of their own.
            thread_key=reply_to or key,
            author_key=author_key,
            sent_at=sent_at,
            text=content,
            raw=json.dumps(message, ensure_ascii=False, default=str),
            subject=str(message.get("subject") or ""),
            reply_to_key=reply_to
            if reply_to and hash((conversation, reply_to)) in self.seen
            else None,
            edited_at=edited_at,
            kind=kind,
            attachments=attachments,
            reactions=tuple(sorted(reactions.items())),
        )

    def _conversation(self, message: dict[str, Any]) -> Generator[Record, None, str]:
        channel = message.get("channelIdentity") or {}
        if channel.get("channelId"):
            key = f"{channel.get('teamId') or ''}/{channel['channelId']}"
            name = f"Teams channel {channel['channelId']}"
            kind = ConversationRecord.Kind.CHANNEL
        else:
            key = str(message.get("chatId") or "teams-chat")
            name = f"Teams chat {key}"
            kind = ConversationRecord.Kind.GROUP
        if key not in self.conversations:
            self.conversations.add(key)
            yield ConversationRecord(key=key, name=name, kind=kind)
        return key


importer = TeamsImporter()
