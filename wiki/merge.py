"""Three-way merge of page text for concurrent edits.

Pure functions around the ``merge3`` package (the Bazaar/Breezy three-way merge). "ours" is the
text a person submitted, based on ``base``; "theirs" is the current text that someone else
saved in the meantime. Changes to different lines merge on their own; changes to the same
lines are conflicts, which a person resolves (humans decide: nothing is dropped silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import merge3
from patiencediff import PatienceSequenceMatcher

__all__ = [
    "MARKER_END",
    "MARKER_MID",
    "MARKER_START",
    "ConflictRegion",
    "MergeResult",
    "merge_texts",
]

MARKER_START = "<<<<<<< your edit"
MARKER_MID = "======="
MARKER_END = ">>>>>>> current version"


@dataclass(frozen=True)
class ConflictRegion:
    """Lines both sides changed differently.

    ``base``, ``ours`` and ``theirs`` are the conflicting lines of each version (LF line
    endings, each line ending with a line break). ``start_line`` is the 0-based index of the
    line in ``MergeResult.with_markers`` where this conflict's start marker stands.
    """

    base: str
    ours: str
    theirs: str
    start_line: int


@dataclass(frozen=True)
class MergeResult:
    """The outcome of a three-way merge.

    ``text`` is the merged text when there is no conflict, else None. ``with_markers`` is
    always set: the merged text where each conflict keeps both versions between
    ``<<<<<<< your edit`` / ``=======`` / ``>>>>>>> current version`` lines.
    """

    text: str | None
    conflicts: list[ConflictRegion] = field(default_factory=list)
    with_markers: str = ""

    @property
    def clean(self) -> bool:
        """True when the merge needs no human decision."""
        return not self.conflicts


def _lines(text: str) -> tuple[list[str], bool]:
    """Split LF-normalised text into lines that all end with a line break.

    Returns the lines and whether the text ended with a line break, so a missing final
    newline on one side never looks like an edit of the last line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return [], True
    ends_with_newline = text.endswith("\n")
    if not ends_with_newline:
        text += "\n"
    return text.splitlines(keepends=True), ends_with_newline


def merge_texts(*, base: str, ours: str, theirs: str) -> MergeResult:
    """Merge ``ours`` and ``theirs``, two edits of ``base``.

    Identical changes on both sides are not conflicts. CRLF and CR line endings are read as
    LF, and the result uses LF. Whether the result ends with a line break is merged like a
    line of its own (a side that changed it wins over a side that did not).
    """
    base_lines, base_nl = _lines(base)
    our_lines, our_nl = _lines(ours)
    their_lines, their_nl = _lines(theirs)

    # Patience matching: linear-ish on long pages, where difflib's matcher turns quadratic.
    merger = merge3.Merge3(
        base_lines, our_lines, their_lines, sequence_matcher=PatienceSequenceMatcher
    )
    out: list[str] = []
    conflicts: list[ConflictRegion] = []
    for region in merger.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            out.extend(base_lines[region[1] : region[2]])
        elif kind in ("a", "same"):
            out.extend(our_lines[region[1] : region[2]])
        elif kind == "b":
            out.extend(their_lines[region[1] : region[2]])
        else:
            _, base_start, base_end, our_start, our_end, their_start, their_end = region
            mine = our_lines[our_start:our_end]
            current = their_lines[their_start:their_end]
            conflicts.append(
                ConflictRegion(
                    base="".join(base_lines[base_start:base_end]),
                    ours="".join(mine),
                    theirs="".join(current),
                    start_line=len(out),
                )
            )
            out.append(MARKER_START + "\n")
            out.extend(mine)
            out.append(MARKER_MID + "\n")
            out.extend(current)
            out.append(MARKER_END + "\n")

    ends_with_newline = their_nl if our_nl == base_nl else our_nl
    merged = "".join(out)
    if merged and not ends_with_newline and not (conflicts and merged.endswith(MARKER_END + "\n")):
        merged = merged[:-1]
    return MergeResult(
        text=None if conflicts else merged,
        conflicts=conflicts,
        with_markers=merged,
    )
