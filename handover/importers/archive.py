"""Open an export safely: a folder, a zip file or a single file, seen as named members.

Every importer reads through :class:`ExportSource`, so the safety rules live in
one place: zip entries with absolute or ``../`` paths and symlinks are never
read (they are reported as skipped), nested archives are not expanded, and zip
bombs are stopped by limits on the total uncompressed size and on each
member's compression ratio. The limits are enforced while a member is
streamed, not only from the sizes its header declares, because headers lie; the guard
itself (names, links, ratios, the expansion budget) is ``core.zipsafe``, shared with the
wiki's space archive import.

Member names are always relative POSIX paths (``general/2016-01-14.json``);
a single file is one member named after the file.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, BinaryIO

import charset_normalizer
import filetype

from core import zipsafe
from handover.importers.base import ImportFormatError, SkippedItem

# Extensions a single uploaded file may have; anything else must sniff as one of these.
SINGLE_FILE_SUFFIXES = frozenset(
    {".json", ".jsonl", ".ndjson", ".csv", ".mbox", ".mbx", ".eml", ".txt", ".mail"}
)
# Archives inside an export are listed as skipped, never opened: expanding them
# recursively is how zip bombs multiply.
NESTED_ARCHIVE_SUFFIXES = frozenset(
    {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".jar"}
)
SUPPORTED_COMPRESSION = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
# Files that operating systems add to folders and zips; they are not part of any export.
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
IGNORED_PREFIXES = ("__MACOSX/",)

# Below this many uncompressed bytes a high compression ratio is harmless
# (a small JSON file of blanks compresses extremely well).
RATIO_CHECK_FLOOR_BYTES = 1024 * 1024

# Below this many bytes charset guessing is unreliable; see decode_text.
SHORT_TEXT_BYTES = 64

KNOWN_FORMATS_HINT = (
    "expected a Slack workspace export (zip or folder), a Microsoft Teams, Mattermost, "
    "Feishu/Lark, Discord or Telegram JSON export, a WhatsApp chat export (.txt or .zip), "
    "an mbox file or an .eml message"
)


class UnsafeArchiveError(ImportFormatError):
    """The archive tries to reach outside itself or is otherwise unsafe to read."""


class ArchiveLimitError(ImportFormatError):
    """The archive expands beyond the configured limits (a likely zip bomb)."""


class DamagedMemberError(ImportFormatError):
    """One member of a zip cannot be decompressed (bad CRC, truncated data)."""


class NotAnExportError(ImportFormatError):
    """The upload is empty, unreadable or not a kind of file Tacit can import."""


@dataclass(frozen=True)
class Limits:
    """Zip-bomb guards; the defaults come from settings."""

    max_uncompressed_bytes: int
    max_compression_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        """Read ``IMPORT_MAX_UNCOMPRESSED_BYTES`` and ``IMPORT_MAX_COMPRESSION_RATIO``.

        Falls back to the documented defaults when Django is not configured, so
        importers also run in plain scripts (the benchmark, a shell).
        """
        from django.conf import settings

        total, ratio = 20 * 1024**3, 200
        if settings.configured:
            total = getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", total)
            ratio = getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", ratio)
        return cls(max_uncompressed_bytes=total, max_compression_ratio=ratio)


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} bytes"


def _unsafe_zip_name(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry is unsafe to read, or None when it is a plain relative file."""
    problems = zipsafe.entry_problems(info)
    if zipsafe.ABSOLUTE in problems:
        return "absolute path in the archive; not extracted"
    if zipsafe.PARENT in problems:
        return "path leaves the archive with '..'; not extracted"
    if zipsafe.NUL in problems:
        return "file name contains a NUL byte; not extracted"
    if zipsafe.SYMLINK in problems:
        return "symbolic link in the archive; not followed"
    return None


