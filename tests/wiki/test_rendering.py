"""Markdown rendering, wikilinks, renames and sections (wiki.rendering)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from wiki.rendering import (
    Heading,
    ResolvedLink,
    Section,
    SectionNotFoundError,
    WikiLink,
    is_linkable_title,
    parse_wikilinks,
    render_markdown,
    replace_section,
    rewrite_wikilinks,
    split_sections,
    wikilink_for,
)

PAYLOADS_FILE = Path(__file__).with_name("xss_payloads.txt")


class _Collector(HTMLParser):
    """Record every element with its attributes, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(fragment: str) -> _Collector:
    collector = _Collector()
    collector.feed(fragment)
    collector.close()
    return collector


def _elements(fragment: str, tag: str) -> list[dict[str, str | None]]:
    return [attrs for name, attrs in _parse(fragment).elements if name == tag]


def _text(fragment: str) -> str:
    return "".join(_parse(fragment).text)


def _resolver(existing: set[str]):  # noqa: ANN202
    calls: list[WikiLink] = []

    def resolve(link: WikiLink) -> ResolvedLink:
        calls.append(link)
        slug = link.title.lower().replace(" ", "-")
        prefix = f"/spaces/{link.space_key or 'here'}"
        if link.title in existing:
            return ResolvedLink(url=f"{prefix}/{slug}/", exists=True)
        return ResolvedLink(url=f"{prefix}/new/?title={slug}", exists=False)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


# --- Markdown features -----------------------------------------------------------------------


def test_it_renders_commonmark():
    html = render_markdown("Some *emphasis*, **strong** and `code`.\n\n1. one\n2. two\n").html

    assert "<em>emphasis</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert len(_elements(html, "li")) == 2


def test_it_renders_tables_with_alignment_as_classes():
    html = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n").html

    assert [attrs.get("class") for attrs in _elements(html, "th")] == [
        "align-left",
        "align-center",
        "align-right",
    ]
    assert len(_elements(html, "td")) == 3
    assert "style" not in html


def test_it_renders_strikethrough():
    assert "<s>gone</s>" in render_markdown("~~gone~~").html


def test_it_links_bare_urls_and_marks_external_links():
    html = render_markdown("See https://example.com/docs and www.example.org, or [home](/).").html

    links = _elements(html, "a")
    assert links[0]["href"] == "https://example.com/docs"
    assert links[0]["rel"] == "noopener noreferrer nofollow"
    assert links[1]["href"] == "http://www.example.org"
    assert links[2]["href"] == "/"
    assert "rel" not in links[2]


def test_it_renders_task_lists_as_disabled_checkboxes():
    html = render_markdown("- [ ] open\n- [x] done\n").html

    boxes = _elements(html, "input")
    assert len(boxes) == 2
    assert all(box["type"] == "checkbox" and "disabled" in box for box in boxes)
    assert "checked" not in boxes[0]
    assert "checked" in boxes[1]


def test_it_highlights_fenced_code_with_classes():
    html = render_markdown("```python\ndef greet(name):\n    return f'<{name}>'\n```\n").html

    code = _elements(html, "code")[0]
    assert code["class"] == "language-python"
    assert {"k", "nf"} <= {attrs.get("class") for attrs in _elements(html, "span")}
    assert "style" not in html
    assert "&lt;{name}&gt;" in html or "&lt;" in html
    assert "def greet(name):" in _text(html)


def test_it_renders_unknown_languages_as_escaped_plain_code():
    html = render_markdown("```no-such-language\n<b>bold?</b>\n```\n").html

    assert "<b>" not in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert _elements(html, "span") == []


def test_it_escapes_raw_html_instead_of_passing_it_through():
    html = render_markdown("Hello <b>world</b> <kbd>x</kbd>").html

    assert _elements(html, "b") == []
    assert _text(html).strip() == "Hello <b>world</b> <kbd>x</kbd>"


