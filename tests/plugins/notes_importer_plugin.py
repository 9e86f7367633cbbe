"""A test plugin that adds a tiny export format: JSON lines of ``{"tacit_note": ...}``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, Record
from plugins.hookspecs import hookimpl


class NotesImporter:
    """Each line is one note; all notes form one conversation."""

    format = "tacit-notes"
    label = "Tacit test notes (JSON lines)"

    def detect(self, source: ExportSource) -> bool:
        """The first member starts with a ``tacit_note`` object."""
        first = source.list_members()[0]
        return source.head(first, 64).startswith(b'{"tacit_note"')

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """One conversation, then one message per line."""
        yield ConversationRecord(key="notes", name="Notes")
        name = source.list_members()[0]
        with source.open_member(name) as stream:
            for number, line in enumerate(stream, start=1):
                note = json.loads(line)["tacit_note"]
                yield MessageRecord(
                    key=str(number),
                    conversation_key="notes",
                    thread_key=str(number),
                    author_key=None,
                    sent_at=datetime(2024, 1, 1, tzinfo=UTC),
                    text=note,
                )


@hookimpl
def tacit_thread_importers() -> list[object]:
    """Offer the notes format."""
    return [NotesImporter()]
