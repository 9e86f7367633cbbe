"""Markdown to safe HTML for wiki pages, with wikilinks, anchors and sections.

Pure functions: no Django models, no settings, no templates. The Markdown parser and the HTML
sanitiser are built once per process (building them costs more than rendering a page).

Pipeline: markdown-it-py (CommonMark + GitHub tables, strikethrough, autolinks, task lists,
footnotes, ``[[wikilinks]]``) with raw HTML *disabled*, so authors cannot write tags at all;
fenced code is highlighted by Pygments with CSS classes; the result is then passed through nh3
with an explicit allow-list as a second, independent line of defence. Links may be http(s),
mailto or relative; external links get ``rel="noopener noreferrer nofollow"``. Images are
shown only from this site (relative URLs); an external image becomes a link to it.

Wikilink syntax:

- ``[[Page title]]``: a page in the same space.
- ``[[Page title|label]]``: shown as ``label``.
- ``[[space:Page title]]``: a page in the space whose key is ``space``. The key is a slug
  (letters, digits, ``-``, ``_``) directly followed by ``:`` and a non-space character, so
  ``[[Meeting: notes]]`` is a page titled "Meeting: notes" in the same space.
- ``[[:RFC:12]]``: a leading ``:`` says "no space key", for titles that look like one.
- Titles may contain balanced square brackets (``[[Foo [bar]]]``) but not ``|``, ``[[``, ``]]``
  or a line break. Whitespace runs in titles and labels are collapsed to one space.
- In a table cell the pipe must be escaped, as for any pipe in a GFM table:
  ``[[Page\\|label]]``.

GitHub-style alerts (``> [!NOTE]``) are deliberately off: their titles would be English words
baked into HTML that is cached per revision, not per language.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

__all__ = [
    "Heading",
    "RenderedMarkdown",
    "ResolvedLink",
    "Section",
    "SectionNotFoundError",
    "WikiLink",
    "is_linkable_title",
    "is_safe_url",
    "parse_wikilinks",
    "render_markdown",
    "replace_section",
    "rewrite_wikilinks",
    "split_sections",
    "wikilink_for",
]


@dataclass(frozen=True)
class WikiLink:
    """A ``[[...]]`` link as written in a page.

    ``space_key`` is None for an unqualified link (same space as the page that contains it).
    ``title`` has its whitespace collapsed; ``label`` is the explicit label or the title.
    """

    space_key: str | None
    title: str
    label: str


@dataclass(frozen=True)
class ResolvedLink:
    """Where a wikilink points, as decided by the caller's resolver.

    ``url`` is the page URL when ``exists`` is true, otherwise the URL that creates the page.
    """

    url: str
    exists: bool


@dataclass(frozen=True)
class Heading:
    """One entry of a page's table of contents; ``anchor`` is the heading's HTML id."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class RenderedMarkdown:
    """The sanitised HTML of a page, its table of contents, wikilinks and sections.

    All come from one parse of the text; ``sections`` are ``split_sections``' answer.
    """

    html: str
    toc: list[Heading]
    links: list[WikiLink]
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """A slice of a page's source that starts at a top-level heading.

    Lines are 0-based and ``end_line`` is exclusive (``lines[start_line:end_line]``). A section
    runs until the next heading of the same or a higher level, so it includes its subsections.
    Section 0 (level 0, empty title) is the text before the first heading.
    """

    index: int
    level: int
    title: str
    start_line: int
    end_line: int
    text: str


class SectionNotFoundError(LookupError):
    """The requested section index does not exist in the page source."""


Resolver = Callable[[WikiLink], ResolvedLink]

# --- Wikilink grammar -----------------------------------------------------------------------

_SPACE_PREFIX_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_-]*):(?=\S)")
_NO_SPACE_PREFIX_RE = re.compile(r"^\s*:")
# A link longer than this is almost certainly not a link, and the cap bounds the scan.
_MAX_WIKILINK_LENGTH = 512