def test_it_shows_local_images_and_links_external_ones():
    html = render_markdown(
        '![diagram](/attachments/7/diagram.png "Flow") ![logo](https://cdn.example.com/l.png)'
    ).html

    assert _elements(html, "img") == [
        {"src": "/attachments/7/diagram.png", "alt": "diagram", "title": "Flow"}
    ]
    [link] = _elements(html, "a")
    assert link == {
        "href": "https://cdn.example.com/l.png",
        "class": "external-image",
        "rel": "noopener noreferrer nofollow",
    }
    assert "logo" in _text(html)


def test_it_renders_footnotes():
    html = render_markdown("Claim[^1].\n\n[^1]: Source.\n").html

    assert _elements(html, "sup")
    assert "Source." in _text(html)


# --- Headings and table of contents ---------------------------------------------------------


def test_it_gives_headings_unique_anchors_and_a_toc():
    source = "# Setup\n\ntext\n\n## Setup\n\n## Setup\n\n### Run `make` *now*\n"

    rendered = render_markdown(source)

    assert rendered.toc == [
        Heading(level=1, text="Setup", anchor="setup"),
        Heading(level=2, text="Setup", anchor="setup-1"),
        Heading(level=2, text="Setup", anchor="setup-2"),
        Heading(level=3, text="Run make now", anchor="run-make-now"),
    ]
    ids = [attrs["id"] for name, attrs in _parse(rendered.html).elements if name[0] == "h"]
    assert ids == ["setup", "setup-1", "setup-2", "run-make-now"]


def test_it_gives_chinese_headings_unique_working_anchors():
    rendered = render_markdown("# 安装指南\n\n## 安装指南\n\n## 常见问题？\n\n[跳转](#常见问题)\n")

    anchors = [heading.anchor for heading in rendered.toc]
    assert anchors == ["安装指南", "安装指南-1", "常见问题"]
    ids = {attrs["id"] for name, attrs in _parse(rendered.html).elements if name in ("h1", "h2")}
    assert ids == set(anchors)
    # A link to the anchor survives and points at an id that exists.
    [link] = _elements(rendered.html, "a")
    assert link["href"] == "#%E5%B8%B8%E8%A7%81%E9%97%AE%E9%A2%98"


def test_it_keeps_heading_anchors_clear_of_footnote_ids():
    rendered = render_markdown("# fn1\n\n# FNREF1\n\nText[^1].\n\n[^1]: Note.\n")

    anchors = [heading.anchor for heading in rendered.toc]
    assert anchors == ["fn1-1", "fnref1-1"]
    ids = [attrs["id"] for _, attrs in _parse(rendered.html).elements if "id" in attrs]
    assert len(ids) == len(set(ids))


def test_it_keeps_wikilink_labels_in_image_alt_text():
    html = render_markdown("![see [[Home|home page]] now](a.png)").html

    assert _elements(html, "img")[0]["alt"] == "see home page now"


def test_it_names_anchors_of_punctuation_only_headings():
    rendered = render_markdown("# !!!\n\n# ???\n")

    assert [heading.anchor for heading in rendered.toc] == ["section", "section-1"]


# --- Wikilinks -------------------------------------------------------------------------------


def test_it_renders_existing_and_missing_wikilinks_through_the_resolver():
    resolve = _resolver({"Home"})

    html = render_markdown(
        "Go [[Home]], [[home]] or [[Roadmap 2026|the roadmap]].", resolve_link=resolve
    ).html

    links = _elements(html, "a")
    assert links[0] == {"class": "wikilink", "href": "/spaces/here/home/"}
    assert links[2] == {
        "class": "wikilink wikilink-missing",
        "href": "/spaces/here/new/?title=roadmap-2026",
    }
    assert "the roadmap" in _text(html)
    # "Home" and "home" are the same page: one resolver call each distinct link.
    assert len(resolve.calls) == 2


