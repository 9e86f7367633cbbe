"""Slack workspace export: ``users.json``, ``channels.json`` and a folder of day files per channel.

The official layout (zip or unzipped folder) is::

    users.json  channels.json  [groups.json dms.json mpims.json]
    general/2016-01-14.json  general/2016-01-15.json  ...

Each day file is a JSON list of messages and is small (one channel, one day),
so it is loaded whole, one at a time. Records come out as: people from
``users.json``, the conversations from the metadata files, then per channel
folder (sorted) its day files in date order. Authors that ``users.json`` does
not name (bots, or a missing ``users.json``) get a person record, keyed by
their Slack id, just before their first message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from handover.importers.archive import DamagedMemberError, ExportSource
from handover.importers.base import (
    AttachmentRecord,
    ConversationRecord,
    ImportFormatError,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.importers.common import is_new

DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
# Slack's markup: <@U123>, <@U123|name>, <#C123|general>, <!here>, <!subteam^S1|@team>, <url|label>.
SLACK_MARKUP = re.compile(r"<([^<>\n]+)>")

USERS_FILE = "users.json"
# Metadata file -> the kind of conversation it lists, and whether its folders are named by id.
CONVERSATION_FILES: tuple[tuple[str, str, bool], ...] = (
    ("channels.json", ConversationRecord.Kind.CHANNEL, False),
    ("groups.json", ConversationRecord.Kind.GROUP, False),
    ("mpims.json", ConversationRecord.Kind.GROUP, False),
    ("dms.json", ConversationRecord.Kind.DIRECT, True),
)
META_FILES = frozenset({USERS_FILE, *(name for name, _, _ in CONVERSATION_FILES)})

# Subtypes that record something happening in the channel rather than a person writing.
SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "app_conversation_join",
        "reminder_add",
        "sh_room_created",
        "tombstone",
    }
)


def _find_root(members: list[str]) -> str | None:
    """The folder prefix (``""`` or ``"export/"``) under which the Slack layout sits, or None."""
    for name in members:
        path = PurePosixPath(name)
        if path.name in META_FILES and len(path.parts) <= 2:
            return "" if len(path.parts) == 1 else f"{path.parts[0]}/"
    for name in members:
        path = PurePosixPath(name)
        if DAY_FILE.match(path.name) and len(path.parts) in (2, 3):
            return "" if len(path.parts) == 2 else f"{path.parts[0]}/"
    return None


def _timestamp(value: object) -> datetime:
    return datetime.fromtimestamp(float(value), tz=UTC)  # type: ignore[arg-type]


def _json_problem(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"malformed JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    return f"not readable as JSON ({error})"


class SlackImporter:
    """Reads a Slack workspace export (zip or folder)."""

    format = "slack"
    label = "Slack workspace export"

    def detect(self, source: ExportSource) -> bool:
        """A Slack export has its metadata files or channel folders of day files."""
        if source.kind == ExportSource.FILE:
            return False
        return _find_root(source.list_members()) is not None

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """People, then conversations, then each channel's messages day by day."""
        yield from source.iter_skipped()
        members = source.list_members()
        root = _find_root(members)
        if root is None:
            raise ImportFormatError(
                f"{source.name}: not a Slack export (no users.json, channels.json or "
                "channel folders with YYYY-MM-DD.json day files)."
            )
        names: dict[str, str] = {}
        people: set[str] = set()
        for record in self._iter_people(source, root):
            if isinstance(record, PersonRecord):
                names[record.key] = record.display_name
                people.add(record.key)
            yield record

        # folder name -> conversation key; the metadata decides the key when it knows the folder.
        folders: dict[str, str] = {}
        for record in self._iter_conversations(source, root, names, folders):
            yield record

        day_files: dict[str, list[str]] = {}
        for name in members:
            if not name.startswith(root):
                yield SkippedItem(name, "outside the Slack export's folder; not part of it")
                continue
            relative = name[len(root) :]
            parts = relative.split("/")
            if len(parts) == 1:
                if relative not in META_FILES:
                    yield SkippedItem(name, "not a channel day file or Slack metadata file")
                continue
            if len(parts) == 2 and DAY_FILE.match(parts[1]):
                day_files.setdefault(parts[0], []).append(name)
            else:
                yield SkippedItem(name, "not a Slack day file (expected CHANNEL/YYYY-MM-DD.json)")

        markup = _Markup(names)
        for folder in sorted(day_files):
            conversation_key = folders.get(folder)
            if conversation_key is None:
                conversation_key = folder
                folders[folder] = folder
                yield ConversationRecord(key=folder, name=folder)
            for day_file in sorted(day_files[folder]):
                yield from self._iter_day_file(
                    source, day_file, conversation_key, names, people, markup
                )

    # --- metadata ------------------------------------------------------------------------------

    def _load_list(self, source: ExportSource, name: str) -> list[Any] | SkippedItem:
        try:
            raw = source.read_member(name)
            try:
                data = json.loads(raw)
            except UnicodeDecodeError:
                # A bad byte in one message must not cost the whole day: replace it.
                data = json.loads(raw.decode("utf-8", errors="replace"))
        except ValueError as error:
            return SkippedItem(name, f"{_json_problem(error)}; the rest of the export was imported")
        except DamagedMemberError as error:
            return SkippedItem(name, f"{error}; the rest of the export was imported")
        if not isinstance(data, list):
            return SkippedItem(name, "expected a JSON list; the rest of the export was imported")
        return data

    def _iter_people(self, source: ExportSource, root: str) -> Iterator[Record]:
        name = f"{root}{USERS_FILE}"
        if not source.has_member(name):
            yield SkippedItem(
                USERS_FILE,
                "missing from the export: authors are shown by their Slack ids "
                "(U…); the messages were imported",
            )
            return
        users = self._load_list(source, name)
        if isinstance(users, SkippedItem):
            yield SkippedItem(
                users.location, f"{users.reason}; authors are shown by their Slack ids"
            )
            return
        for user in users:
            if not isinstance(user, dict) or not user.get("id"):
                yield SkippedItem(name, f"a user entry without an id: {str(user)[:80]}")
                continue
            profile = user.get("profile") or {}
            display = (
                profile.get("real_name")
                or user.get("real_name")
                or profile.get("display_name")
                or user.get("name")
                or user["id"]
            )
            yield PersonRecord(
                key=str(user["id"]),
                display_name=str(display),
                email=str(profile.get("email") or "").lower(),
                handle=str(user.get("name") or ""),
                is_bot=bool(user.get("is_bot")) or user["id"] == "USLACKBOT",
            )

    def _iter_conversations(
        self, source: ExportSource, root: str, names: dict[str, str], folders: dict[str, str]
    ) -> Iterator[Record]:
        for filename, kind, folder_is_id in CONVERSATION_FILES:
            name = f"{root}{filename}"
            if not source.has_member(name):
                continue
            entries = self._load_list(source, name)
            if isinstance(entries, SkippedItem):
                yield entries
                continue
            for entry in entries:
                if not isinstance(entry, dict) or not entry.get("id"):
                    yield SkippedItem(
                        name, f"a conversation entry without an id: {str(entry)[:80]}"
                    )
                    continue
                key = str(entry["id"])
                folder = key if folder_is_id else str(entry.get("name") or key)
                if folder in folders:
                    continue
                folders[folder] = key
                title = entry.get("name") or ""
                if kind == ConversationRecord.Kind.DIRECT and not title:
                    members = [names.get(member, member) for member in entry.get("members") or []]
                    title = ", ".join(members) or key
                topic = entry.get("topic") or {}
                purpose = entry.get("purpose") or {}
                yield ConversationRecord(
                    key=key,
                    name=str(title or key),
                    kind=kind,
                    topic=str(topic.get("value") or purpose.get("value") or ""),
                )

    # --- messages ------------------------------------------------------------------------------

    def _iter_day_file(
        self,
        source: ExportSource,
        name: str,
        conversation_key: str,
        names: dict[str, str],
        people: set[str],
        markup: _Markup,
    ) -> Iterator[Record]:
        messages = self._load_list(source, name)
        if isinstance(messages, SkippedItem):
            yield messages
            return
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or "ts" not in message:
                yield SkippedItem(f"{name}#{index}", "a message without a timestamp (ts)")
                continue
            try:
                record = self._message(message, conversation_key, markup)
            except (TypeError, ValueError, OverflowError) as error:
                yield SkippedItem(f"{name}#{index}", f"unreadable message ({error})")
                continue
            author = record.author_key
            if author is not None and is_new(people, author):
                display = _bot_name(message) or author
                names.setdefault(author, display)
                yield PersonRecord(
                    key=author,
                    display_name=display,
                    is_bot=record.kind == MessageRecord.Kind.BOT,
                )
            yield record

    def _message(
        self, message: dict[str, Any], conversation_key: str, markup: _Markup
    ) -> MessageRecord:
        # The hot path of the import (every message passes here): plain dict lookups,
        # no work for fields a message does not have.
        get = message.get
        ts = str(message["ts"])
        subtype = get("subtype")
        author = get("user") or get("bot_id") or None
        if not subtype:
            kind = MessageRecord.Kind.BOT if author and "user" not in message else _MESSAGE
        elif subtype in SYSTEM_SUBTYPES:
            kind = MessageRecord.Kind.SYSTEM
        elif subtype == "bot_message" or ("bot_id" in message and "user" not in message):
            kind = MessageRecord.Kind.BOT
        else:
            kind = _MESSAGE

        text = get("text") or ""
        if not text and get("attachments"):
            # Bot posts often carry everything in attachments; show what Slack shows as fallback.
            text = "\n".join(
                str(part.get("pretext") or part.get("fallback") or part.get("text") or "")
                for part in message["attachments"]
                if isinstance(part, dict)
            ).strip()
        elif not isinstance(text, str):
            text = str(text)
        text = markup.readable(text)

        thread_ts = get("thread_ts")
        thread_key = str(thread_ts) if thread_ts else ts

        edited = get("edited")
        edited_at = (
            _timestamp(edited["ts"]) if isinstance(edited, dict) and edited.get("ts") else None
        )

        files = get("files") or ([message["file"]] if isinstance(get("file"), dict) else None)
        attachments = _attachments(files) if files else ()
        reactions = get("reactions")
        return MessageRecord(
            key=ts,
            conversation_key=conversation_key,
            thread_key=thread_key,
            author_key=str(author) if author else None,
            sent_at=_timestamp(ts),
            text=text,
            raw=_RAW_ENCODER.encode(message),
            reply_to_key=thread_key if thread_key != ts else None,
            edited_at=edited_at,
            kind=kind,
            attachments=attachments,
            reactions=_reactions(reactions) if reactions else (),
        )