def _collapse(text: str) -> str:
    """Collapse whitespace runs and use NFC, so look-alike spellings of a title compare equal."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


# "[[" + title/label text + "]]", where the text may hold balanced single brackets one level
# deep ("[[Foo [bar]]]"). Every part is delimited by a bracket, so matching never backtracks
# much, whatever the input: the parser tries this at every "[" of a page.
_WIKILINK_RE = re.compile(r"\[\[[^\[\]\n]*(?:\[[^\[\]\n]*\][^\[\]\n]*)*\]\]")


def _scan_wikilink(src: str, pos: int) -> int | None:
    """Return the end offset of a ``[[...]]`` starting at ``pos``, or None.

    Single brackets inside the title must balance, so ``[[Foo [bar]]]`` ends after the third
    ``]``. A line break, an unbalanced bracket or a nested ``[[`` ends the attempt.
    """
    match = _WIKILINK_RE.match(src, pos)
    if match is None or match.end() - pos > _MAX_WIKILINK_LENGTH:
        return None
    return match.end()


@dataclass(frozen=True)
class _ParsedLink:
    link: WikiLink
    title_start: int  # offsets of the title inside the raw "[[...]]" text
    title_end: int


def _parse_wikilink_text(raw: str) -> _ParsedLink | None:
    """Parse the raw ``[[...]]`` text into a link, or None if it is not a valid link."""
    inner = raw[2:-2]
    target, pipe, label = inner.partition("|")
    space_key: str | None = None
    title_offset = 0
    match = _SPACE_PREFIX_RE.match(target) or _NO_SPACE_PREFIX_RE.match(target)
    if match:
        space_key = match.group(1) if match.re is _SPACE_PREFIX_RE else None
        title_offset = match.end()
    title_raw = target[title_offset:]
    title = _collapse(title_raw)
    if not title:
        return None
    label_text = _collapse(label) if pipe else ""
    # Offsets of the title without its surrounding whitespace, so a rewrite keeps the spacing.
    lead = len(title_raw) - len(title_raw.lstrip())
    start = 2 + title_offset + lead
    end = 2 + title_offset + len(title_raw.rstrip())
    return _ParsedLink(
        link=WikiLink(space_key=space_key, title=title, label=label_text or title),
        title_start=start,
        title_end=end,
    )


def wikilink_for(title: str, *, space_key: str | None = None, label: str | None = None) -> str:
    """Write the Markdown source of a link to a page, e.g. ``[[ops:Deploy guide|how to]]``.

    A title that would read as a space key (``RFC:12``) gets the ``:`` escape. Raises
    ValueError when the title cannot be linked (see ``is_linkable_title``) or the label holds
    ``]]`` or a line break.
    """
    if not is_linkable_title(title):
        raise ValueError(f"{title!r} cannot be used inside a wikilink")
    title = _collapse(title)
    if space_key:
        prefix = f"{space_key}:"
    elif _SPACE_PREFIX_RE.match(title) or title.startswith(":"):
        prefix = ":"
    else:
        prefix = ""
    suffix = ""
    if label is not None and _collapse(label) != title:
        if "]]" in label or "[[" in label or "\n" in label:
            raise ValueError(f"{label!r} cannot be used as a wikilink label")
        suffix = f"|{_collapse(label)}"
    source = f"[[{prefix}{title}{suffix}]]"
    parsed = _parse_wikilink_text(source) if _scan_wikilink(source, 0) == len(source) else None
    if parsed is None or parsed.link.title != title:
        raise ValueError(f"{title!r} cannot be used inside a wikilink")
    return source


def is_linkable_title(title: str) -> bool:
    """Tell whether a page with this title can be the target of a wikilink.

    Use it to validate page titles: a title with ``|``, ``[[``, ``]]``, unbalanced brackets,
    a line break or a leading ``:`` cannot be written as a wikilink. Titles that look like a
    space key (``RFC:12``) can, as ``[[:RFC:12]]`` (``wikilink_for`` writes that).
    """
    collapsed = _collapse(title)
    if not collapsed or "|" in title or "\n" in title or collapsed.startswith(":"):
        return False
    raw = f"[[:{collapsed}]]"
    if _scan_wikilink(raw, 0) != len(raw):
        return False
    parsed = _parse_wikilink_text(raw)
    return parsed is not None and parsed.link.title == collapsed


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule for ``[[...]]``, tried before the normal link rule."""
    if state.linkLevel > 0 or not state.src.startswith("[[", state.pos):
        return False
    end = _scan_wikilink(state.src, state.pos)
    if end is None:
        return False
    raw = state.src[state.pos : end]
    parsed = _parse_wikilink_text(raw)
    if parsed is None:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        token.content = raw
        token.meta = {"parsed": parsed, "start": state.pos}
    state.pos = end
    return True