def test_it_resolves_again_on_each_render_of_the_same_text():
    source = "# Top\n\n[[Home]] and [[Other]]\n"
    links = parse_wikilinks(source)

    first = render_markdown(source, resolve_link=_resolver(set()))
    second = render_markdown(source, resolve_link=_resolver({"Home"}))

    assert [link.title for link in links] == ["Home", "Other"]
    assert _elements(first.html, "a")[0]["class"] == "wikilink wikilink-missing"
    assert _elements(second.html, "a")[0]["class"] == "wikilink"
    assert first.toc == second.toc == [Heading(level=1, text="Top", anchor="top")]


def test_it_escapes_what_the_resolver_returns():
    def resolve(link: WikiLink) -> ResolvedLink:
        return ResolvedLink(url='/new/?title=a"b<c>&d=1', exists=False)

    html = render_markdown('[[a"b<c>]]', resolve_link=resolve).html

    [link] = _elements(html, "a")
    assert link["href"] == '/new/?title=a"b<c>&d=1'
    assert set(link) == {"class", "href"}
    assert _text(html).strip() == 'a"b<c>'


def test_it_renders_wikilinks_as_spans_without_a_resolver():
    html = render_markdown("See [[Home|the start page]].").html

    assert _elements(html, "a") == []
    assert _elements(html, "span") == [{"class": "wikilink"}]
    assert _text(html).strip() == "See the start page."


def test_it_renders_space_qualified_wikilinks():
    resolve = _resolver({"Deploy guide"})

    rendered = render_markdown("[[ops:Deploy guide]]", resolve_link=resolve)

    assert resolve.calls == [WikiLink(space_key="ops", title="Deploy guide", label="Deploy guide")]
    assert _elements(rendered.html, "a")[0]["href"] == "/spaces/ops/deploy-guide/"


def test_it_returns_the_links_of_the_rendered_page():
    rendered = render_markdown("[[A]] `[[B]]` [[ops:C|see C]]")

    assert rendered.links == [
        WikiLink(space_key=None, title="A", label="A"),
        WikiLink(space_key="ops", title="C", label="see C"),
    ]


def test_it_parses_wikilinks_in_document_order_without_duplicates():
    source = "[[Zeta]] then [[alpha|first]] then [[Zeta|again]] then [[ALPHA]] and [[ops:Zeta]]"

    assert parse_wikilinks(source) == [
        WikiLink(space_key=None, title="Zeta", label="Zeta"),
        WikiLink(space_key=None, title="alpha", label="first"),
        WikiLink(space_key="ops", title="Zeta", label="Zeta"),
    ]


def test_it_ignores_wikilinks_in_code():
    source = (
        "Inline `[[Not a link]]` and ``a [[Nor this]] b``.\n\n"
        "```\n[[Fenced]]\n```\n\n"
        "    [[Indented code]]\n\n"
        "[[Real]]\n"
    )

    assert [link.title for link in parse_wikilinks(source)] == ["Real"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[[Page title]]", [WikiLink(None, "Page title", "Page title")]),
        ("[[  Page   title  ]]", [WikiLink(None, "Page title", "Page title")]),
        ("[[Page|label]]", [WikiLink(None, "Page", "label")]),
        ("[[Page|a|b]]", [WikiLink(None, "Page", "a|b")]),
        ("[[Page|]]", [WikiLink(None, "Page", "Page")]),
        ("[[ops:Page]]", [WikiLink("ops", "Page", "Page")]),
        ("[[ops-team_2:Page|x]]", [WikiLink("ops-team_2", "Page", "x")]),
        ("[[Meeting: notes]]", [WikiLink(None, "Meeting: notes", "Meeting: notes")]),
        ("[[Foo [bar] baz]]", [WikiLink(None, "Foo [bar] baz", "Foo [bar] baz")]),
        ("[[Foo [bar]]]", [WikiLink(None, "Foo [bar]", "Foo [bar]")]),
        ("[[C++ (language)]]", [WikiLink(None, "C++ (language)", "C++ (language)")]),
        ("[[入门指南]]", [WikiLink(None, "入门指南", "入门指南")]),
        ("[[Cafe\u0301]]", [WikiLink(None, "Caf\u00e9", "Caf\u00e9")]),
        ("**[[Bold link]]**", [WikiLink(None, "Bold link", "Bold link")]),
        ("[[a [[b]]", [WikiLink(None, "b", "b")]),
        ("[[ ]]", []),
        ("[[|label]]", []),
        ("[[Unclosed", []),
        ("[[Broken\nacross lines]]", []),
        ("[single]", []),
        (r"\[[Escaped]]", []),
        # As with nested links in CommonMark, the inner link wins over the outer one.
        ("[text [[Inner]]](https://example.com)", [WikiLink(None, "Inner", "Inner")]),
    ],
)
def test_it_parses_wikilink_syntax(source: str, expected: list[WikiLink]):
    assert parse_wikilinks(source) == expected


