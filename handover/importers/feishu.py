"""Feishu / Lark chat history as the message-list API returns it (``GET /im/v1/messages``).

A file holds one response, ``{"code": 0, "msg": "success", "data": {"items":
[message, ...], "has_more": ..., "page_token": ...}}``, or a JSON array of
such responses; a zip or folder may hold many. Messages are streamed.

A message: ``message_id``, ``root_id`` and ``parent_id`` (threads),
``msg_type``, ``create_time`` and ``update_time`` (milliseconds, as text),
``updated``, ``deleted``, ``chat_id``, ``sender`` (``id``, ``sender_type``),
``body.content`` (a JSON string whose shape depends on ``msg_type``) and
``mentions`` (``@_user_1`` placeholders with the person's name). Text,
rich-text posts and cards become text; other types (images, files, stickers,
audio) become a placeholder naming the type, with file metadata as
attachments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from handover.importers.text import from_unix

# Card and post elements keep their words under these keys.
TEXT_KEYS = ("text", "content", "title")


def _post_text(post: dict[str, Any]) -> str:
    """A rich-text post: a title and paragraphs of tagged elements."""
    if "content" not in post and len(post) == 1:
        # The send-API shape wraps the post in its locale: {"zh_cn": {...}}.
        post = next(iter(post.values())) if isinstance(next(iter(post.values())), dict) else post
    lines = [str(post.get("title") or "")] if post.get("title") else []
    for paragraph in post.get("content") or ():
        parts: list[str] = []
        for element in paragraph if isinstance(paragraph, list) else ():
            if not isinstance(element, dict):
                continue
            tag = element.get("tag")
            if tag == "at":
                parts.append(f"@{element.get('user_name') or element.get('user_id') or ''}")
            elif tag == "a":
                text, href = element.get("text") or "", element.get("href") or ""
                parts.append(f"{text} ({href})" if text and href and text != href else text or href)
            elif tag in ("img", "media"):
                parts.append("[image]")
            elif tag == "emotion":
                parts.append(f":{element.get('emoji_type') or ''}:")
            else:
                parts.append(str(element.get("text") or ""))
        lines.append("".join(parts))
    return "\n".join(lines)


def _card_text(node: Any) -> str:
    """Every piece of text in an interactive card, in document order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in TEXT_KEYS and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return "\n".join(part for part in found if part.strip())


def render_content(msg_type: str, content: Any) -> tuple[str, tuple[AttachmentRecord, ...]]:
    """``(text, attachments)`` for a message body's decoded content."""
    if not isinstance(content, dict):
        return str(content or ""), ()
    if msg_type == "text":
        return str(content.get("text") or ""), ()
    if msg_type == "post":
        return _post_text(content), ()
    if msg_type == "interactive":
        return _card_text(content), ()
    if msg_type == "system":
        text = str(content.get("template") or "")
        for key, value in content.items():
            if key != "template":
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                text = text.replace(f"{{{key}}}", shown)
        return text, ()
    if msg_type in ("file", "media", "audio", "image"):
        name = content.get("file_name") or content.get("file_key") or content.get("image_key")
        return f"[{msg_type}]", (AttachmentRecord(name=str(name or msg_type), mime_type=msg_type),)
    return f"[{msg_type}]", ()


class FeishuImporter(MemberImporter):
    """Reads Feishu/Lark message-list API responses."""

    format = "feishu"
    label = "Feishu / Lark messages (message-list API JSON)"
    not_found = "no Feishu/Lark message-list response found."

    def looks_like(self, head: bytes) -> bool:
        """A JSON member with ``message_id`` and ``msg_type`` fields near its start."""
        return b'"message_id"' in head and b'"msg_type"' in head

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per response file (sorted), its messages in order; chats and senders on first use."""
        members = yield from self._start(source)
        yield from skip_unchosen(source, set(members), "not a Feishu/Lark message-list response")
        yield from iter_page_items(source, members, "data.items", _State().message)


class _State:
    def __init__(self) -> None:
        self.people: set[str] = set()
        self.names: dict[str, str] = {}
        self.conversations: set[str] = set()
        # hash() of (conversation, key): a small int per message instead of two strings.
        self.seen: set[int] = set()

    def message(self, message: Any, location: str) -> Iterator[Record]:
        if not isinstance(message, dict) or not message.get("message_id"):
            yield SkippedItem(location, "not a message (no message_id)")
            return
        key = str(message["message_id"])
        if message.get("deleted"):
            yield SkippedItem(location, f"message {key} was deleted in Feishu; nothing to import")
            return
        conversation = str(message.get("chat_id") or "feishu-chat")
        if is_new(self.conversations, conversation):
            yield ConversationRecord(
                key=conversation,
                name=f"Feishu chat {conversation}",
                kind=ConversationRecord.Kind.GROUP,
            )
        if hash((conversation, key)) in self.seen:
            yield SkippedItem(location, f"duplicate of the earlier message {key}")
            return
        try:
            sent_at = from_unix(message["create_time"], milliseconds=True)
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            yield SkippedItem(location, f"missing or unreadable create_time ({error!r})")
            return

        mentions = [m for m in message.get("mentions") or () if isinstance(m, dict)]
        for mention in mentions:
            if mention.get("id") and mention.get("name"):
                self.names.setdefault(str(mention["id"]), str(mention["name"]))
        sender = message.get("sender") or {}
        sender_type = str(sender.get("sender_type") or "")
        author_key = str(sender["id"]) if sender.get("id") else None
        if author_key and is_new(self.people, author_key):
            yield PersonRecord(
                key=author_key,
                display_name=self.names.get(author_key, author_key),
                is_bot=sender_type == "app",
            )

        msg_type = str(message.get("msg_type") or "text")
        raw_content = (message.get("body") or {}).get("content") or ""
        try:
            content = json.loads(raw_content) if isinstance(raw_content, str) else raw_content
        except ValueError:
            content = raw_content
        text, attachments = render_content(msg_type, content)
        for mention in mentions:
            if mention.get("key"):
                text = text.replace(
                    str(mention["key"]), f"@{mention.get('name') or mention.get('id')}"
                )

        if msg_type == "system" or sender_type == "system":
            kind = MessageRecord.Kind.SYSTEM
        elif sender_type == "app":
            kind = MessageRecord.Kind.BOT
        else:
            kind = MessageRecord.Kind.MESSAGE
        root = str(message.get("root_id") or "") or None
        parent = str(message.get("parent_id") or "") or None
        self.seen.add(hash((conversation, key)))
        edited_at = None
        if message.get("updated") and message.get("update_time"):
            edited_at = from_unix(message["update_time"], milliseconds=True)
        yield MessageRecord(
            key=key,
            conversation_key=conversation,
            thread_key=root or key,
            author_key=author_key,
            sent_at=sent_at,
            text=text,
            raw=raw_json(message),
            reply_to_key=parent if parent and hash((conversation, parent)) in self.seen else None,
            edited_at=edited_at,
            kind=kind,
            attachments=attachments,
        )


importer = FeishuImporter()