def _render_wikilink(
    self: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: dict[str, Any],
) -> str:
    link: WikiLink = tokens[idx].meta["parsed"].link
    label = escapeHtml(link.label)
    resolve: Resolver | None = env.get("resolve_link")
    if resolve is None:
        return f'<span class="wikilink">{label}</span>'
    # One resolver call per distinct link and render: the resolver may hit the database.
    cache: dict[tuple[str | None, str], ResolvedLink] = env.setdefault("resolved", {})
    # Titles are case-insensitive, as in parse_wikilinks.
    key = (link.space_key.casefold() if link.space_key else None, link.title.casefold())
    if key not in cache:
        cache[key] = resolve(link)
    resolved = cache[key]
    css = "wikilink" if resolved.exists else "wikilink wikilink-missing"
    return f'<a class="{css}" href="{escapeHtml(resolved.url)}">{label}</a>'


# --- Links, headings, tables, code -----------------------------------------------------------

_ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE_RE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")


def is_safe_url(url: str) -> bool:
    """Tell whether a link target is http(s), mailto or relative.

    Decodes entities and percent-escapes and drops whitespace and control characters first,
    because browsers ignore some of them inside a scheme (``jav&#x09;ascript:``).
    """
    compact = _INVISIBLE_RE.sub("", unquote(html.unescape(url))).lower()
    match = _SCHEME_RE.match(compact)
    return match is None or match.group(1) in _ALLOWED_SCHEMES


def _is_external(href: str) -> bool:
    lowered = href.strip().lower()
    return lowered.startswith(("http://", "https://", "//"))


_LANGUAGE_RE = re.compile(r"^[A-Za-z0-9_+#.\-]{1,40}$")
_CODE_FORMATTER = HtmlFormatter(nowrap=True)


@functools.lru_cache(maxsize=128)
def _lexer_for(lang: str) -> Lexer | None:
    """Find the Pygments lexer for a fence's language once: the lookup scans every lexer."""
    try:
        return get_lexer_by_name(lang, stripnl=False)
    except ClassNotFound:
        return None


def _highlight(code: str, lang: str, attrs: str) -> str:
    """Highlight fenced code with Pygments CSS classes; "" lets markdown-it escape it plainly."""
    lexer = _lexer_for(lang.lower()) if lang and _LANGUAGE_RE.match(lang) else None
    if lexer is None:
        return ""
    body = pygments_highlight(code, lexer, _CODE_FORMATTER)
    return f'<pre class="highlight"><code class="language-{escapeHtml(lang)}">{body}</code></pre>'


def slugify_heading(text: str) -> str:
    """Make a heading anchor: lower case, word characters (any script) and hyphens.

    Chinese, Japanese and other scripts keep their characters, so ``安装 指南`` becomes
    ``安装-指南``; text without any word character becomes ``section``.
    """
    # Django's slugify keeps underscores; anchors have always joined them with hyphens too.
    slug = slugify(text.casefold(), allow_unicode=True)
    return re.sub(r"[_-]+", "-", slug).strip("-") or "section"


def _inline_text(children: Sequence[Token] | None) -> str:
    parts: list[str] = []
    for child in children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "wikilink":
            parts.append(child.meta["parsed"].link.label)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children))
    return _collapse("".join(parts))