def test_it_keeps_ordinary_markdown_links_working_next_to_wikilinks():
    html = render_markdown("[docs](https://example.com) [[Home]] [ref]\n\n[ref]: /x\n").html

    hrefs = [attrs.get("href") for attrs in _elements(html, "a")]
    assert hrefs == ["https://example.com", "/x"]


def test_it_tells_which_titles_can_be_linked():
    assert is_linkable_title("Deploy guide")
    assert is_linkable_title("Foo [bar]")
    assert is_linkable_title("Meeting: notes")
    assert is_linkable_title("入门指南")
    assert not is_linkable_title("a|b")
    assert not is_linkable_title("a]]b")
    assert not is_linkable_title("[[a")
    assert not is_linkable_title("Foo [bar")
    assert not is_linkable_title("line\nbreak")
    assert not is_linkable_title("   ")
    assert not is_linkable_title(":leading colon")
    # A title that looks like "space:title" can still be linked, as [[:RFC:12]].
    assert is_linkable_title("RFC:12")
    assert parse_wikilinks("[[:RFC:12]]") == [WikiLink(None, "RFC:12", "RFC:12")]


@pytest.mark.parametrize(
    ("title", "kwargs", "expected"),
    [
        ("Deploy guide", {}, "[[Deploy guide]]"),
        ("Deploy guide", {"space_key": "ops"}, "[[ops:Deploy guide]]"),
        ("Deploy guide", {"label": "how to"}, "[[Deploy guide|how to]]"),
        ("Deploy guide", {"label": "Deploy guide"}, "[[Deploy guide]]"),
        ("RFC:12", {}, "[[:RFC:12]]"),
        ("RFC:12", {"space_key": "eng"}, "[[eng:RFC:12]]"),
        ("Foo [bar]", {}, "[[Foo [bar]]]"),
    ],
)
def test_it_writes_wikilinks_that_parse_back(title: str, kwargs: dict, expected: str):
    source = wikilink_for(title, **kwargs)

    assert source == expected
    [link] = parse_wikilinks(source)
    assert link.title == title
    assert link.space_key == kwargs.get("space_key")


def test_it_refuses_to_write_unlinkable_wikilinks():
    for title, label in (("a|b", None), ("Foo [bar", None), ("ok", "x]]y")):
        with pytest.raises(ValueError):
            wikilink_for(title, label=label)


# --- Renames ---------------------------------------------------------------------------------


def _rename(source: str, *, space_key: str | None = "eng", in_same_space: bool = True) -> str:
    return rewrite_wikilinks(
        source,
        old_title="Deploy Guide",
        new_title="Release guide",
        space_key=space_key,
        in_same_space=in_same_space,
    )


def test_it_rewrites_unqualified_links_in_the_same_space():
    source = "See [[Deploy Guide]], [[deploy guide|the guide]] and [[ Deploy  Guide ]].\n"

    assert _rename(source) == (
        "See [[Release guide]], [[Release guide|the guide]] and [[ Release guide ]].\n"
    )


def test_it_leaves_unqualified_links_in_other_spaces_alone():
    source = "See [[Deploy Guide]] and [[eng:Deploy Guide|there]] and [[ops:Deploy Guide]].\n"

    assert _rename(source, in_same_space=False) == (
        "See [[Deploy Guide]] and [[eng:Release guide|there]] and [[ops:Deploy Guide]].\n"
    )


