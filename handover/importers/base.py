"""The importer contract: one module per export format yields normalised records.

An importer reads an :class:`ExportSource` (a file, a folder or an archive,
opened safely by ``handover.importers.archive``) and yields records in a
deterministic order: the same input always gives the same records in the same
order, so an interrupted import can resume by position and a repeated import
can be matched record by record. People and conversations are yielded before
the first message that refers to them. Problems with single items (a broken
file inside the export, an undecodable message) become :class:`SkippedItem`
records; only a source that cannot be read at all raises
:class:`ImportFormatError`.

Importers never touch the database: ``handover.imports`` stores the records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from handover.importers.archive import ExportSource


class ImportFormatError(Exception):
    """The export cannot be read as this format at all; the message says why, for a person."""


@dataclass(frozen=True)
class PersonRecord:
    """A participant as the export names them.

    ``key`` is the export's own stable id (Slack ``U024BE7LH``, a lower-cased
    e-mail address, a Telegram ``user123``); ``email`` and ``handle`` let people
    be matched across sources.
    """

    key: str
    display_name: str
    email: str = ""
    handle: str = ""
    is_bot: bool = False


@dataclass(frozen=True)
class ConversationRecord:
    """A channel, a direct or group chat, or a mailing list."""

    class Kind:
        CHANNEL = "channel"
        DIRECT = "direct"
        GROUP = "group"
        MAILING_LIST = "mailing_list"

    key: str
    name: str
    kind: str = Kind.CHANNEL
    topic: str = ""


@dataclass(frozen=True)
class AttachmentRecord:
    """Metadata of a file shared in a message; the file itself is not imported."""

    name: str
    mime_type: str = ""
    size: int | None = None
    url: str = ""


@dataclass(frozen=True)
class MessageRecord:
    """One message.

    ``key`` is the export's own id, unique within its conversation (a Slack
    ``ts``, a Message-ID, a Telegram message id). ``thread_key`` is the key of
    the thread's root message (equal to ``key`` for a root). ``text`` is what a
    reader sees (for mail: without quoted replies and signatures); ``raw`` keeps
    the record as exported. ``sent_at`` and ``edited_at`` are aware datetimes.
    """

    class Kind:
        MESSAGE = "message"
        BOT = "bot"
        SYSTEM = "system"

    key: str
    conversation_key: str
    thread_key: str
    author_key: str | None
    sent_at: datetime
    text: str
    raw: str = ""
    subject: str = ""
    reply_to_key: str | None = None
    edited_at: datetime | None = None
    kind: str = Kind.MESSAGE
    attachments: tuple[AttachmentRecord, ...] = ()
    reactions: tuple[tuple[str, int], ...] = field(default=())

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None


@dataclass(frozen=True)
class SkippedItem:
    """Something in the export that was not imported, and why (shown in the report)."""

    location: str
    reason: str


Record = PersonRecord | ConversationRecord | MessageRecord | SkippedItem


@runtime_checkable
class Importer(Protocol):
    """What every format module provides (as a module-level object named ``importer``)."""

    format: str
    label: str

    def detect(self, source: ExportSource) -> bool:
        """Whether ``source`` looks like this format; cheap, reads as little as it can."""
        ...

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Stream the records of ``source`` in a deterministic order."""
        ...