_FOOTNOTE_ID_RE = re.compile(r"fn(ref)?\d+(:\d+)?")


def _decorate_rule(state: StateCore) -> None:
    """Give headings unique ids (and collect the TOC), mark external links, move alignment.

    Table alignment comes out of markdown-it as ``style``; styles are not allowed through the
    sanitiser, so it becomes a class.
    """
    toc: list[Heading] = state.env.setdefault("toc", [])
    used: set[str] = set()
    tokens = state.tokens
    for idx, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _inline_text(tokens[idx + 1].children)
            base = slugify_heading(text)
            anchor = base
            counter = 1
            # Footnotes own the ids fn<n> and fnref<n>; never give a heading one of those.
            while anchor in used or _FOOTNOTE_ID_RE.fullmatch(anchor):
                anchor = f"{base}-{counter}"
                counter += 1
            used.add(anchor)
            token.attrSet("id", anchor)
            toc.append(Heading(level=int(token.tag[1]), text=text, anchor=anchor))
        elif token.type in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            if style:
                token.attrs.pop("style", None)
                align = style.partition(":")[2].strip()
                if align in ("left", "center", "right"):
                    token.attrSet("class", f"align-{align}")
        elif token.type == "inline" and token.children:
            token.children = _decorate_inline(token.children)


def _decorate_inline(children: list[Token]) -> list[Token]:
    """Mark external links, and turn external images into links to them.

    Showing an image from another site would make every reader's browser contact that site
    (local by default); a link lets the reader choose. Images from this site (relative URLs,
    i.e. attachments) are shown.
    """
    result: list[Token] = []
    for child in children:
        if child.type == "link_open" and _is_external(str(child.attrGet("href") or "")):
            child.attrSet("rel", "noopener noreferrer nofollow")
        elif child.type == "image":
            # Alt text is rendered as plain text, which knows nothing of wikilinks.
            child.children = [_as_text(grandchild) for grandchild in child.children or ()]
            src = str(child.attrGet("src") or "")
            if _is_external(src):
                link_open = Token("link_open", "a", 1)
                link_open.attrSet("href", src)
                link_open.attrSet("class", "external-image")
                link_open.attrSet("rel", "noopener noreferrer nofollow")
                alt = "".join(grandchild.content for grandchild in child.children) or src
                result.extend(
                    [link_open, Token("text", "", 0, content=alt), Token("link_close", "a", -1)]
                )
                continue
        result.append(child)
    return result


def _as_text(token: Token) -> Token:
    if token.type != "wikilink":
        return token
    return Token("text", "", 0, content=token.meta["parsed"].link.label)


def _build_parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {
            # Raw HTML is escaped, not passed through: authors never write tags.
            "html": False,
            "tasklists": True,
            "tasklists_editable": False,
            "highlight": _highlight,
        },
    )
    md.enable(["table", "strikethrough"])
    md.use(gfm_autolink_plugin)
    md.use(footnote_plugin, inline=False)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.core.ruler.push("tacit_decorate", _decorate_rule)
    md.add_render_rule("wikilink", _render_wikilink)
    # markdown-it's own check only blocks a few schemes; ours allows only a few.
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    return md


_MD = _build_parser()