def test_it_matches_the_space_key_case_insensitively():
    assert _rename("[[ENG:deploy guide]]") == "[[ENG:Release guide]]"


def test_it_never_rewrites_code_or_other_pages():
    source = (
        "`[[Deploy Guide]]` and [[Deploy Guide]] and [[Deploy Guides]]\n\n"
        "```\n[[Deploy Guide]]\n```\n\n"
        "    [[Deploy Guide]]\n"
    )

    assert _rename(source) == source.replace(
        "and [[Deploy Guide]] and", "and [[Release guide]] and"
    )


def test_it_rewrites_links_in_lists_quotes_tables_and_headings():
    source = (
        "# About [[Deploy Guide]]\n\n"
        "- item [[Deploy Guide]]\n"
        "  continued [[Deploy Guide|x]]\n\n"
        "> quoted [[Deploy Guide]]\n"
        "> > nested [[Deploy Guide]]\n\n"
        "| [[Deploy Guide]] | [[Deploy Guide]] |\n|---|---|\n"
        "| `[[Deploy Guide]]` | [[Deploy Guide]] |\n"
    )

    result = _rename(source)

    assert result.count("[[Release guide]]") == 7
    assert "[[Release guide|x]]" in result
    assert "`[[Deploy Guide]]`" in result
    assert result.count("Deploy Guide") == 1


def test_it_rewrites_links_with_escaped_pipes_in_table_cells():
    source = "| a | b |\n|---|---|\n| [[Deploy Guide\\|guide]] | [[Deploy Guide]] |\n"

    assert _rename(source) == (
        "| a | b |\n|---|---|\n| [[Release guide\\|guide]] | [[Release guide]] |\n"
    )


def test_it_escapes_a_new_title_that_looks_like_a_space_key():
    result = rewrite_wikilinks(
        "[[Old]] [[eng:Old]] [[:Old|x]]",
        old_title="Old",
        new_title="RFC:12",
        space_key="eng",
        in_same_space=True,
    )

    assert result == "[[:RFC:12]] [[eng:RFC:12]] [[:RFC:12|x]]"
    assert {link.title for link in parse_wikilinks(result)} == {"RFC:12"}


def test_it_rewrites_links_on_every_line_of_a_paragraph_and_keeps_crlf_text_intact():
    source = (
        "First line [[Deploy Guide]]\r\n"
        "  second line `code` [[Deploy Guide|guide]]\r\n"
        "third *line* [[eng:Deploy Guide]] end\r\n"
    )

    assert _rename(source) == (
        "First line [[Release guide]]\n"
        "  second line `code` [[Release guide|guide]]\n"
        "third *line* [[eng:Release guide]] end\n"
    )


def test_its_rewrites_agree_with_the_parser():
    source = (
        "# [[Deploy Guide]] notes\n\n"
        "Setext [[Deploy Guide]]\n===\n\n"
        "1. one [[Deploy Guide]]\n   - nested [[deploy guide|x]] and `[[Deploy Guide]]`\n"
        "     lazy [[Deploy Guide]]\n\n"
        "> quote [[Deploy Guide]]\nlazy quote [[Deploy Guide]]\n\n"
        "| h | [[Deploy Guide]] |\n|---|---|\n| `x\\|y` | [[Deploy Guide\\|c]] |\n\n"
        "Text [[Deploy Guide]][^1] and [link](/x) [[Other]]\n\n"
        "[^1]: note [[Deploy Guide]]\n\n"
        "~~~\n[[Deploy Guide]]\n~~~\n"
    )
    before = parse_wikilinks(source)

    result = _rename(source)

    expected = [
        WikiLink(
            link.space_key, "Release guide", link.label.replace("Deploy Guide", "Release guide")
        )
        if link.title.casefold() == "deploy guide"
        else link
        for link in before
    ]
    assert parse_wikilinks(result) == expected
    # Every link to the old title was rewritten; code kept its text.
    assert "Deploy Guide" not in result.replace("`[[Deploy Guide]]`", "").replace(
        "~~~\n[[Deploy Guide]]\n~~~", ""
    )


