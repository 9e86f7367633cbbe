"""Diffs between revisions (wiki.diff)."""

import re
from html.parser import HTMLParser
from pathlib import Path

from wiki.diff import (
    DiffRow,
    DiffStats,
    diff_inline,
    diff_side_by_side,
    diff_stats,
    inline_html,
    stats_of,
)


class _TextAndTags(HTMLParser):
    """Collect the tags and the visible text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(fragment: str) -> _TextAndTags:
    parser = _TextAndTags()
    parser.feed(fragment)
    parser.close()
    return parser


def test_it_lists_rows_side_by_side_with_line_numbers():
    rows = diff_side_by_side("a\nb\nc\n", "a\nB\nc\nd\n")

    assert [row.kind for row in rows] == ["equal", "replace", "equal", "insert"]
    assert rows[0] == DiffRow("equal", 1, "a", 1, "a")
    assert (rows[1].old_no, rows[1].new_no) == (2, 2)
    assert rows[1].old_html == "<del>b</del>"
    assert rows[1].new_html == "<ins>B</ins>"
    assert rows[3] == DiffRow("insert", None, "", 4, "<ins>d</ins>")


def test_it_highlights_only_the_changed_words():
    [row] = diff_side_by_side("the quick brown fox", "the quick red fox")

    assert row.kind == "replace"
    assert row.old_html == "the quick <del>brown</del> fox"
    assert row.new_html == "the quick <ins>red</ins> fox"


def test_it_lists_deleted_lines():
    rows = diff_side_by_side("keep\ndrop\n", "keep\n")

    assert rows[1] == DiffRow("delete", 2, "<del>drop</del>", None, "")


def test_it_escapes_page_text_in_both_views():
    old = "safe\n<script>alert(1)</script>\n"
    new = 'safe\n<script>alert(2)</script>\n<img src=x onerror="alert(3)">\n'

    inline = diff_inline(old, new)
    rows = diff_side_by_side(old, new)

    parsed = _parse(inline)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "&lt;script&gt;" in inline
    assert "<script>alert(2)</script>" in "".join(parsed.text)
    for row in rows:
        for fragment in (row.old_html, row.new_html):
            assert not {"script", "img"} & set(_parse(fragment).tags)


def test_it_renders_an_inline_diff_with_removed_lines_before_added_ones():
    html = diff_inline("one\ntwo\nthree\n", "one\n2\nthree\nfour\n")

    parsed = _parse(html)
    assert parsed.tags[0] == "ol"
    assert html.index("diff-delete") < html.index("diff-insert")
    assert "<del>two</del>" in html
    assert "<ins>2</ins>" in html
    assert "<ins>four</ins>" in html
    assert html.count('class="diff-line diff-equal"') == 2


def test_it_collapses_unchanged_lines_far_from_a_change():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten")

    short = diff_inline(old, new, context=2)
    full = diff_inline(old, new, context=None)

    assert "line 1<" not in short and "line 20" not in short
    assert "line 8" in short and "line 12" in short
    assert short.count("diff-skip") == 2
    assert "line 1<" in full and "line 20" in full
    assert "diff-skip" not in full


def test_it_gives_an_empty_list_for_identical_texts():
    assert diff_inline("same\n", "same\n") == '<ol class="diff diff-inline"></ol>'
    assert diff_stats("same\n", "same\n") == DiffStats(added=0, removed=0)


def test_it_highlights_single_changed_characters_in_cjk_text():
    [row] = diff_side_by_side("我们明天去北京开会", "我们明天去上海开会")

    assert row.old_html == "我们明天去<del>北京</del>开会"
    assert row.new_html == "我们明天去<ins>上海</ins>开会"


def test_it_counts_added_and_removed_lines():
    assert diff_stats("a\nb\nc\n", "a\nB\nc\nd\ne\n") == DiffStats(added=3, removed=1)
    assert diff_stats("", "x\n") == DiffStats(added=1, removed=0)
    assert diff_stats("x\ny\n", "") == DiffStats(added=0, removed=2)


def test_it_ignores_line_ending_differences():
    assert diff_stats("a\r\nb\r\n", "a\nb\n") == DiffStats(added=0, removed=0)
    assert [row.kind for row in diff_side_by_side("a\r\nb", "a\nb\n")] == ["equal", "equal"]


def test_the_stylesheet_styles_every_class_the_diff_emits():
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "wiki.css").read_text()
    html = diff_inline("a\nb\n" + "x\n" * 10, "a\nB\nc\n" + "x\n" * 10)

    classes = set(re.findall(r'class="([^"]+)"', html))
    names = {name for value in classes for name in value.split()}
    assert {"diff-insert", "diff-delete", "diff-skip"} <= names
    assert [name for name in names if f".{name}" not in css] == []
    for kind in ("insert", "delete", "replace"):
        assert f"tr.diff-{kind}" in css


def test_it_shows_a_huge_changed_line_whole_instead_of_word_by_word():
    old = " ".join(f"word{n}" for n in range(2000))
    new = old.replace("word1000", "changed")

    [row] = diff_side_by_side(old, new)

    assert row.kind == "replace"
    assert row.old_html == f"<del>{old}</del>"
    assert row.new_html == f"<ins>{new}</ins>"


def test_it_pairs_scattered_changes_on_a_long_page():
    old_lines = [f"line {n}" for n in range(3000)]
    new_lines = [f"line {n}" if n % 100 else f"edited {n}" for n in range(3000)]

    rows = diff_side_by_side("\n".join(old_lines), "\n".join(new_lines))

    assert sum(row.kind == "replace" for row in rows) == 30
    assert sum(row.kind == "equal" for row in rows) == 2970
    assert diff_stats("\n".join(old_lines), "\n".join(new_lines)) == DiffStats(30, 30)


def test_it_counts_and_renders_the_same_from_rows_made_once():
    pairs = [
        ("a\nb\nc\n", "a\nB\nc\nd\n"),
        ("keep\ndrop\n", "keep\n"),
        ("one\ntwo\nthree\n", "uno\ndos\n"),
        ("x\n" * 3, "y\n" * 7 + "x\n"),
        ("", "new page\n"),
        ("same\n", "same\n"),
        ("\n".join(f"line {n}" for n in range(300)), "\n".join(f"l {n}" for n in range(0, 300, 3))),
    ]
    for old, new in pairs:
        rows = diff_side_by_side(old, new)
        assert stats_of(rows) == diff_stats(old, new), (old, new)
        assert inline_html(rows) == diff_inline(old, new)
        assert inline_html(rows, context=None) == diff_inline(old, new, context=None)
