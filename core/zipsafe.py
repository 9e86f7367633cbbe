"""The one zip-safety guard: entry names, links, encryption, ratios and sizes, while reading.

A zip can name files outside the folder it is unpacked into (absolute paths, ``..``), carry
symbolic links, or expand a few kilobytes into gigabytes (a zip bomb); its headers can lie
about sizes. ``entry_problems`` says what is wrong with one entry's name and flags,
``ratio_exceeded`` checks a member's size against its compressed size (declared, before
reading, or as read), ``ExpansionBudget`` keeps the archive's total, and ``GuardedStream``
enforces the limits on the bytes that actually come out while a member is
streamed. The wiki's space archive import and the thread export importers both use it; each
turns these errors into messages of its own.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

# Problems an entry can have, in the order a caller usually reports them.
ABSOLUTE = "absolute"
BACKSLASH = "backslash"
NUL = "nul"
PARENT = "parent"
SYMLINK = "symlink"
ENCRYPTED = "encrypted"


class ZipSafetyError(Exception):
    """A zip member breaks a limit or cannot be read; ``entry`` names it."""

    def __init__(self, message: str, *, entry: str) -> None:
        super().__init__(message)
        self.entry = entry


class ZipLimitError(ZipSafetyError):
    """A member (or the whole archive) expands beyond a limit.

    ``kind`` is ``"ratio"`` (compression ratio), ``"declared"`` (more bytes than its header
    says) or ``"total"`` (the archive's uncompressed total).
    """

    def __init__(self, message: str, *, entry: str, kind: str) -> None:
        super().__init__(message, entry=entry)
        self.kind = kind


class DamagedEntryError(ZipSafetyError):
    """A member's compressed data is damaged (bad CRC, truncated, unknown method)."""


@dataclass(frozen=True)
class ZipLimits:
    """How far an archive may expand: in total, and per member relative to its compressed size.

    Members smaller than ``ratio_floor_bytes`` may have any ratio (harmless, and text
    compresses very well).
    """

    max_total_bytes: int
    max_ratio: float
    ratio_floor_bytes: int


def entry_problems(info: zipfile.ZipInfo) -> frozenset[str]:
    """What makes an entry unsafe to extract: any of the problem names above (empty: none)."""
    name = info.filename
    problems = set()
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        problems.add(ABSOLUTE)
    if "\\" in name:
        problems.add(BACKSLASH)
    if "\x00" in name:
        problems.add(NUL)
    if ".." in name.replace("\\", "/").split("/"):
        problems.add(PARENT)
    if stat.S_ISLNK(info.external_attr >> 16):
        problems.add(SYMLINK)
    if info.flag_bits & 0x1:
        problems.add(ENCRYPTED)
    return frozenset(problems)


def ratio_exceeded(size: int, compressed: int, limits: ZipLimits) -> bool:
    """Whether ``size`` bytes out of ``compressed`` ones break the per-member ratio."""
    return size > limits.ratio_floor_bytes and size / max(compressed, 1) > limits.max_ratio


class ExpansionBudget:
    """The bytes read so far from an archive's members, against its total limit.

    Each member counts once up to the furthest point read, however often it is re-read
    (some formats read a member twice).
    """

    def __init__(self, limits: ZipLimits) -> None:
        self.limits = limits
        self.read_total = 0
        self._peaks: dict[str, int] = {}

    def spend(self, entry: str, position: int) -> None:
        """Note ``entry`` read up to ``position``; ``ZipLimitError`` past the limit."""
        peak = self._peaks.get(entry, 0)
        if position <= peak:
            return
        self._peaks[entry] = position
        self.read_total += position - peak
        if self.read_total > self.limits.max_total_bytes:
            raise ZipLimitError(
                f"{entry}: the archive expands beyond its limit", entry=entry, kind="total"
            )


class GuardedStream(io.RawIOBase):
    """A member's decompressed bytes that stop at the limits as they are read.

    Raises ``ZipLimitError`` as soon as the member yields more than its header declared,
    breaks the ratio, or the archive's ``budget`` runs out; ``DamagedEntryError`` when the
    compressed data cannot be read. ``on_read`` (if given) hears of every chunk.
    """

    def __init__(
        self,
        raw: IO[bytes],
        info: zipfile.ZipInfo,
        budget: ExpansionBudget,
        *,
        on_read: Callable[[int, int], None] | None = None,
    ) -> None:
        self._raw = raw
        self._info = info
        self._budget = budget
        self._on_read = on_read
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        name = self._info.filename
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise DamagedEntryError(f"{name}: {error}", entry=name) from error
        count = len(data)
        buffer[:count] = data
        self.size += count
        if self._on_read is not None:
            self._on_read(self.size, count)
        self._budget.spend(name, self.size)
        if self.size > self._info.file_size:
            raise ZipLimitError(
                f"{name}: expands beyond its declared size", entry=name, kind="declared"
            )
        if ratio_exceeded(self.size, self._info.compress_size, self._budget.limits):
            raise ZipLimitError(f"{name}: expands too much", entry=name, kind="ratio")
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_guarded(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: ExpansionBudget,
    *,
    on_read: Callable[[int, int], None] | None = None,
) -> GuardedStream:
    """Open a member for reading under the limits (``DamagedEntryError`` if it cannot be)."""
    try:
        raw = archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
        raise DamagedEntryError(f"{info.filename}: {error}", entry=info.filename) from error
    return GuardedStream(raw, info, budget, on_read=on_read)