_HEADINGS = {f"h{n}" for n in range(1, 7)}
_CLEANER = nh3.Cleaner(
    tags=_HEADINGS
    | {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "div",
        "em",
        "hr",
        "img",
        "input",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "section",
        "span",
        "strong",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    },
    clean_content_tags={"script", "style"},
    attributes={
        **{tag: {"id"} for tag in _HEADINGS},
        "a": {"href", "class", "title", "rel", "id"},
        "code": {"class"},
        "pre": {"class"},
        "span": {"class"},
        "div": {"class"},
        "p": {"class"},
        "ul": {"class"},
        "ol": {"class", "start"},
        "li": {"class", "id"},
        "sup": {"class"},
        "section": {"class"},
        "hr": {"class"},
        "td": {"class"},
        "th": {"class"},
        "img": {"src", "alt", "title"},
        "input": {"class", "checked"},
    },
    # Whatever reaches an <input>, it leaves as a disabled checkbox (task lists only).
    set_tag_attribute_values={"input": {"type": "checkbox", "disabled": ""}},
    # rel is added by us to external links only.
    link_rel=None,
    url_schemes=set(_ALLOWED_SCHEMES),
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    """Keep only the wiki's allow-list of tags, attributes and URL schemes.

    The one sanitiser for HTML that people see: rendered pages, and other apps' rich text
    (imported messages), so both hold against the same attack lists.
    """
    return _CLEANER.clean(html)


# A few entries are enough: the repeat comes right after the first call.
@functools.lru_cache(maxsize=4)
def _parse(source: str) -> tuple[list[Token], dict[str, Any]]:
    """Parse once for the usual sequence parse_wikilinks -> resolve -> render_markdown.

    Callers only read the tokens (rendering sets an image's alt attribute, always to the
    same value), so sharing them between calls is safe.
    """
    env: dict[str, Any] = {}
    tokens = _MD.parse(source, env)
    return tokens, env


def render_markdown(source: str, *, resolve_link: Resolver | None = None) -> RenderedMarkdown:
    """Render page Markdown to sanitised HTML, with its table of contents and wikilinks.

    ``resolve_link`` maps each distinct wikilink to a URL and whether the page exists (called
    once per distinct link); without it wikilinks render as ``<span class="wikilink">``.
    """
    tokens, parse_env = _parse(source)
    env: dict[str, Any] = {**parse_env, "resolve_link": resolve_link}
    raw_html = _MD.renderer.render(tokens, _MD.options, env)
    return RenderedMarkdown(
        html=sanitise_html(raw_html),
        toc=list(parse_env.get("toc", [])),
        links=_links_from_tokens(tokens),
        sections=_sections(_normalise_newlines(source), tokens),
    )


def _iter_wikilink_tokens(tokens: Sequence[Token]) -> list[tuple[Token, Token]]:
    """(inline block token, wikilink token) pairs in document order; code never has any."""
    found: list[tuple[Token, Token]] = []
    for token in tokens:
        if token.type != "inline":
            continue
        for child in token.children or ():
            if child.type == "wikilink":
                found.append((token, child))
    return found


def _links_from_tokens(tokens: Sequence[Token]) -> list[WikiLink]:
    seen: set[tuple[str | None, str]] = set()
    links: list[WikiLink] = []
    for _, child in _iter_wikilink_tokens(tokens):
        link: WikiLink = child.meta["parsed"].link
        key = (link.space_key.casefold() if link.space_key else None, link.title.casefold())
        if key not in seen:
            seen.add(key)
            links.append(link)
    return links


def parse_wikilinks(source: str) -> list[WikiLink]:
    """Return the wikilinks of a page in document order, without code spans and blocks.

    Duplicates (same space key and title, case-insensitive) are dropped; the first occurrence
    and its label are kept.
    """
    return _links_from_tokens(_parse(source)[0])


# --- Renames ---------------------------------------------------------------------------------


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class _LineSpot:
    """Where one line of an inline token's content starts in the source.

    ``escaped_pipes`` is true for a table cell whose ``\\|`` the table rule turned into ``|``:
    each pipe before a position then adds one source character.
    """

    offset: int
    escaped_pipes: bool

    def source_offset(self, content_line: str, col: int) -> int:
        if self.escaped_pipes:
            col += content_line.count("|", 0, col)
        return self.offset + col


def _locate_inline(
    token: Token, lines: list[str], line_offsets: list[int], cursor: dict[int, int]
) -> list[_LineSpot | None]:
    """Map each line of an inline token's content to where it starts in the source.

    Returns one spot per content line, or None when the line cannot be found verbatim (e.g.
    after tab expansion). ``cursor`` remembers how far each source line has been consumed, so
    two table cells with the same text map to different places.
    """
    assert token.map is not None
    spots: list[_LineSpot | None] = []
    for i, content_line in enumerate(token.content.split("\n")):
        line_no = token.map[0] + i
        if line_no >= len(lines):
            spots.append(None)
            continue
        spot = None
        for candidate, escaped in ((content_line, False), (content_line.replace("|", "\\|"), True)):
            col = lines[line_no].find(candidate, cursor.get(line_no, 0))
            if col >= 0:
                cursor[line_no] = col + len(candidate)
                spot = _LineSpot(line_offsets[line_no] + col, escaped)
                break
            if "|" not in content_line:
                break
        spots.append(spot)
    return spots


def rewrite_wikilinks(
    source: str,
    *,
    old_title: str,
    new_title: str,
    space_key: str | None,
    in_same_space: bool,
) -> str:
    """Point the wikilinks to a renamed page at its new title; everything else is untouched.

    A link points to the renamed page when its title matches ``old_title`` (case-insensitive,
    whitespace collapsed) and either it names ``space_key`` explicitly or it is unqualified and
    ``in_same_space`` is true. Only the title part is replaced: the space prefix and an explicit
    label stay as written. Code spans and code blocks are never changed. Line endings come back
    as LF. Raises ValueError if ``new_title`` cannot be written inside a wikilink.
    """
    if not is_linkable_title(new_title):
        raise ValueError(f"{new_title!r} cannot be used inside a wikilink")
    new_title = _collapse(new_title)
    text = _normalise_newlines(source)
    old_key = _collapse(old_title).casefold()
    space = space_key.casefold() if space_key else None

    lines = text.split("\n")
    line_offsets: list[int] = []
    offset = 0
    for line in lines:
        line_offsets.append(offset)
        offset += len(line) + 1

    edits: list[tuple[int, int, str]] = []
    cursor: dict[int, int] = {}
    located: dict[int, list[_LineSpot | None]] = {}
    tokens = _parse(text)[0]
    # Locate every inline block, in order, even those without links: table cells on one line
    # share it, and each must consume its own part before the next cell is searched.
    for token in tokens:
        if token.type == "inline" and token.map is not None:
            located[id(token)] = _locate_inline(token, lines, line_offsets, cursor)
    for inline, child in _iter_wikilink_tokens(tokens):
        if id(inline) not in located:
            continue
        parsed: _ParsedLink = child.meta["parsed"]
        link = parsed.link
        if link.title.casefold() != old_key:
            continue
        if link.space_key is None:
            if not in_same_space:
                continue
        elif space is None or link.space_key.casefold() != space:
            continue
        content_line_starts = [0]
        for content_line in inline.content.split("\n")[:-1]:
            content_line_starts.append(content_line_starts[-1] + len(content_line) + 1)
        start_in_content: int = child.meta["start"]
        line_index = bisect.bisect_right(content_line_starts, start_in_content) - 1
        spot = located[id(inline)][line_index]
        if spot is None:
            continue
        content_line = inline.content.split("\n")[line_index]
        start = spot.source_offset(content_line, start_in_content - content_line_starts[line_index])
        raw = child.content
        written = raw.replace("|", "\\|") if spot.escaped_pipes else raw
        end = start + len(written)
        # Never edit a place we could not map back exactly.
        if text[start:end] != written:
            continue
        title = new_title
        if link.space_key is None and ":" not in raw[: parsed.title_start]:
            # An unqualified link to a title like "RFC:12" needs the "no space" colon.
            title = (":" if _SPACE_PREFIX_RE.match(new_title) else "") + new_title
        # The title comes before any pipe, so its offsets are the same in the written form.
        replacement = written[: parsed.title_start] + title + written[parsed.title_end :]
        edits.append((start, end, replacement))

    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


# --- Sections --------------------------------------------------------------------------------


def split_sections(source: str) -> list[Section]:
    """Split a page's source at its top-level headings, for editing one section at a time.

    Headings inside code blocks, lists or quotes do not start sections. Section 0 is the text
    before the first heading and is listed only if it is not blank; heading sections are
    numbered from 1 in document order, so an index always means the same heading.
    """
    text = _normalise_newlines(source)
    return _sections(text, _parse(text)[0])


def _sections(text: str, tokens: list[Token]) -> list[Section]:
    """The sections of ``text`` (LF line endings) from its parsed ``tokens``."""
    lines = text.splitlines(keepends=True)
    headings: list[tuple[int, int, str]] = []  # (start_line, level, title)
    for idx, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map is not None:
            title = _inline_text(tokens[idx + 1].children)
            headings.append((token.map[0], int(token.tag[1]), title))

    sections: list[Section] = []
    first = headings[0][0] if headings else len(lines)
    preamble = "".join(lines[:first])
    if preamble.strip():
        sections.append(Section(0, 0, "", 0, first, preamble))
    for number, (start, level, title) in enumerate(headings, start=1):
        end = len(lines)
        for later_start, later_level, _ in headings[number:]:
            if later_level <= level:
                end = later_start
                break
        sections.append(Section(number, level, title, start, end, "".join(lines[start:end])))
    return sections


def replace_section(source: str, index: int, new_text: str) -> str:
    """Replace section ``index`` (as numbered by ``split_sections``) with ``new_text``.

    Index 0 always exists (possibly empty: replacing it inserts text before the first heading).
    A line break is added to ``new_text`` when text follows it. Line endings come back as LF.
    Raises SectionNotFoundError for any other index that ``split_sections`` does not list.
    """
    text = _normalise_newlines(source)
    lines = text.splitlines(keepends=True)
    sections = {section.index: section for section in split_sections(text)}
    if index in sections:
        start, end = sections[index].start_line, sections[index].end_line
    elif index == 0:
        first_heading = min((s.start_line for s in sections.values()), default=len(lines))
        start, end = 0, first_heading
    else:
        raise SectionNotFoundError(f"section {index} does not exist")
    replacement = _normalise_newlines(new_text)
    if replacement and not replacement.endswith("\n") and end < len(lines):
        replacement += "\n"
    return "".join(lines[:start]) + replacement + "".join(lines[end:])


# --- Plain text by heading ---------------------------------------------------------------------


@dataclass(frozen=True)
class TextBlock:
    """The plain text under one heading (up to the next heading of any level).

    ``heading`` is empty for the text before the first heading; ``anchor`` is the heading's
    HTML id on the rendered page; ``path`` is the heading and its parents, outermost first.
    """

    heading: str
    anchor: str
    level: int
    path: tuple[str, ...]
    text: str


def plain_text_blocks(source: str) -> list[TextBlock]:
    """A page's text as plain-text blocks, one per heading, from the same parse as rendering.

    Paragraphs, list items, table cells, quotes and code keep their words (a wikilink its
    label); raw HTML is left out. Blocks without text are left out, except a heading's own.
    """
    tokens, _env = _parse(_normalise_newlines(source))
    blocks: list[TextBlock] = []
    parents: list[tuple[int, str]] = []
    heading, anchor, level = "", "", 0
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(line for line in lines if line)
        if text or heading:
            path = tuple(title for _level, title in parents)
            blocks.append(TextBlock(heading, anchor, level, path, text))
        lines.clear()

    skip_next_inline = False
    for idx, token in enumerate(tokens):
        if token.type == "heading_open":
            flush()
            level = int(token.tag[1])
            heading = _inline_text(tokens[idx + 1].children)
            anchor = str(token.attrGet("id") or "")
            while parents and parents[-1][0] >= level:
                parents.pop()
            parents.append((level, heading))
            skip_next_inline = True
        elif token.type == "inline":
            if skip_next_inline:
                skip_next_inline = False
                continue
            lines.append(_inline_text(token.children))
        elif token.type in ("fence", "code_block"):
            lines.append(token.content.strip())
    flush()
    return blocks
