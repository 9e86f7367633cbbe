"""Diffs between two revisions of a page, as escaped HTML.

Lines are compared first with patience diff (``patiencediff``: it anchors on lines that occur
once, which reads well for prose and stays fast on long pages where :mod:`difflib` turns
quadratic); a changed line paired with its replacement is then compared word by word with
:mod:`difflib` (character by character for Chinese, Japanese and Korean, which have no
spaces between words) so only the words that changed are highlighted.
Every piece of page text is HTML-escaped; the returned HTML is safe to mark safe.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from patiencediff import PatienceSequenceMatcher

from core.cjk import CJK_RANGES

__all__ = [
    "DiffRow",
    "DiffStats",
    "diff_inline",
    "diff_side_by_side",
    "diff_stats",
    "inline_html",
    "stats_of",
]

DiffKind = Literal["equal", "insert", "delete", "replace"]


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff.

    Line numbers are 1-based and None on the side that has no line. The ``*_html`` fields are
    escaped text in which changed words are wrapped in ``<del>`` (old side) or ``<ins>`` (new
    side); they are "" on a side with no line.
    """

    kind: DiffKind
    old_no: int | None
    old_html: str
    new_no: int | None
    new_html: str


@dataclass(frozen=True)
class DiffStats:
    """How many lines a change added and removed (a changed line counts once for each)."""

    added: int
    removed: int


_CJK = CJK_RANGES
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|\s+|[^\w\s]", re.UNICODE)


# Beyond this many words and spaces a changed line is shown whole, not word by word.
_MAX_INTRALINE_TOKENS = 1500


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").splitlines()


def _tokens(line: str) -> list[str]:
    return _TOKEN_RE.findall(line)


def _intraline(old: str, new: str) -> tuple[str, str]:
    """Escape both lines and wrap the words that differ in <del> / <ins>."""
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    if max(len(old_tokens), len(new_tokens)) > _MAX_INTRALINE_TOKENS:
        # Word matching grows quadratically on huge lines (pasted logs, minified data).
        return f"<del>{html.escape(old)}</del>", f"<ins>{html.escape(new)}</ins>"
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=True)
    old_parts: list[str] = []
    new_parts: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_text = html.escape("".join(old_tokens[i1:i2]))
        new_text = html.escape("".join(new_tokens[j1:j2]))
        if tag == "equal":
            old_parts.append(old_text)
            new_parts.append(new_text)
            continue
        if old_text:
            old_parts.append(f"<del>{old_text}</del>")
        if new_text:
            new_parts.append(f"<ins>{new_text}</ins>")
    return "".join(old_parts), "".join(new_parts)


def _rows(old_lines: list[str], new_lines: list[str]) -> Iterator[DiffRow]:
    matcher = PatienceSequenceMatcher(None, old_lines, new_lines)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                escaped = html.escape(old_lines[i1 + offset])
                yield DiffRow("equal", i1 + offset + 1, escaped, j1 + offset + 1, escaped)
        elif tag == "delete":
            for i in range(i1, i2):
                yield DiffRow("delete", i + 1, f"<del>{html.escape(old_lines[i])}</del>", None, "")
        elif tag == "insert":
            for j in range(j1, j2):
                yield DiffRow("insert", None, "", j + 1, f"<ins>{html.escape(new_lines[j])}</ins>")
        else:
            # Pair changed lines one to one; what is left over on either side is a plain
            # deletion or insertion.
            paired = min(i2 - i1, j2 - j1)
            for offset in range(paired):
                old_html, new_html = _intraline(old_lines[i1 + offset], new_lines[j1 + offset])
                yield DiffRow("replace", i1 + offset + 1, old_html, j1 + offset + 1, new_html)
            for i in range(i1 + paired, i2):
                yield DiffRow("delete", i + 1, f"<del>{html.escape(old_lines[i])}</del>", None, "")
            for j in range(j1 + paired, j2):
                yield DiffRow("insert", None, "", j + 1, f"<ins>{html.escape(new_lines[j])}</ins>")


