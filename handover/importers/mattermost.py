"""Mattermost bulk export (``mmctl export create``): a JSONL file, one object per line.

Lines have a ``type`` naming their payload: ``version`` (first line),
``team``, ``channel``, ``user``, ``post`` (with its ``replies`` nested),
``direct_channel`` and ``direct_post``. Times are Unix milliseconds. The
export carries no post ids, so a post's key is its creation time and author
(``1600000000000:ada``), with a counter when two posts share both; this is
stable across exports of the same workspace.

The file is read line by line, so memory holds one post and its replies.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from pathlib import PurePosixPath
from typing import Any

from handover.importers.archive import ExportSource, decode_text
from handover.importers.base import (
    AttachmentRecord,
    ConversationRecord,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.importers.common import MemberImporter, is_new, skip_other_files
from handover.importers.text import from_unix

LINE_TYPES = frozenset(
    {
        "version",
        "team",
        "channel",
        "user",
        "post",
        "direct_channel",
        "direct_post",
        "emoji",
        "scheme",
    }
)
JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")


def _first_line_type(head: bytes) -> str:
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        value = json.loads(first)
    except ValueError:
        return ""
    return str(value.get("type")) if isinstance(value, dict) else ""


class MattermostImporter(MemberImporter):
    """Reads a Mattermost bulk export JSONL file (alone, or in the export's zip)."""

    format = "mattermost"
    label = "Mattermost bulk export (JSONL)"
    not_found = (
        'no Mattermost bulk export file (JSONL starting with a {"type": "version"} line) found.'
    )
    suffixes = JSONL_SUFFIXES
    head_bytes = 4096

    def looks_like(self, head: bytes) -> bool:
        """A JSONL member whose first line is the export's ``version`` line."""
        return _first_line_type(head) == "version"

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """In file order: teams and users as met, channels, then posts with their replies."""
        members = yield from self._start(source)
        yield from skip_other_files(
            source,
            members,
            "attachment files of the export are not imported; posts name them as attachments",
        )
        state = _State()
        for name in members:
            with source.open_member(name) as stream:
                for number, raw_line in enumerate(stream, start=1):
                    if not raw_line.strip():
                        continue
                    location = f"{name}:{number}"
                    try:
                        line = json.loads(decode_text(raw_line))
                    except ValueError as error:
                        yield SkippedItem(location, f"malformed JSON line ({error})")
                        continue
                    if not isinstance(line, dict) or line.get("type") not in LINE_TYPES:
                        kind = line.get("type") if isinstance(line, dict) else type(line).__name__
                        yield SkippedItem(location, f"unknown line type {kind!r}")
                        continue
                    try:
                        yield from state.line(line, location)
                    except (KeyError, TypeError, ValueError, OverflowError) as error:
                        yield SkippedItem(location, f"incomplete {line['type']} line ({error!r})")


class _State:
    """People, channels and post keys met so far in the export."""

    def __init__(self) -> None:
        self.people: set[str] = set()
        self.conversations: set[str] = set()
        # hash() of (conversation, key) of every post: a small int each, not the text.
        self.keys: set[int] = set()
        self.team_names: dict[str, str] = {}

    def line(self, line: dict[str, Any], location: str) -> Iterator[Record]:
        kind = line["type"]
        payload = line.get(kind) or {}
        if kind == "team":
            self.team_names[payload["name"]] = payload.get("display_name") or payload["name"]
        elif kind == "user":
            yield from self._person(payload)
        elif kind == "channel":
            yield from self._conversation(
                f"{payload['team']}/{payload['name']}",
                self._channel_title(payload),
                ConversationRecord.Kind.GROUP
                if payload.get("type") == "P"
                else ConversationRecord.Kind.CHANNEL,
                str(payload.get("purpose") or payload.get("header") or ""),
            )
        elif kind == "direct_channel":
            members = sorted(str(m) for m in payload.get("members") or ())
            yield from self._direct(members, str(payload.get("header") or ""))
        elif kind == "post":
            key = f"{payload['team']}/{payload['channel']}"
            yield from self._conversation(
                key, payload["channel"], ConversationRecord.Kind.CHANNEL, ""
            )
            yield from self._post(payload, key, location)
        elif kind == "direct_post":
            members = sorted(str(m) for m in payload.get("channel_members") or ())
            key = yield from self._direct(members, "")
            yield from self._post(payload, key, location)

    def _channel_title(self, payload: dict[str, Any]) -> str:
        team = self.team_names.get(payload["team"], payload["team"])
        return f"{team} / {payload.get('display_name') or payload['name']}"

    def _person(self, user: dict[str, Any]) -> Iterator[Record]:
        username = str(user["username"])
        if not is_new(self.people, username):
            return
        full = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
        yield PersonRecord(
            key=username,
            display_name=full or str(user.get("nickname") or "") or username,
            email=str(user.get("email") or "").lower(),
            handle=username,
        )

    def _conversation(self, key: str, name: str, kind: str, topic: str) -> Iterator[Record]:
        if is_new(self.conversations, key):
            yield ConversationRecord(key=key, name=name, kind=kind, topic=topic)

    def _direct(self, members: list[str], header: str) -> Generator[Record, None, str]:
        key = "direct:" + ",".join(members)
        kind = (
            ConversationRecord.Kind.DIRECT if len(members) <= 2 else ConversationRecord.Kind.GROUP
        )
        yield from self._conversation(key, ", ".join(members), kind, header)
        return key

    def _post(self, post: dict[str, Any], conversation: str, location: str) -> Iterator[Record]:
        root = yield from self._message(post, conversation, None, location)
        for index, reply in enumerate(post.get("replies") or ()):
            yield from self._message(reply, conversation, root, f"{location}#reply{index + 1}")

    def _message(
        self, post: dict[str, Any], conversation: str, root: str | None, location: str
    ) -> Generator[Record, None, str]:
        author = str(post.get("user") or "") or None
        if author and is_new(self.people, author):
            yield PersonRecord(key=author, display_name=author, handle=author)
        created = int(post["create_at"])
        key = f"{created}:{author or ''}"
        taken = self.keys
        if hash((conversation, key)) in taken:
            count = 2
            while hash((conversation, f"{key}#{count}")) in taken:
                count += 1
            key = f"{key}#{count}"
        taken.add(hash((conversation, key)))
        counts: dict[str, int] = {}
        for reaction in post.get("reactions") or ():
            emoji = str(reaction.get("emoji_name") or "?")
            counts[emoji] = counts.get(emoji, 0) + 1
        edit_at = post.get("edit_at")
        yield MessageRecord(
            key=key,
            conversation_key=conversation,
            thread_key=root or key,
            author_key=author,
            sent_at=from_unix(created, milliseconds=True),
            text=str(post.get("message") or ""),
            raw=json.dumps({k: v for k, v in post.items() if k != "replies"}, ensure_ascii=False),
            reply_to_key=root,
            edited_at=from_unix(edit_at, milliseconds=True) if edit_at else None,
            attachments=tuple(
                AttachmentRecord(
                    name=PurePosixPath(str(item.get("path"))).name, url=str(item["path"])
                )
                for item in post.get("attachments") or ()
                if isinstance(item, dict) and item.get("path")
            ),
            reactions=tuple(counts.items()),
        )
        return key


importer = MattermostImporter()