def test_it_does_nothing_when_the_title_is_not_linked():
    source = "Deploy Guide is mentioned but not linked.\n"

    assert _rename(source) == source


def test_it_refuses_a_new_title_that_cannot_be_linked():
    with pytest.raises(ValueError):
        rewrite_wikilinks(
            "[[A]]", old_title="A", new_title="B|C", space_key=None, in_same_space=True
        )


# --- Sections --------------------------------------------------------------------------------

DOC = (
    "Intro line.\n"
    "\n"
    "# One\n"
    "text one\n"
    "```\n"
    "# not a heading\n"
    "```\n"
    "## One point one\n"
    "detail\n"
    "# Two\n"
    "text two\n"
)


def test_it_splits_sections_at_top_level_headings():
    sections = split_sections(DOC)

    assert [(s.index, s.level, s.title, s.start_line, s.end_line) for s in sections] == [
        (0, 0, "", 0, 2),
        (1, 1, "One", 2, 9),
        (2, 2, "One point one", 7, 9),
        (3, 1, "Two", 9, 11),
    ]
    assert sections[0].text == "Intro line.\n\n"
    assert sections[2].text == "## One point one\ndetail\n"
    assert sections[3].text == "# Two\ntext two\n"


def test_it_numbers_sections_from_one_without_a_preamble():
    sections = split_sections("# A\nx\n\nSetext\n======\ny\n")

    assert sections == [
        Section(1, 1, "A", 0, 3, "# A\nx\n\n"),
        Section(2, 1, "Setext", 3, 6, "Setext\n======\ny\n"),
    ]


def test_it_ignores_headings_nested_in_lists_and_quotes():
    sections = split_sections("# A\n> # quoted\n- # listed\n")

    assert [section.title for section in sections] == ["A"]


def test_it_replaces_one_section_and_keeps_the_rest():
    result = replace_section(DOC, 3, "# Two, renamed\nnew text")

    assert result == DOC.replace("# Two\ntext two\n", "# Two, renamed\nnew text")
    middle = replace_section(DOC, 2, "## One point one\nnew detail")
    assert middle == DOC.replace("detail\n", "new detail\n")


def test_it_round_trips_each_section():
    for section in split_sections(DOC):
        assert replace_section(DOC, section.index, section.text) == DOC


def test_it_inserts_a_preamble_through_section_zero():
    assert replace_section("# A\n", 0, "Intro\n\n") == "Intro\n\n# A\n"


def test_it_raises_for_a_section_that_does_not_exist():
    for index in (4, -1, 99):
        with pytest.raises(SectionNotFoundError):
            replace_section(DOC, index, "x")


def test_it_normalises_crlf_when_splitting():
    sections = split_sections("# A\r\nx\r\n# B\r\n")

    assert [section.text for section in sections] == ["# A\nx\n", "# B\n"]


# --- Sanitising ------------------------------------------------------------------------------

FORBIDDEN_ELEMENTS = {
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "button",
    "textarea",
    "select",
    "option",
    "meta",
    "base",
    "link",
    "noscript",
    "template",
    "video",
    "audio",
    "source",
    "body",
    "marquee",
    "details",
}
URL_ATTRIBUTES = {"href", "src"}
ALLOWED_ATTRIBUTES = {
    "id",
    "class",
    "href",
    "title",
    "rel",
    "src",
    "alt",
    "checked",
    "disabled",
    "type",
    "start",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def _load_payloads() -> list[str]:
    lines = PAYLOADS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line and not line.startswith("#")]


PAYLOADS = _load_payloads()


