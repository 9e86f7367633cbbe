"""E-mail: mbox files, single .eml messages and pipermail text archives.

The mailbox is split on ``From `` lines by streaming it line by line (the
standard ``mailbox`` module reads whole files and raises on some real,
broken archives). Each message is parsed with the standard ``email`` package
in its tolerant ``compat32`` mode; headers are decoded piece by piece so an
unknown or wrong charset degrades to replacement characters instead of an
error.

Threads come from ``References`` and ``In-Reply-To``; a message whose
ancestors are not in the export joins a thread with the same normalised
subject when it is a reply (``Re:``, ``AW:``, ``回复:``...). The message
``text`` drops quoted replies, attribution lines, forwarded Outlook blocks and
signatures; ``raw`` keeps the whole decoded body.

Each mailing list (by ``List-Id``) is one conversation; messages without a
``List-Id`` belong to their mailbox file's conversation.
"""

from __future__ import annotations

import email.errors
import email.header
import email.message
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser, BytesParser
from email.policy import compat32
from pathlib import PurePosixPath
from typing import BinaryIO

from dateutil import parser as date_parser

from handover.importers.archive import ExportSource, decode_text
from handover.importers.base import (
    AttachmentRecord,
    ConversationRecord,
    ImportFormatError,
    MessageRecord,
    PersonRecord,
    Record,
    SkippedItem,
)
from handover.importers.text import html_to_text, stable_key

MAIL_SUFFIXES = frozenset({".mbox", ".mbx", ".eml", ".mail", ".txt", ""})
# A From_ line: "From sender date", the date ending in a time and a year.
FROM_LINE = re.compile(rb"^From \S+.*\d{1,2}:\d\d(?::\d\d)?.*\d{4}\s*$")
FROM_LINE_DATE = re.compile(r"\w{3}\s+\w{3}\s+\d{1,2}\s+\d{1,2}:\d\d(?::\d\d)?\s+\d{4}")
HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:")
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
REPLY_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|réf|rif|tr|回复|回覆|答复|转发|轉寄)\s*(\[\d+\])?\s*[:：]\s*"
    r"|\[[^\]]{1,60}\]\s*)+",
    re.IGNORECASE,
)
REPLY_WORD = re.compile(
    r"^\s*(\[[^\]]{1,60}\]\s*)*(re|fw|fwd|aw|wg|sv|vs|antw|réf|rif|tr|回复|回覆|答复|转发|轉寄)"
    r"\s*(\[\d+\])?\s*[:：]",
    re.IGNORECASE,
)
PIPERMAIL_ADDRESS = re.compile(r"^\s*([^\s@]+) at ([^\s()]+)\s*(?:\((.*)\))?\s*$")
ATTRIBUTION = re.compile(
    r"(wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|написал|写道)\s*:\s*$",
    re.IGNORECASE,
)
ATTRIBUTION_STARTS = ("On ", "Am ", "Le ", "El ", "Il ", "Op ")
OUTLOOK_BLOCK = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Forwarded message)"
    r"\s*-{2,}|_{10,}\s*$)",
    re.IGNORECASE,
)
LIST_FOOTER = re.compile(r"^_{20,}\s*$")
# One message larger than this keeps only its first bytes: a mailbox with a
# huge attachment must not take the worker's memory.
MAX_MESSAGE_BYTES = 32 * 1024 * 1024
HEAD_SNIFF_BYTES = 8192


