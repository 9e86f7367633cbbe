"""Shared pieces of the format importers: the member-picking skeleton and small record helpers.

Most formats read the members of an export that a cheap look at their first
bytes recognises; :class:`MemberImporter` holds that skeleton (``detect``,
the member scan and the start of ``iter_records``), so a format module keeps
only what is specific to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Generator, Iterator
from typing import Any

from handover.importers.archive import ExportSource
from handover.importers.base import ImportFormatError, Record, SkippedItem
from handover.importers.jsonstream import JSON_ERRORS, iter_items, top_level_kind


class MemberImporter:
    """An importer that reads the members whose name and first bytes look like its format.

    A subclass sets ``format``, ``label``, ``not_found`` (why the export cannot
    be read when no member matches, after the source's name), and optionally
    ``suffixes`` and ``head_bytes``; it implements :meth:`looks_like`.
    """

    format: str
    label: str
    not_found: str
    suffixes: tuple[str, ...] = (".json",)
    head_bytes = 16384

    def looks_like(self, head: bytes) -> bool:
        """Whether a member starting with ``head`` is of this format."""
        raise NotImplementedError

    def detect(self, source: ExportSource) -> bool:
        """Whether any member of ``source`` looks like this format."""
        return any(True for _ in self._members(source))

    def _members(self, source: ExportSource) -> Iterator[str]:
        for name in source.list_members():
            if name.lower().endswith(self.suffixes) and self.looks_like(
                source.head(name, self.head_bytes)
            ):
                yield name

    def _start(self, source: ExportSource) -> Generator[Record, None, list[str]]:
        """Yield what the source skipped; return the members of this format, or raise."""
        yield from source.iter_skipped()
        members = list(self._members(source))
        if not members:
            raise ImportFormatError(f"{source.name}: {self.not_found}")
        return members


def is_new(seen: set[str], key: str) -> bool:
    """Whether ``key`` is met for the first time; it is remembered in ``seen`` from now on."""
    if key in seen:
        return False
    seen.add(key)
    return True


def skip_unchosen(
    source: ExportSource, chosen: Collection[str], reason: str
) -> Iterator[SkippedItem]:
    """A skipped item for every member of ``source`` not in ``chosen``."""
    for name in source.list_members():
        if name not in chosen:
            yield SkippedItem(name, reason)


def skip_other_files(
    source: ExportSource, members: Collection[str], reason: str
) -> Iterator[SkippedItem]:
    """One skipped item counting the members of ``source`` besides ``members``, if any."""
    others = len(source.list_members()) - len(members)
    if others:
        yield SkippedItem(f"{others} other files", reason)


def iter_page_items(
    source: ExportSource,
    members: list[str],
    path: str,
    message: Callable[[Any, str], Iterator[Record]],
) -> Iterator[Record]:
    """The records ``message(item, location)`` makes of each item of the list at ``path``.

    A member holds one API response page, or a JSON array of pages. Malformed
    JSON ends the member with a skipped item; the items before it are kept.
    """
    for name in members:
        with source.open_member(name) as stream:
            is_array = top_level_kind(stream.read(64)) == "array"
        prefix = f"item.{path}.item" if is_array else f"{path}.item"
        try:
            with source.open_member(name) as stream:
                for index, item in enumerate(iter_items(stream, prefix)):
                    yield from message(item, f"{name}#{index}")
        except JSON_ERRORS as error:
            yield SkippedItem(
                name, f"malformed JSON ({error}); the messages before it were imported"
            )


def raw_json(value: Any) -> str:
    """``value`` as the JSON kept in a record's ``raw`` field."""
    return json.dumps(value, ensure_ascii=False, default=str)