def _is_ignored(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base in IGNORED_NAMES or name.startswith(IGNORED_PREFIXES) or base.startswith("._")


class _GuardedZipMember(zipsafe.GuardedStream):
    """A zip member stream that stops at the size and ratio limits while reading."""

    def __init__(
        self,
        source: ExportSource,
        raw: IO[bytes],
        name: str,
        info: zipfile.ZipInfo,
        *,
        progress: bool,
    ) -> None:
        def on_read(position: int, count: int) -> None:
            if progress:
                source.bytes_read += count

        super().__init__(raw, info, source._budget, on_read=on_read)
        self._source = source
        self._name = name

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            return super().readinto(buffer)
        except zipsafe.DamagedEntryError as error:
            raise DamagedMemberError(
                f"{self._name}: damaged inside the zip ({error.__cause__}); it could not be read."
            ) from error
        except zipsafe.ZipLimitError as error:
            limits = self._source.limits
            if error.kind == "total":
                message = (
                    f"{self._source.name}: expands beyond the limit of "
                    f"{_human_bytes(limits.max_uncompressed_bytes)} while reading {self._name}; "
                    "the import stopped."
                )
            elif error.kind == "declared":
                message = (
                    f"{self._name}: expands beyond the size its zip header declares "
                    f"({_human_bytes(self._info.file_size)}); the archive looks forged and was "
                    "not imported."
                )
            else:
                message = (
                    f"{self._name}: expands more than {limits.max_compression_ratio} times its "
                    "compressed size (a likely zip bomb); the archive was not imported."
                )
            raise ArchiveLimitError(message) from error


class _CountingFile(io.RawIOBase):
    """A plain file whose reads add to the source's ``bytes_read`` (for progress bars)."""

    def __init__(self, source: ExportSource, path: Path) -> None:
        self._source = source
        self._file = io.FileIO(path, "r")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = self._file.readinto(buffer)
        self._source.bytes_read += count
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


class ExportSource:
    """A folder, a zip file or a single file, presented as sorted named members.

    Use it as a context manager. Opening checks everything that can be checked
    up front (empty file, not a known kind of file, unsafe or oversized zip);
    reading a member enforces the limits again while streaming. Entries that
    are unsafe or not readable individually are collected in ``skipped`` for
    the import report; importers yield them first (see :meth:`iter_skipped`).
    """

    FOLDER = "folder"
    ZIP = "zip"
    FILE = "file"

    def __init__(self, path: str | os.PathLike[str], *, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.limits = limits or Limits.from_settings()
        self.skipped: list[SkippedItem] = []
        self._zip: zipfile.ZipFile | None = None
        self._zip_infos: dict[str, zipfile.ZipInfo] = {}
        self._files: dict[str, Path] = {}
        self._sizes: dict[str, int] = {}
        # What members yield, each counted once however often it is re-read.
        self._budget = zipsafe.ExpansionBudget(
            zipsafe.ZipLimits(
                max_total_bytes=self.limits.max_uncompressed_bytes,
                max_ratio=self.limits.max_compression_ratio,
                ratio_floor_bytes=RATIO_CHECK_FLOOR_BYTES,
            )
        )
        # Bytes delivered by open_member() so far (head() not counted); with total_size()
        # it drives a progress bar. Formats that read a file twice (e-mail, WhatsApp,
        # Teams/Feishu/Telegram prelude) count it twice.
        self.bytes_read = 0
        self.kind = self._open()

    # --- opening -------------------------------------------------------------------------------

    def _open(self) -> str:
        if not self.path.exists():
            raise NotAnExportError(f"{self.name}: the file does not exist.")
        if self.path.is_symlink():
            raise UnsafeArchiveError(f"{self.name}: is a symbolic link; upload the file itself.")
        if self.path.is_dir():
            self._open_folder()
            return self.FOLDER
        size = self.path.stat().st_size
        if size == 0:
            raise NotAnExportError(f"{self.name}: the file is empty; {KNOWN_FORMATS_HINT}.")
        if zipfile.is_zipfile(self.path):
            self._open_zip()
            return self.ZIP
        self._check_single_file()
        self._files[self.name] = self.path
        self._sizes[self.name] = size
        return self.FILE

    def _open_folder(self) -> None:
        root = self.path
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for entry in sorted(dirnames):
                full = Path(dirpath, entry)
                if full.is_symlink():
                    rel = full.relative_to(root).as_posix()
                    self.skipped.append(SkippedItem(rel, "symbolic link; not followed"))
            for filename in filenames:
                full = Path(dirpath, filename)
                rel = full.relative_to(root).as_posix()
                if _is_ignored(rel):
                    continue
                mode = full.lstat().st_mode
                if stat.S_ISLNK(mode):
                    self.skipped.append(SkippedItem(rel, "symbolic link; not followed"))
                    continue
                if not stat.S_ISREG(mode):
                    self.skipped.append(SkippedItem(rel, "not a regular file"))
                    continue
                if PurePosixPath(rel).suffix.lower() in NESTED_ARCHIVE_SUFFIXES:
                    self.skipped.append(SkippedItem(rel, "nested archive; not expanded"))
                    continue
                self._files[rel] = full
                self._sizes[rel] = full.stat().st_size
        if not self._files:
            raise NotAnExportError(
                f"{self.name}: the folder holds no files to import; {KNOWN_FORMATS_HINT}."
            )

    def _open_zip(self) -> None:
        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as error:
            raise NotAnExportError(f"{self.name}: the zip file is damaged ({error}).") from error
        self._zip = archive
        declared_total = 0
        for info in archive.infolist():
            name = info.filename
            reason = _unsafe_zip_name(info)
            if reason:
                self.skipped.append(SkippedItem(name, reason))
                continue
            if info.is_dir() or _is_ignored(name):
                continue
            if info.flag_bits & 0x1:
                self.skipped.append(SkippedItem(name, "encrypted in the archive; cannot be read"))
                continue
            if info.compress_type not in SUPPORTED_COMPRESSION:
                self.skipped.append(
                    SkippedItem(
                        name,
                        f"compressed with a method Tacit cannot read (zip method "
                        f"{info.compress_type}, e.g. Deflate64); re-create the zip with standard "
                        "compression",
                    )
                )
                continue
            if PurePosixPath(name).suffix.lower() in NESTED_ARCHIVE_SUFFIXES:
                self.skipped.append(SkippedItem(name, "nested archive; not expanded"))
                continue
            declared_total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if zipsafe.ratio_exceeded(info.file_size, info.compress_size, self._budget.limits):
                self.close()
                raise ArchiveLimitError(
                    f"{self.name}: {name} would expand {ratio:.0f} times its compressed size "
                    f"(the limit is {self.limits.max_compression_ratio}); this looks like a zip "
                    "bomb and nothing was imported."
                )
            self._zip_infos[name] = info
            self._sizes[name] = info.file_size
        if declared_total > self.limits.max_uncompressed_bytes:
            self.close()
            raise ArchiveLimitError(
                f"{self.name}: would expand to {_human_bytes(declared_total)}, more than the "
                f"limit of {_human_bytes(self.limits.max_uncompressed_bytes)}; "
                "nothing was imported."
            )
        if not self._zip_infos:
            self.close()
            if self.skipped:
                raise UnsafeArchiveError(
                    f"{self.name}: the zip holds no entry that is safe to read "
                    f"({self.skipped[0].location}: {self.skipped[0].reason})."
                )
            raise NotAnExportError(f"{self.name}: the zip file is empty; {KNOWN_FORMATS_HINT}.")

    def _check_single_file(self) -> None:
        suffix = self.path.suffix.lower()
        kind = None
        try:
            kind = filetype.guess(str(self.path))
        except OSError as error:
            raise NotAnExportError(f"{self.name}: cannot be read ({error}).") from error
        if kind is not None and kind.extension in {"gz", "bz2", "xz", "7z", "rar", "tar", "zst"}:
            raise NotAnExportError(
                f"{self.name}: is a .{kind.extension} archive; Tacit reads zip files, folders "
                f"and single export files. {KNOWN_FORMATS_HINT[0].upper()}{KNOWN_FORMATS_HINT[1:]}."
            )
        if suffix in SINGLE_FILE_SUFFIXES:
            return
        if kind is not None or not self._looks_like_text():
            raise NotAnExportError(
                f"{self.name}: not a Tacit-readable export; {KNOWN_FORMATS_HINT}."
            )

    def _looks_like_text(self) -> bool:
        with self.path.open("rb") as handle:
            head = handle.read(4096)
        if b"\x00" in head:
            return False
        stripped = head.lstrip()
        return stripped[:1] in (b"{", b"[") or head.startswith(b"From ") or b": " in head[:200]

    # --- reading -------------------------------------------------------------------------------

    def list_members(self) -> list[str]:
        """The readable members' names, sorted, as relative POSIX paths."""
        if self._zip is not None:
            return sorted(self._zip_infos)
        return sorted(self._files)

    def has_member(self, name: str) -> bool:
        """Whether ``name`` is a readable member."""
        return name in self._zip_infos or name in self._files

    def member_size(self, name: str) -> int:
        """The member's uncompressed size in bytes (as declared, for a zip)."""
        try:
            return self._sizes[name]
        except KeyError:
            raise KeyError(f"{self.name} has no member {name!r}") from None

    def total_size(self) -> int:
        """The sum of the members' uncompressed sizes; the import's progress denominator."""
        return sum(self._sizes.values())

    def open_member(self, name: str, *, progress: bool = True) -> BinaryIO:
        """A binary stream of one member; for a zip it stops at the limits while reading."""
        if self._zip is not None:
            info = self._zip_infos.get(name)
            if info is None:
                raise KeyError(f"{self.name} has no member {name!r}")
            try:
                raw = self._zip.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
                raise DamagedMemberError(
                    f"{name}: cannot be opened inside the zip ({error})."
                ) from error
            member = _GuardedZipMember(self, raw, name, info, progress=progress)
            return io.BufferedReader(member, 256 * 1024)  # type: ignore[return-value]
        path = self._files.get(name)
        if path is None:
            raise KeyError(f"{self.name} has no member {name!r}")
        if not progress:
            return path.open("rb")
        return io.BufferedReader(_CountingFile(self, path), 256 * 1024)  # type: ignore[return-value]

    def read_member(self, name: str) -> bytes:
        """The whole member; only for members known to be small (a Slack day file)."""
        with self.open_member(name) as handle:
            return handle.read()

    def head(self, name: str, size: int = 4096) -> bytes:
        """The first ``size`` bytes of a member, for cheap format detection."""
        with self.open_member(name, progress=False) as handle:
            return handle.read(size)

    def iter_skipped(self) -> Iterator[SkippedItem]:
        """The entries refused when the source was opened, for the import report."""
        yield from self.skipped

    # --- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the zip file handle."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ExportSource({str(self.path)!r}, kind={self.kind!r})"


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode bytes to text and never fail.

    Tries the declared charset (when it names a codec Python knows), then
    UTF-8, then charset-normalizer's best guess; undecodable bytes become
    U+FFFD so one bad byte never loses a message.
    """
    if declared:
        try:
            return data.decode(declared.strip().strip('"').lower())
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(data) < SHORT_TEXT_BYTES:
        # Too little text for a reliable guess (a name in a header): Windows-1252 is the
        # most common undeclared legacy charset and decodes nearly every byte.
        return data.decode("cp1252", errors="replace")
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None and guess.encoding:
        try:
            return data.decode(guess.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode("utf-8", errors="replace")
