"""WhatsApp "Export chat" text files (``.txt``, or the ``.zip`` with the text and media).

Each message starts a line with its date and time, in one of the layouts
the apps write depending on phone and locale::

    12/31/20, 11:59 PM - Name: text          (Android, 12 h)
    31.12.20, 23:59 - Name: text             (Android, 24 h)
    [31/12/2020, 23:59:59] Name: text        (iPhone)

Lines without such a prefix continue the previous message. Lines without
``Name:`` are system events. Whether ``01/02`` is the 1st of February or
January 2nd is decided over the whole file (a first number above 12 means
day first), which is why the file is read twice. The format has no ids, so a
message's key is a hash of its time, author, text and how many identical
messages came before it. Times carry no zone and are read as UTC.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import BinaryIO

from handover.importers.archive import ExportSource
from handover.importers.base import (
    AttachmentRecord,
    ConversationRecord,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.importers.common import MemberImporter, is_new, skip_other_files
from handover.importers.text import OccurrenceKeys

LINE = re.compile(
    r"^\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),?\s+"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?)"
    r"(?:\]\s|\s[-–]\s)(?P<rest>.*)$"
)
AUTHOR = re.compile(r"^(?P<author>[^:\"“”]{1,80}?): (?P<text>.*)$", re.DOTALL)
INVISIBLE = str.maketrans(
    {"\u200e": None, "\u200f": None, "\ufeff": None, "\u202f": " ", "\xa0": " "}
)
MEDIA_OMITTED = frozenset({"<media omitted>", "<medien ausgeschlossen>", "<multimedia omitido>"})
DELETED = frozenset(
    {"this message was deleted", "you deleted this message", "diese nachricht wurde gelöscht"}
)
EDITED = re.compile(r"\s*<(this message was edited|diese nachricht wurde bearbeitet)>\s*$", re.I)
ATTACHED = re.compile(r"^<attached: (?P<name>[^>]+)>$|^(?P<file>\S.*\S) \(file attached\)$")


@dataclass
class _Layout:
    """How the file writes dates, decided by reading all of them."""

    day_first: bool = False
    authors: set[str] = field(default_factory=set)
    messages: int = 0


def _first_line(head: bytes) -> str:
    text = head.decode("utf-8", "replace").translate(INVISIBLE)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    wrapper = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None)
    for line in wrapper:
        yield line.rstrip("\n").translate(INVISIBLE)


class WhatsAppImporter(MemberImporter):
    """Reads WhatsApp chat exports: the text file alone or the zip with media."""

    format = "whatsapp"
    label = "WhatsApp chat export (.txt or .zip)"
    not_found = "no WhatsApp chat text file found."
    suffixes = (".txt",)
    head_bytes = 2048

    def looks_like(self, head: bytes) -> bool:
        """A .txt member whose first line starts with a WhatsApp date and time."""
        return LINE.match(_first_line(head)) is not None

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per chat file: the chat, then its messages in file order, people on first sight."""
        members = yield from self._start(source)
        yield from skip_other_files(
            source,
            members,
            "media files of the chat are not imported; messages name them as attachments",
        )
        people: set[str] = set()
        for name in members:
            with source.open_member(name) as stream:
                layout = self._layout(stream)
            stem = PurePosixPath(name).stem
            if stem.startswith("_chat") or stem == "chat":
                stem = PurePosixPath(source.name).stem
            conversation_key = f"whatsapp:{stem}"
            yield ConversationRecord(
                key=conversation_key,
                name=stem.removeprefix("WhatsApp Chat with ").removeprefix("WhatsApp Chat - "),
                kind=(
                    ConversationRecord.Kind.GROUP
                    if len(layout.authors) > 2
                    else ConversationRecord.Kind.DIRECT
                ),
            )
            with source.open_member(name) as stream:
                yield from self._iter_messages(name, stream, layout, conversation_key, people)

    def _layout(self, stream: BinaryIO) -> _Layout:
        layout = _Layout()
        for line in _text_lines(stream):
            match = LINE.match(line)
            if not match:
                continue
            layout.messages += 1
            first = re.split(r"[./-]", match.group("date"))[0]
            if len(first) != 4 and int(first) > 12:
                layout.day_first = True
            author = AUTHOR.match(match.group("rest"))
            if author:
                layout.authors.add(author.group("author"))
        return layout

    def _iter_messages(
        self,
        name: str,
        stream: BinaryIO,
        layout: _Layout,
        conversation_key: str,
        people: set[str],
    ) -> Iterator[Record]:
        pending: tuple[int, re.Match[str], list[str]] | None = None
        seen = OccurrenceKeys()
        for number, line in enumerate(_text_lines(stream), start=1):
            match = LINE.match(line)
            if match:
                if pending is not None:
                    yield from self._message(name, pending, layout, conversation_key, people, seen)
                pending = (number, match, [match.group("rest")])
            elif pending is not None:
                pending[2].append(line)
            elif line.strip():
                yield SkippedItem(f"{name}:{number}", "text before the first dated message")
        if pending is not None:
            yield from self._message(name, pending, layout, conversation_key, people, seen)

    def _message(
        self,
        name: str,
        pending: tuple[int, re.Match[str], list[str]],
        layout: _Layout,
        conversation_key: str,
        people: set[str],
        seen: OccurrenceKeys,
    ) -> Iterator[Record]:
        number, match, lines = pending
        location = f"{name}:{number}"
        try:
            sent_at = self._moment(match, layout)
        except ValueError as error:
            yield SkippedItem(location, f"unreadable date or time ({error})")
            return
        body = "\n".join(lines)
        author_match = AUTHOR.match(body)
        author = author_match.group("author").strip() if author_match else None
        text = author_match.group("text") if author_match else body
        kind = MessageRecord.Kind.MESSAGE if author else MessageRecord.Kind.SYSTEM
        if text.strip().lower() in DELETED:
            yield SkippedItem(location, "deleted in WhatsApp before the export; nothing to import")
            return
        edited_at = None
        if EDITED.search(text):
            # The export marks edits without their time; the send time is the best we know.
            text = EDITED.sub("", text)
            edited_at = sent_at
        attachments: tuple[AttachmentRecord, ...] = ()
        if text.strip().lower() in MEDIA_OMITTED:
            attachments = (AttachmentRecord(name="media (not included in the export)"),)
            text = ""
        else:
            attached = ATTACHED.match(text.strip())
            if attached:
                file_name = attached.group("name") or attached.group("file")
                attachments = (AttachmentRecord(name=file_name, url=file_name),)
                text = ""
        if author and is_new(people, author):
            yield PersonRecord(key=author, display_name=author)
        key = seen.key(sent_at.isoformat(), author, text)
        yield MessageRecord(
            key=key,
            conversation_key=conversation_key,
            thread_key=key,
            author_key=author,
            sent_at=sent_at,
            text=text,
            raw=f"{match.group('date')}, {match.group('time')} - {body}",
            edited_at=edited_at,
            kind=kind,
            attachments=attachments,
        )

    def _moment(self, match: re.Match[str], layout: _Layout) -> datetime:
        raw_parts = re.split(r"[./-]", match.group("date"))
        parts = [int(part) for part in raw_parts]
        if len(raw_parts[0]) == 4:
            year, month, day = parts
        elif layout.day_first:
            day, month, year = parts
        else:
            month, day, year = parts
        if year < 100:
            year += 2000
        clock = re.split(r"[:.]", re.sub(r"\s?[AaPp]\.?\s?[Mm]\.?$", "", match.group("time")))
        hour, minute = int(clock[0]), int(clock[1])
        second = int(clock[2]) if len(clock) > 2 else 0
        ampm = (match.group("ampm") or "").lower()
        if ampm == "p" and hour < 12:
            hour += 12
        elif ampm == "a" and hour == 12:
            hour = 0
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


importer = WhatsAppImporter()
