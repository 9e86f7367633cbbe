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
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime
from email.parser import BytesParser
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
from handover.importers.common import is_new
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
SURROGATES = re.compile("[\udc80-\udcff]")
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
    append = lines.append
    for line in stream:
        if line[:5] == b"From " and previous_blank and (not started or FROM_LINE.match(line)):
            if started and (lines or from_line):
                yield from_line, lines
            from_line, lines, size, started = line, [], 0, True
            append = lines.append
            previous_blank = False
            continue
        started = True
        previous_blank = line.isspace() or not line
        if size < MAX_MESSAGE_BYTES:
            # mboxrd escapes body lines that start with "From " as ">From ".
            append(line[1:] if line[:6] == b">From " else line)
            size += len(line)
    if lines or from_line:
        yield from_line, lines


class _Headers:
    """A parsed message's headers by lower-case name (first occurrence), decoded on access."""

    def __init__(self, message: email.message.Message) -> None:
        self.raw: dict[str, str] = {}
        for name, value in message.raw_items():
            self.raw.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        """A header's text: bytes decoded with fallbacks, RFC 2047 words decoded, never an error."""
        return _decode_header(self.raw.get(name.lower()))


def _decode_header(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if not text.isascii() and SURROGATES.search(text):
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


def _parse_date(value: str, from_line: str) -> datetime | None:
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


# Headers the thread planner needs; it reads them without the email package (it is slow).
PLAN_HEADERS = frozenset({b"message-id", b"in-reply-to", b"references", b"subject", b"list-id"})


def _scan_headers(lines: list[bytes]) -> dict[bytes, str]:
    """The planner's headers from a message's header block, unfolded and decoded."""
    found: dict[bytes, list[bytes]] = {}
    current: list[bytes] | None = None
    for line in lines:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                current.append(line.strip())
            continue
        name, colon, value = line.partition(b":")
        name = name.strip().lower()
        if colon and name in PLAN_HEADERS and name not in found:
            current = found[name] = [value.strip()]
        else:
            current = None
    return {
        name: _decode_header(b" ".join(parts).decode("ascii", "surrogateescape"))
        for name, parts in found.items()
    }


def _node(conversation: str, message_id: str) -> int:
    """A compact in-process id for a message id within its conversation."""
    # hash() of a str is only stable inside one process, which is all the planner needs.
    return hash((conversation, message_id))


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
        then once for the records. Memory holds a few numbers per message,
        never message text.
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
            member = PurePosixPath(name)
            if member.suffix.lower() == ".eml":
                # Single messages saved side by side belong together: one conversation per
                # folder (or per upload), not one per message.
                folder = member.parent.name or PurePosixPath(source.name).stem
                file_conversation = f"mbox:{folder}"
            else:
                file_conversation = f"mbox:{member.stem}"
            with source.open_member(name) as stream:
                state.threads.plan(_split_mbox(stream), file_conversation)
            with source.open_member(name) as stream:
                yield from self._iter_mailbox(name, stream, file_conversation, state)
        if not found:
            raise ImportFormatError(
                f"{source.name}: no mbox file, .eml message or mailing-list archive found."
            )

    def _iter_mailbox(
        self, name: str, stream: BinaryIO, file_conversation: str, state: _State
    ) -> Iterator[Record]:
        parser = BytesParser(policy=compat32)
        for index, (from_line_bytes, lines) in enumerate(_split_mbox(stream)):
            location = f"{name}#{index + 1}"
            data = b"".join(lines)
            if not data.strip():
                yield SkippedItem(location, "an empty message")
                continue
            try:
                message = parser.parsebytes(data)
            except Exception as error:  # noqa: BLE001 - the email package may raise anything
                yield SkippedItem(location, f"unreadable message ({error})")
                continue
            yield from self._records(
                message, from_line_bytes, data, location, file_conversation, state
            )

    def _records(
        self,
        message: email.message.Message,
        from_line_bytes: bytes,
        data: bytes,
        location: str,
        file_conversation: str,
        state: _State,
    ) -> Iterator[Record]:
        headers = _Headers(message)
        conversation_key, conversation_name = _conversation_of(
            headers["List-Id"], file_conversation
        )
        ids = _message_ids(headers["Message-ID"])
        key = ids[0] if ids else f"synthetic:{stable_key(from_line_bytes, data)}"
        from_header = headers["From"]
        subject = headers["Subject"]
        body, attachments = _body_and_attachments(message)
        # Same Message-ID, same sender, subject and body: the same mail delivered twice.
        fingerprint = hash((from_header, subject, body))
        emitted = state.emitted
        node = _node(conversation_key, key)
        thread_key = state.threads.thread_key(conversation_key, key)
        if node in emitted:
            if emitted[node] == fingerprint:
                yield SkippedItem(location, f"duplicate of the earlier message {key}")
                return
            # Same Message-ID, different mail (a broken mailer): keep both, apart.
            count = 2
            while _node(conversation_key, f"{key}#{count}") in emitted:
                count += 1
            key = f"{key}#{count}"
            node = _node(conversation_key, key)
        emitted[node] = fingerprint

        if is_new(state.conversations, conversation_key):
            yield ConversationRecord(
                key=conversation_key,
                name=conversation_name,
                kind=ConversationRecord.Kind.MAILING_LIST,
            )
        from_line = decode_text(from_line_bytes).strip()
        address, display = _address(from_header)
        if not address:
            # Pipermail's From_ line carries the sender when the header is missing.
            address, display = _address(from_line.split("  ")[0].removeprefix("From "))
        author_key = address or None
        if author_key and is_new(state.people, author_key):
            yield PersonRecord(key=author_key, display_name=display or author_key, email=address)

        sent_at = _parse_date(headers["Date"], from_line)
        if sent_at is None:
            sent_at = state.last_sent_at
        state.last_sent_at = sent_at
        in_reply_to = _message_ids(headers["In-Reply-To"])
        parent = (in_reply_to or _message_ids(headers["References"])[-1:] or [None])[0]
        text = strip_quotes_and_signature(body) or body.strip()
        yield MessageRecord(
            key=key,
            conversation_key=conversation_key,
            thread_key=thread_key,
            author_key=author_key,
            sent_at=sent_at,
            text=text,
            raw=body,
            subject=subject,
            reply_to_key=parent if parent and _node(conversation_key, parent) in emitted else None,
            attachments=attachments,
        )


class _State:
    """What the importer remembers across files: people, lists, threads, emitted keys."""

    def __init__(self) -> None:
        self.people: set[str] = set()
        self.conversations: set[str] = set()
        # Every message yielded (by its planner node) -> fingerprint of its content.
        self.emitted: dict[int, int] = {}
        self.threads = _Threads()
        self.last_sent_at = datetime(1970, 1, 1, tzinfo=UTC)


class _Threads:
    """Places every message in a thread before any message is parsed fully.

    Threads are the connected parts of the graph of Message-ID, References and
    In-Reply-To (so a reply met before its parent still joins it). A reply
    whose parent (In-Reply-To, else the last Reference) is not in the export
    joins the first thread with the same normalised subject. A thread's key
    is its first message (in file order) whose parent is not in the export,
    or the key it already had from an earlier file. Per message the planner
    keeps a few integers, so a mailbox of a million messages stays small.
    """

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.present: set[int] = set()
        self.root_key: dict[int, str] = {}
        self.first_by_subject: dict[int, int] = {}

    def find(self, node: int) -> int:
        """The representative of ``node``'s thread, compressing the path on the way."""
        parent = self.parent
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(self, first: int, second: int) -> None:
        """Join two threads, keeping the key of one that already has one."""
        a, b = self.find(first), self.find(second)
        if a == b:
            return
        if a in self.root_key and b not in self.root_key:
            a, b = b, a
        self.parent[a] = b
        self.root_key.pop(a, None)

    def plan(self, messages: Iterator[tuple[bytes, list[bytes]]], file_conversation: str) -> None:
        """Read one mailbox's headers and extend the threads with its messages."""
        nodes = array("q")
        parents = array("q")
        subjects = array("q")
        replies = bytearray()
        candidate_keys: dict[int, str] = {}
        for from_line, lines in messages:
            if not any(line.strip() for line in lines):
                continue
            headers = _scan_headers(lines)
            conversation, _ = _conversation_of(headers.get(b"list-id", ""), file_conversation)
            ids = _message_ids(headers.get(b"message-id", ""))
            key = ids[0] if ids else f"synthetic:{stable_key(from_line, b''.join(lines))}"
            node = _node(conversation, key)
            references = _message_ids(headers.get(b"references", ""))
            in_reply_to = _message_ids(headers.get(b"in-reply-to", ""))
            parent_id = (in_reply_to or references[-1:] or [None])[0]
            parent_node = _node(conversation, parent_id) if parent_id else 0
            if parent_node not in self.present and node not in candidate_keys:
                # Possibly a thread's first message: the only keys kept as text.
                candidate_keys[node] = key
            self.present.add(node)
            self.find(node)
            for ancestor in (*references, *in_reply_to):
                self.union(_node(conversation, ancestor), node)
            subject = headers.get(b"subject", "")
            normalised = normalise_subject(subject)
            nodes.append(node)
            parents.append(parent_node)
            subjects.append(hash((conversation, normalised)) if normalised else 0)
            replies.append(1 if parent_id or REPLY_WORD.match(subject) else 0)

        present = self.present
        for node, parent_node, subject, reply in zip(
            nodes, parents, subjects, replies, strict=True
        ):
            if not subject:
                continue
            earlier = self.first_by_subject.get(subject)
            if earlier is not None and reply and parent_node not in present:
                self.union(node, earlier)
            self.first_by_subject.setdefault(subject, node)
        for node, parent_node in zip(nodes, parents, strict=True):
            root = self.find(node)
            if root not in self.root_key and parent_node not in present:
                self.root_key[root] = candidate_keys[node]
        for node in nodes:
            # A cycle of replies has no message without a parent: its first message roots it.
            self.root_key.setdefault(self.find(node), candidate_keys.get(node, ""))

    def thread_key(self, conversation: str, key: str) -> str:
        """The planned thread key of a message; its own key if it was not planned."""
        node = _node(conversation, key)
        if node not in self.present:
            return key
        return self.root_key.get(self.find(node)) or key


importer = EmailImporter()