def _unsafe_parts(fragment: str) -> list[str]:
    problems: list[str] = []
    for tag, attrs in _parse(fragment).elements:
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"element <{tag}>")
        if tag == "input" and (attrs.get("type") != "checkbox" or "disabled" not in attrs):
            problems.append(f"input {attrs}")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style" or name not in ALLOWED_ATTRIBUTES:
                problems.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES:
                # The parser has already decoded entities; browsers also drop these characters.
                compact = _CONTROL_RE.sub("", value or "").lower()
                match = _SCHEME_RE.match(compact)
                if match and match.group(1) not in SAFE_SCHEMES:
                    problems.append(f"{name}={value!r} on <{tag}>")
    return problems


def test_the_payload_list_is_long_enough():
    assert len(PAYLOADS) >= 60


@pytest.mark.parametrize("payload", PAYLOADS)
def test_it_renders_xss_payloads_harmlessly(payload: str):
    resolve = _resolver({"x"})

    html = render_markdown(payload, resolve_link=resolve).html

    assert _unsafe_parts(html) == []


@pytest.mark.parametrize(
    "wrapper",
    ["- {}", "> {}", "1. [ ] {}", "| {} | x |\n|---|---|\n| y | {} |", "*{}*", "[[Page|{}]]"],
)
def test_it_renders_xss_payloads_harmlessly_inside_other_markup(wrapper: str):
    for payload in PAYLOADS:
        html = render_markdown(wrapper.format(payload, payload), resolve_link=_resolver(set())).html

        assert _unsafe_parts(html) == [], payload


def test_it_renders_all_payloads_together_harmlessly():
    # Reference definitions and open constructs of one payload may combine with the next.
    document = "\n".join(PAYLOADS) + "\n\n" + "\n\n".join(PAYLOADS)

    assert _unsafe_parts(render_markdown(document, resolve_link=_resolver({"x"})).html) == []


def test_the_safety_check_catches_unsafe_html():
    # The checker above must be able to fail, or the payload test proves nothing.
    assert _unsafe_parts('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert _unsafe_parts('<img src="x" onerror="alert(1)">')
    assert _unsafe_parts("<svg></svg>")
    assert _unsafe_parts('<p style="color:red">x</p>')
    assert _unsafe_parts('<input type="text">')
    assert _unsafe_parts('<a href="DATA:text/html,x">x</a>')
    assert _unsafe_parts('<a href="https://example.com" rel="noopener">ok</a>') == []


def test_it_keeps_payload_text_visible_as_text():
    html = render_markdown("<script>alert(1)</script>").html

    assert _text(html).strip() == "<script>alert(1)</script>"


def test_it_drops_unsafe_link_targets_but_keeps_safe_ones():
    html = render_markdown(
        "[a](https://example.com) [b](mailto:x@example.com) [c](/relative) [d](#anchor) "
        "[e](javascript:alert(1)) ![f](data:image/png;base64,AAAA) [g](ftp://example.com)"
    ).html

    hrefs = [attrs.get("href") for attrs in _elements(html, "a")]
    assert hrefs == ["https://example.com", "mailto:x@example.com", "/relative", "#anchor"]
    assert _elements(html, "img") == []


# --- Stylesheet ------------------------------------------------------------------------------

WIKI_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "wiki.css"


def test_the_stylesheet_styles_every_class_the_renderer_emits():
    source = (
        "# T\n\n| a | b | c |\n|:-|:-:|-:|\n| 1 | 2 | 3 |\n\n- [ ] x\n\n> [!WARNING]\n> w\n\n"
        "[[Here]] [[Missing]] x[^1]\n\n[^1]: n\n\n```python\nx = 1\n```\n"
    )
    html = render_markdown(source, resolve_link=_resolver({"Here"})).html
    css = WIKI_CSS.read_text(encoding="utf-8")

    classes = {
        name
        for _, attrs in _parse(html).elements
        for name in (attrs.get("class") or "").split()
        if not name.startswith("language-")
    }
    pygments_tokens = {name for name in classes if len(name) <= 3}
    assert {"wikilink", "wikilink-missing", "align-center", "task-list-item-checkbox"} <= classes
    assert [name for name in classes - pygments_tokens if f".{name}" not in css] == []
    assert [name for name in pygments_tokens if f".highlight .{name} " not in css] == []
