"""Streaming helpers over ijson for the JSON formats.

Large exports keep their messages in one big array (``messages``,
``value``, ``data.items``) beside a few small fields (the channel, the chat).
``read_prelude`` reads the small fields that come before the array and stops
there; ``iter_items`` then streams the array's objects one at a time, so
memory holds one message, never the file.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

JSONError = ijson.JSONError
# ijson raises JSONError on broken JSON and ValueError (UnicodeDecodeError) on bad UTF-8.
JSON_ERRORS: tuple[type[Exception], ...] = (ijson.JSONError, ValueError)


class Utf8Repair(io.RawIOBase):
    """A byte stream whose invalid UTF-8 sequences become U+FFFD, so one bad byte loses nothing.

    ijson stops at the first invalid byte; real exports sometimes hold one
    (a truncated emoji, a legacy charset in one message).
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        # utf-8-sig also drops a byte-order mark, which ijson would reject.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._stream.read(64 * 1024)
            self._pending = self._decoder.decode(chunk, final=not chunk).encode("utf-8")
            if not chunk:
                break
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def repaired(stream: BinaryIO) -> BinaryIO:
    """``stream`` with invalid UTF-8 replaced (see :class:`Utf8Repair`), buffered."""
    return io.BufferedReader(Utf8Repair(stream), 64 * 1024)  # type: ignore[return-value]


class ValueBuilder:
    """One JSON object or array rebuilt from ijson events, from its opening event to its close."""

    def __init__(self, event: str, value: Any) -> None:
        self._builder = ijson.ObjectBuilder()
        self._builder.event(event, value)
        self._depth = 1

    def feed(self, event: str, value: Any) -> bool:
        """Pass one event on; True when it closed the value (then read ``value``)."""
        self._builder.event(event, value)
        if event in ("start_map", "start_array"):
            self._depth += 1
        elif event in ("end_map", "end_array"):
            self._depth -= 1
        return self._depth == 0

    @property
    def value(self) -> Any:
        return self._builder.value


def read_prelude(stream: BinaryIO, stop_prefix: str) -> dict[str, Any]:
    """The top-level fields of a JSON object up to the array at ``stop_prefix``.

    Fields after the array are not read (they would need the whole array to be
    parsed first); exports put their metadata first.
    """
    fields: dict[str, Any] = {}
    key: str | None = None
    builder: ValueBuilder | None = None
    for prefix, event, value in ijson.parse(repaired(stream), use_float=True):
        if builder is not None:
            if builder.feed(event, value):
                fields[str(key)] = builder.value
                builder = None
            continue
        if prefix == "" and event == "map_key":
            key = value
        elif prefix == stop_prefix and event == "start_array":
            break
        elif key is not None and prefix == key:
            if event in ("start_map", "start_array"):
                builder = ValueBuilder(event, value)
            else:
                fields[key] = value
    return fields


def iter_items(stream: BinaryIO, prefix: str) -> Iterator[Any]:
    """The objects of the array at ``prefix`` (ijson's ``a.b.item`` form), one at a time."""
    yield from ijson.items(repaired(stream), prefix, use_float=True)


def top_level_kind(head: bytes) -> str:
    """``"object"``, ``"array"`` or ``""`` from the first non-blank byte of a JSON document."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] == b"{":
        return "object"
    if stripped[:1] == b"[":
        return "array"
    return ""