def _is_mail_member(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in MAIL_SUFFIXES


def _looks_like_mail(head: bytes) -> bool:
    """Whether the start of a file is an mbox (From_ line) or a message's header block."""
    lines = head.split(b"\n", 12)
    if not lines:
        return False
    first = lines[0].rstrip(b"\r")
    header_lines = sum(1 for line in lines[1:] if HEADER_LINE.match(line))
    if first.startswith(b"From ") and header_lines >= 2:
        return True
    if HEADER_LINE.match(first):
        names = {line.split(b":", 1)[0].lower() for line in lines if HEADER_LINE.match(line)}
        return len(names & {b"from", b"to", b"subject", b"date", b"message-id", b"received"}) >= 2
    return False


def _split_mbox(stream: BinaryIO) -> Iterator[tuple[bytes, list[bytes]]]:
    """Yield ``(from_line, message_lines)`` per message, reading one line at a time.

    A new message starts at a From_ line at the start of the file or after a
    blank line; text before the first From_ line is a message of its own when
    it starts with headers (a single .eml file).
    """
    from_line = b""
    lines: list[bytes] = []
    size = 0
    previous_blank = True
    started = False
    for line in stream:
        if previous_blank and line.startswith(b"From ") and (not started or FROM_LINE.match(line)):
            if started and (lines or from_line):
                yield from_line, lines
            from_line, lines, size, started = line, [], 0, True
            previous_blank = False
            continue
        if not started:
            started = True
        previous_blank = not line.strip()
        if size < MAX_MESSAGE_BYTES:
            # mboxrd escapes body lines that start with "From " as ">From ".
            lines.append(line[1:] if line.startswith(b">From ") else line)
            size += len(line)
    if lines or from_line:
        yield from_line, lines


def _header(message: email.message.Message, name: str) -> str:
    """A header's text: raw bytes decoded with fallbacks, RFC 2047 words decoded, never an error."""
    wanted = name.lower()
    for header_name, value in message.raw_items():
        if header_name.lower() == wanted:
            return _decode_header(value)
    return ""


def _decode_header(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if any("\udc80" <= char <= "\udcff" for char in text):
        # Non-ASCII bytes in a header (no RFC 2047): the parser kept them as surrogates.
        text = decode_text(text.encode("utf-8", "surrogateescape"))
    if "=?" not in text:
        return " ".join(text.split())
    try:
        parts = email.header.decode_header(text)
    except (ValueError, LookupError, AssertionError, email.errors.HeaderParseError):
        return " ".join(text.split())
    decoded = []
    for part, charset in parts:
        if isinstance(part, bytes):
            decoded.append(decode_text(part, _charset(charset)))
        else:
            decoded.append(part)
    return " ".join("".join(decoded).split())


def _charset(charset: object) -> str | None:
    name = str(charset) if charset else None
    if not name or name in {"unknown-8bit", "us-ascii"}:
        return None
    return name


def _message_ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value) or (
        [value.strip()] if value.strip() and " " not in value else []
    )


def _address(value: str) -> tuple[str, str]:
    """``(email, display name)`` from a From header, reading pipermail's "x at y" too."""
    match = PIPERMAIL_ADDRESS.match(value)
    if match:
        return f"{match.group(1)}@{match.group(2)}".lower(), (match.group(3) or "").strip()
    name, address = email.utils.parseaddr(value)
    return address.strip().lower(), name.strip().strip('"')


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags, folded for matching."""
    return " ".join(REPLY_PREFIX.sub("", subject).split()).casefold()


def strip_quotes_and_signature(body: str) -> str:
    """What the author wrote: quoted lines, attributions, forwarded blocks and signatures go."""
    kept: list[str] = []
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or LIST_FOOTER.match(line):
            break
        if OUTLOOK_BLOCK.match(line) and index > 0:
            break
        if line.lstrip().startswith(">"):
            continue
        if ATTRIBUTION.search(line):
            following = next((nxt for nxt in lines[index + 1 :] if nxt.strip()), "")
            starts_like_attribution = line.lstrip().startswith(ATTRIBUTION_STARTS)
            if starts_like_attribution or not following or following.lstrip().startswith(">"):
                # A two-line attribution starts with "On ..." on the line before.
                if kept and kept[-1].lstrip().startswith(ATTRIBUTION_STARTS):
                    kept.pop()
                continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text


def _parse_date(message: email.message.Message, from_line: str) -> datetime | None:
    value = _header(message, "Date")
    if value:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            moment = None
        if moment is None:
            try:
                moment = date_parser.parse(value, fuzzy=True)
            except (ValueError, OverflowError):
                moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    match = FROM_LINE_DATE.search(from_line)
    if match:
        try:
            return date_parser.parse(match.group(0)).replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            return None
    return None


def _body_and_attachments(
    message: email.message.Message,
) -> tuple[str, tuple[AttachmentRecord, ...]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[AttachmentRecord] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = str(part.get("Content-Disposition") or "").lower()
        filename = part.get_filename()
        if filename or disposition.startswith("attachment") or not content_type.startswith("text/"):
            payload = part.get_payload(decode=True)
            attachments.append(
                AttachmentRecord(
                    name=_decode_header(filename) or "attachment",
                    mime_type=content_type,
                    size=len(payload) if isinstance(payload, bytes) else None,
                )
            )
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = str(part.get_payload()).encode("utf-8", "replace")
        text = decode_text(payload, part.get_content_charset())
        if content_type == "text/html":
            html.append(html_to_text(text))
        else:
            plain.append(text)
    body = "\n\n".join(plain) if plain else "\n\n".join(html)
    return body.replace("\r\n", "\n"), tuple(attachments)


def _conversation_of(list_id_header: str, file_conversation: str) -> tuple[str, str]:
    """``(key, name)`` of a message's conversation: its mailing list, else its mailbox file."""
    list_ids = MESSAGE_ID.findall(list_id_header)
    if list_ids:
        return f"list:{list_ids[-1].lower()}", list_id_header.split("<")[0].strip() or list_ids[-1]
    return file_conversation, file_conversation.removeprefix("mbox:")


@dataclass
class _Planned:
    """One message's identity and place in its thread, worked out before it is parsed fully."""

    conversation: str
    key: str
    thread_key: str = ""
    reply_to_key: str | None = None
    duplicate_of: str | None = None


class EmailImporter:
    """Reads mbox files, .eml messages and pipermail archives, alone or in a zip or folder."""

    format = "email"
    label = "E-mail (mbox, .eml, mailing-list archive)"

    def detect(self, source: ExportSource) -> bool:
        """An mbox or .eml file, or a folder/zip whose first mail-like member is one."""
        for name in source.list_members():
            if not _is_mail_member(name):
                continue
            if _looks_like_mail(source.head(name, HEAD_SNIFF_BYTES)):
                return True
        return False

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Per mailbox file (sorted), its messages in file order, people and lists on first use.

        Each file is read twice: once for the headers that place messages in
        threads (an archive may hold a reply before the message it answers),
        then once for the records. Memory grows with the number of messages'
        ids, never with their size.
        """
        yield from source.iter_skipped()
        state = _State()
        found = False
        for name in source.list_members():
            if not _is_mail_member(name) or not _looks_like_mail(
                source.head(name, HEAD_SNIFF_BYTES)
            ):
                yield SkippedItem(name, "not an e-mail file (mbox, .eml or mailing-list archive)")
                continue
            found = True
            file_conversation = f"mbox:{PurePosixPath(name).stem}"
            with source.open_member(name) as stream:
                plan = state.plan(_split_mbox(stream), file_conversation)
            with source.open_member(name) as stream:
                yield from self._iter_mailbox(name, stream, plan, file_conversation, state)
        if not found:
            raise ImportFormatError(
                f"{source.name}: no mbox file, .eml message or mailing-list archive found."
            )

    def _iter_mailbox(
        self,
        name: str,
        stream: BinaryIO,
        plan: list[_Planned | None],
        file_conversation: str,
        state: _State,
    ) -> Iterator[Record]:
        parser = BytesParser(policy=compat32)
        for index, (from_line_bytes, lines) in enumerate(_split_mbox(stream)):
            location = f"{name}#{index + 1}"
            planned = plan[index]
            if planned is None:
                yield SkippedItem(location, "an empty message")
                continue
            if planned.duplicate_of:
                yield SkippedItem(
                    location, f"duplicate of the earlier message {planned.duplicate_of}"
                )
                continue
            try:
                message = parser.parsebytes(b"".join(lines))
            except Exception as error:  # noqa: BLE001 - the email package may raise anything
                yield SkippedItem(location, f"unreadable message ({error})")
                continue
            from_line = decode_text(from_line_bytes).strip()
            yield from self._records(message, from_line, planned, state)

    def _records(
        self, message: email.message.Message, from_line: str, planned: _Planned, state: _State
    ) -> Iterator[Record]:
        conversation_key, conversation_name = _conversation_of(
            _header(message, "List-Id"), planned.conversation
        )
        if conversation_key not in state.conversations:
            state.conversations.add(conversation_key)
            yield ConversationRecord(
                key=conversation_key,
                name=conversation_name,
                kind=ConversationRecord.Kind.MAILING_LIST,
            )

        address, display = _address(_header(message, "From"))
        if not address:
            # Pipermail's From_ line carries the sender when the header is missing.
            address, display = _address(from_line.split("  ")[0].removeprefix("From "))
        author_key = address or None
        if author_key and author_key not in state.people:
            state.people.add(author_key)
            yield PersonRecord(key=author_key, display_name=display or author_key, email=address)

        body, attachments = _body_and_attachments(message)
        sent_at = _parse_date(message, from_line)
        if sent_at is None:
            sent_at = state.last_sent_at
        state.last_sent_at = sent_at
        text = strip_quotes_and_signature(body) or body.strip()
        yield MessageRecord(
            key=planned.key,
            conversation_key=conversation_key,
            thread_key=planned.thread_key,
            author_key=author_key,
            sent_at=sent_at,
            text=text,
            raw=body,
            subject=_header(message, "Subject"),
            reply_to_key=planned.reply_to_key,
            attachments=attachments,
        )


class _State:
    """What the importer remembers across files: people, lists, thread of every message id."""

    def __init__(self) -> None:
        self.people: set[str] = set()
        self.conversations: set[str] = set()
        # (conversation, message key) -> thread key, for every message already placed.
        self.thread_of: dict[tuple[str, str], str] = {}
        self.fingerprints: dict[tuple[str, str], str] = {}
        # (conversation, normalised subject) -> thread key of the first thread with it.
        self.subject_thread: dict[tuple[str, str], str] = {}
        self.last_sent_at = datetime(1970, 1, 1, tzinfo=UTC)

    def plan(
        self, messages: Iterator[tuple[bytes, list[bytes]]], file_conversation: str
    ) -> list[_Planned | None]:
        """Keys, threads and duplicates of one mailbox's messages, from their headers.

        Threads are the connected parts of the graph of Message-ID, References
        and In-Reply-To (so a reply found before its parent still joins it);
        a reply whose ancestors are all missing joins the first thread with
        the same normalised subject. A thread's key is that of its first
        message (in file order) that answers nobody in the file, or the thread
        already known from an earlier file.
        """
        header_parser = BytesHeaderParser(policy=compat32)
        planned: list[_Planned | None] = []
        links: list[tuple[list[str], str, bool]] = []
        parent: dict[tuple[str, str], tuple[str, str]] = {}

        def find(node: tuple[str, str]) -> tuple[str, str]:
            root = node
            while parent.setdefault(root, root) != root:
                root = parent[root]
            while parent[node] != root:
                parent[node], node = root, parent[node]
            return root

        present: set[tuple[str, str]] = set()
        for from_line, lines in messages:
            data = b"".join(lines)
            if not data.strip():
                planned.append(None)
                links.append(([], "", False))
                continue
            head, _, body = data.partition(b"\n\n")
            headers = header_parser.parsebytes(head + b"\n\n")
            conversation, _ = _conversation_of(_header(headers, "List-Id"), file_conversation)
            ids = _message_ids(_header(headers, "Message-ID"))
            key = ids[0] if ids else f"synthetic:{stable_key(from_line, data)}"
            subject = _header(headers, "Subject")
            fingerprint = stable_key(_header(headers, "From"), subject, body)
            node = (conversation, key)
            if node in self.fingerprints:
                if self.fingerprints[node] == fingerprint:
                    planned.append(_Planned(conversation, key, duplicate_of=key))
                    links.append(([], "", False))
                    continue
                count = 2
                while (conversation, f"{key}#{count}") in self.fingerprints:
                    count += 1
                key = f"{key}#{count}"
                node = (conversation, key)
            self.fingerprints[node] = fingerprint
            references = _message_ids(_header(headers, "References"))
            in_reply_to = _message_ids(_header(headers, "In-Reply-To"))
            ancestors = references + [ref for ref in in_reply_to if ref not in references]
            parent_id = (in_reply_to or references[-1:] or [None])[0]
            item = _Planned(conversation, key)
            placed = (conversation, parent_id)
            if parent_id and (placed in self.thread_of or placed in present):
                item.reply_to_key = parent_id
            planned.append(item)
            is_reply = bool(ancestors) or bool(REPLY_WORD.match(subject))
            links.append((ancestors, normalise_subject(subject), is_reply))
            present.add(node)
            find(node)
            for ancestor in ancestors:
                parent[find((conversation, ancestor))] = find(node)

        # A reply whose thread is not otherwise in this file joins by subject.
        first_by_subject: dict[tuple[str, str], tuple[str, str]] = {}
        for item, (ancestors, subject, is_reply) in zip(planned, links, strict=True):
            if item is None or item.duplicate_of or not subject:
                continue
            node = (item.conversation, item.key)
            subject_node = (item.conversation, subject)
            earlier = first_by_subject.get(subject_node)
            connected = any((item.conversation, a) in present for a in ancestors)
            if earlier is not None and is_reply and not connected:
                parent[find(node)] = find(earlier)
            first_by_subject.setdefault(subject_node, node)

        # Each component's thread key: a thread from an earlier file, else its first root.
        component_thread: dict[tuple[str, str], str] = {}
        for item, (ancestors, subject, is_reply) in zip(planned, links, strict=True):
            if item is None or item.duplicate_of:
                continue
            root = find((item.conversation, item.key))
            if root in component_thread:
                continue
            known = next(
                (
                    self.thread_of[(item.conversation, a)]
                    for a in ancestors
                    if (item.conversation, a) in self.thread_of
                ),
                None,
            )
            if known is None and is_reply and subject:
                known = self.subject_thread.get((item.conversation, subject))
            if known is not None:
                component_thread[root] = known
        for item, (ancestors, _, _) in zip(planned, links, strict=True):
            if item is None or item.duplicate_of:
                continue
            root = find((item.conversation, item.key))
            answers_someone_here = any((item.conversation, a) in present for a in ancestors)
            if root not in component_thread and not answers_someone_here:
                component_thread[root] = item.key
        for item, (_, subject, _) in zip(planned, links, strict=True):
            if item is None or item.duplicate_of:
                continue
            root = find((item.conversation, item.key))
            # A cycle of replies answers someone everywhere: its first message roots it.
            item.thread_key = component_thread.setdefault(root, item.key)
            self.thread_of[(item.conversation, item.key)] = item.thread_key
            if subject:
                self.subject_thread.setdefault((item.conversation, subject), item.thread_key)
        return planned


importer = EmailImporter()