_MESSAGE = MessageRecord.Kind.MESSAGE
# One compact encoder for every message's raw copy (json.dumps would build one per call).
_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _attachments(files: list[Any]) -> tuple[AttachmentRecord, ...]:
    return tuple(
        AttachmentRecord(
            name=str(item.get("name") or item.get("title") or item.get("id") or "file"),
            mime_type=str(item.get("mimetype") or ""),
            size=item.get("size") if isinstance(item.get("size"), int) else None,
            url=str(item.get("url_private") or item.get("permalink") or ""),
        )
        for item in files
        if isinstance(item, dict)
    )


def _reactions(reactions: list[Any]) -> tuple[tuple[str, int], ...]:
    return tuple(
        (str(reaction.get("name")), int(reaction.get("count") or len(reaction.get("users") or ())))
        for reaction in reactions
        if isinstance(reaction, dict) and reaction.get("name")
    )


def _bot_name(message: dict[str, Any]) -> str:
    profile = message.get("bot_profile")
    if isinstance(profile, dict) and profile.get("name"):
        return str(profile["name"])
    return str(message.get("username") or "")


class _Markup:
    """Turns Slack's ``<...>`` markup into the text a reader sees."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def readable(self, text: str) -> str:
        if "<" in text:
            text = SLACK_MARKUP.sub(self._replace, text)
        if "&" in text:
            # Slack escapes exactly these three characters in message text.
            text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return text

    def _replace(self, match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = target[1:]
            return f"@{label or self.names.get(user, user)}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            if label:
                return label if label.startswith("@") else f"@{label}"
            command = target[1:].split("^", 1)[0]
            return f"@{command}"
        target = target.removeprefix("mailto:")
        if label and label != target:
            return f"{label} ({target})"
        return target


importer = SlackImporter()