def diff_side_by_side(old: str, new: str) -> list[DiffRow]:
    """Compare two texts line by line, for a two-column view; every line gets a row."""
    return list(_rows(_split_lines(old), _split_lines(new)))


def _line_html(kind: str, sign: str, old_no: int | None, new_no: int | None, body: str) -> str:
    old_cell = "" if old_no is None else str(old_no)
    new_cell = "" if new_no is None else str(new_no)
    return (
        f'<li class="diff-line diff-{kind}">'
        f'<span class="diff-no">{old_cell}</span><span class="diff-no">{new_cell}</span>'
        f'<span class="diff-sign" aria-hidden="true">{sign}</span>'
        f'<span class="diff-text">{body}</span></li>'
    )


def diff_inline(old: str, new: str, *, context: int | None = 3) -> str:
    """Render a unified diff as an HTML list, one ``<li>`` per line.

    Removed lines come before the added ones and carry ``diff-delete`` (text in ``<del>``),
    added lines ``diff-insert`` (text in ``<ins>``); in a changed line only the changed words
    are wrapped. Only ``context`` unchanged lines are kept around each change (None keeps
    all); a skipped run becomes ``<li class="diff-line diff-skip">``. Identical texts give an
    empty list: show a "no changes" message from ``diff_stats`` instead.
    """
    return inline_html(diff_side_by_side(old, new), context=context)


def inline_html(rows: list[DiffRow], *, context: int | None = 3) -> str:
    """The inline HTML of ``diff_inline`` from rows ``diff_side_by_side`` already made."""
    changed = [i for i, row in enumerate(rows) if row.kind != "equal"]
    if not changed:
        return '<ol class="diff diff-inline"></ol>'
    keep = set(range(len(rows)))
    if context is not None:
        keep = set()
        for i in changed:
            keep.update(range(max(0, i - context), min(len(rows), i + context + 1)))

    items: list[str] = []
    pending_inserts: list[str] = []
    skipped = False
    for i, row in enumerate(rows):
        if i not in keep:
            skipped = True
            continue
        if skipped:
            items.extend(pending_inserts)
            pending_inserts = []
            items.append('<li class="diff-line diff-skip" aria-hidden="true">\u22ef</li>')
            skipped = False
        if row.kind == "equal":
            items.extend(pending_inserts)
            pending_inserts = []
            items.append(_line_html("equal", " ", row.old_no, row.new_no, row.old_html))
        elif row.kind == "delete":
            items.append(_line_html("delete", "-", row.old_no, None, row.old_html))
        elif row.kind == "insert":
            pending_inserts.append(_line_html("insert", "+", None, row.new_no, row.new_html))
        else:
            items.append(_line_html("delete", "-", row.old_no, None, row.old_html))
            pending_inserts.append(_line_html("insert", "+", None, row.new_no, row.new_html))
    items.extend(pending_inserts)
    if skipped:
        items.append('<li class="diff-line diff-skip" aria-hidden="true">\u22ef</li>')
    return '<ol class="diff diff-inline">' + "".join(items) + "</ol>"


def diff_stats(old: str, new: str) -> DiffStats:
    """Count the lines added and removed between two texts."""
    matcher = PatienceSequenceMatcher(None, _split_lines(old), _split_lines(new))
    added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return DiffStats(added=added, removed=removed)


def stats_of(rows: list[DiffRow]) -> DiffStats:
    """``diff_stats`` from rows ``diff_side_by_side`` already made (no second comparison).

    A replaced block gives one ``replace`` row per paired line and plain deletions and
    insertions for the rest, so counting rows counts the same lines as the opcodes.
    """
    added = removed = 0
    for row in rows:
        if row.kind in ("replace", "delete"):
            removed += 1
        if row.kind in ("replace", "insert"):
            added += 1
    return DiffStats(added=added, removed=removed)
