"""Small text helpers shared by the importers: HTML to plain text, stable keys, timestamps.

HTML is turned into text with the standard library's tolerant ``HTMLParser``
(it never raises on broken markup); block elements become line breaks so a
reader sees paragraphs, and script/style content is dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser

from dateutil.parser import isoparse

BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
    }
)
HIDDEN_TAGS = frozenset({"script", "style", "head", "title"})
MANY_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
TRAILING_SPACES = re.compile(r"[ \t]+\n")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The text a reader of ``markup`` sees, with paragraphs and list items on their own lines."""
    if "<" not in markup and "&" not in markup:
        return markup.strip()
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ").replace("\r\n", "\n")
    text = TRAILING_SPACES.sub("\n", text)
    return MANY_BLANK_LINES.sub("\n\n", text).strip()


def stable_key(*parts: object) -> str:
    """A short hash of ``parts`` for formats whose items have no id of their own."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


class OccurrenceKeys:
    """Keys for formats without message ids: a hash of time, author and text, and a counter.

    Two identical messages (same time, author and text) get different keys by
    counting how many identical ones came before. Identical messages share
    their time, so only the counts for the current time are kept: memory stays
    flat however long the chat is.
    """

    def __init__(self) -> None:
        self._moment: str | None = None
        self._counts: Counter[str] = Counter()

    def key(self, moment: str, author: str | None, text: str) -> str:
        """The key of the next message with these values."""
        if moment != self._moment:
            self._moment = moment
            self._counts.clear()
        identity = stable_key(moment, author, text)
        self._counts[identity] += 1
        return stable_key(identity, self._counts[identity])


class ReplyThreads:
    """Threads for formats where a message names the one it replies to (Telegram, Discord).

    A reply belongs to the thread of the message it answers. Every message is
    remembered as a small integer (for duplicates and reply links); only
    replies keep their thread's key as text, so memory stays small.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._thread: dict[int, str] = {}

    def seen(self, key: str) -> bool:
        """Whether a message with this key was placed already."""
        return hash(key) in self._seen

    def place(self, key: str, reply_to: str | None) -> tuple[str, str | None]:
        """``(thread_key, reply_to_key)`` of a new message.

        ``reply_to_key`` is kept only when that message came earlier in the
        export; a reply to a message that is not there still joins a thread
        named after it.
        """
        own = hash(key)
        self._seen.add(own)
        if not reply_to:
            return key, None
        parent = hash(reply_to)
        thread = self._thread.get(parent, reply_to)
        self._thread[own] = thread
        return thread, reply_to if parent in self._seen and parent != own else None


def from_unix(value: float | int | str, *, milliseconds: bool = False) -> datetime:
    """An aware UTC datetime from a Unix timestamp in seconds (or milliseconds)."""
    number = float(value)
    if milliseconds:
        number /= 1000
    return datetime.fromtimestamp(number, tz=UTC)


def parse_iso(value: str) -> datetime:
    """An aware datetime from ISO 8601 text; a value without an offset is taken as UTC.

    dateutil's ``isoparse`` reads ``Z``, offsets and any number of fractional
    digits (Graph API times carry 7; Python's ``fromisoformat`` reads at most 6 in 3.11).
    Raises ``ValueError`` for text that is not ISO 8601.
    """
    moment = isoparse(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
