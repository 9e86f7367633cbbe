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

import re
from collections import Counter
from collections.abc import Generator, Iterator
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
from handover.importers.common import (
    MemberImporter,
    is_new,
    iter_page_items,
    raw_json,
    skip_unchosen,
)
from handover.importers.text import html_to_text, parse_iso

MENTION_TAG = re.compile(r"<at\b[^>]*>", re.IGNORECASE)
SYSTEM_TYPES = frozenset({"systemEventMessage", "chatEvent"})


class TeamsImporter(MemberImporter):
    """Reads Teams chatMessage pages from the Microsoft Graph API."""

    format = "teams"
    label = "Microsoft Teams messages (Graph API JSON)"
    not_found = 'no Microsoft Graph chatMessage JSON (a "value" list) found.'

    def looks_like(self, head: bytes) -> bool:
        """A JSON member with a ``value`` list of chatMessage objects."""
        return (b'"value"' in head or b'"@odata.context"' in head) and (
            b'"messageType"' in head and b'"createdDateTime"' in head
        )

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per page file (sorted), its messages in page order; chats and people on first use."""
        members = yield from self._start(source)
        yield from skip_unchosen(source, set(members), "not a Microsoft Graph chatMessage page")
        yield from iter_page_items(source, members, "value", _State().message)


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
        if author_key and is_new(self.people, author_key):
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
            raw=raw_json(message),
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
        if is_new(self.conversations, key):
            yield ConversationRecord(key=key, name=name, kind=kind)
        return key


importer = TeamsImporter()
