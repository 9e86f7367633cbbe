"""How an imported message reads: each platform's formatting as safe HTML, one function per kind.

Every path ends in the wiki's sanitiser (``wiki.rendering``): Markdown platforms
(Discord, Telegram, Mattermost) go through :func:`wiki.rendering.render_markdown`
itself, the others build HTML from escaped text and pass it through the same nh3
allow-list. What comes out may be marked safe.

- Slack mrkdwn (and WhatsApp, which shares its inline marks): ``*bold*``,
  ``_italics_``, ``~strike~``, ```` `code` ````, ```` ``` ```` blocks, ``>`` quotes,
  ``<url|label>`` and ``<url>`` links, ``<@U123>`` and ``<#C123|name>`` mentions
  shown as names (the Slack importer already stores them as ``@name``).
- Mail: the author's own lines; quoted lines (``>``) and the signature (after a
  ``-- `` line) folded in ``<details>``.
- Anything else: plain text with its line breaks and its http(s) links.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from wiki.rendering import is_safe_url, render_markdown, sanitise_html

MARKDOWN_PLATFORMS = frozenset({"discord", "telegram", "mattermost"})
MRKDWN_PLATFORMS = frozenset({"slack", "whatsapp"})
MAIL_PLATFORMS = frozenset({"email"})

# A bare link in running text; trailing punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]")
# Slack's <...> markup: <@U123>, <@U123|name>, <#C123|name>, <!here>, <url|label>, <url>.
# Anything else in angle brackets is text someone typed (the importer unescaped Slack's &lt;).
_SLACK_MARKUP = re.compile(r"<((?:[@#!]|https?://|mailto:)[^<>\n]*)>")
_FENCE = re.compile(r"```(?:[^\n`]*\n)?(.*?)```", re.S)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Slack's marks need a non-word character (or the text's edge) outside and non-space inside.
_MARKS = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "del"),
)


def _clean(markup: str) -> SafeString:
    return mark_safe(sanitise_html(markup))  # noqa: S308 - the wiki's allow-list ran


def _link(url: str, label: str | None = None) -> str:
    """An escaped link, or the escaped text when the URL is not http(s), mailto or relative."""
    text = html.escape(label if label else url)
    if not is_safe_url(url):
        return text
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer nofollow">{text}</a>'


def _linkify(text: str) -> str:
    """Escape ``text``; its bare http(s) URLs become links."""
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        parts.append(_link(match.group(0)))
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _with_placeholders(
    text: str, pattern: re.Pattern[str], render: Callable[[re.Match[str]], str], store: list[str]
) -> str:
    """Replace each match by a private-use placeholder; ``store`` keeps its rendered HTML."""

    def replace(match: re.Match[str]) -> str:
        store.append(render(match))
        return f"\ue000{len(store) - 1}\ue001"

    return pattern.sub(replace, text)


_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def _restore(markup: str, store: list[str]) -> str:
    return _PLACEHOLDER.sub(lambda match: store[int(match.group(1))], markup)


def _slack_markup(match: re.Match[str], names: Mapping[str, str]) -> str:
    target, _bar, label = match.group(1).partition("|")
    if target.startswith("@"):
        return html.escape(f"@{label or names.get(target[1:], target[1:])}")
    if target.startswith("#"):
        return html.escape(f"#{label or names.get(target[1:], target[1:])}")
    if target.startswith("!"):
        if label:
            return html.escape(label if label.startswith("@") else f"@{label}")
        return html.escape(f"@{target[1:].split('^', 1)[0]}")
    return _link(target, label.removeprefix("mailto:") or target.removeprefix("mailto:"))


def _mrkdwn_inline(text: str, names: Mapping[str, str], store: list[str]) -> str:
    """One paragraph of mrkdwn (no code blocks) as HTML; placeholders stay for code spans."""
    text = _with_placeholders(
        text, _CODE_SPAN, lambda m: f"<code>{html.escape(m.group(1))}</code>", store
    )
    text = _with_placeholders(text, _SLACK_MARKUP, lambda m: _slack_markup(m, names), store)
    # Links become placeholders too, so a mark never lands inside an href.
    text = _with_placeholders(text, _URL, lambda m: _link(m.group(0)), store)
    markup = html.escape(text)
    for pattern, tag in _MARKS:
        markup = pattern.sub(rf"<{tag}>\1</{tag}>", markup)
    return markup


def _mrkdwn_lines(text: str, names: Mapping[str, str], store: list[str]) -> str:
    """Lines of mrkdwn: runs of ``>`` lines become quotes, the rest keeps its line breaks."""
    blocks: list[str] = []
    quote: list[str] = []
    plain: list[str] = []

    def flush_plain() -> None:
        if plain:
            blocks.append(
                "<p>" + "<br>".join(_mrkdwn_inline(line, names, store) for line in plain) + "</p>"
            )
            plain.clear()

    def flush_quote() -> None:
        if quote:
            inner = "<br>".join(_mrkdwn_inline(line, names, store) for line in quote)
            blocks.append(f"<blockquote>{inner}</blockquote>")
            quote.clear()

    for line in text.split("\n"):
        # Slack escapes & < > in stored text; a quote arrives as "&gt; ".
        stripped = line.removeprefix("&gt;") if line.startswith("&gt;") else None
        if stripped is None and line.startswith(">"):
            stripped = line[1:]
        if stripped is not None:
            flush_plain()
            quote.append(stripped.removeprefix(" "))
        else:
            flush_quote()
            plain.append(line)
    flush_plain()
    flush_quote()
    return "".join(blocks)


def format_mrkdwn(text: str, *, names: Mapping[str, str] | None = None) -> SafeString:
    """Slack's mrkdwn (also WhatsApp's marks) as sanitised HTML.

    ``names`` maps user and channel ids to names for ``<@U123>`` and ``<#C123>``
    written without a label.
    """
    names = names or {}
    # The placeholder marks are private-use characters; a message's own copies would point
    # into the store (or past its end), so they go first.
    text = text.replace("\ue000", "").replace("\ue001", "")
    store: list[str] = []
    text = _with_placeholders(
        text, _FENCE, lambda m: f"<pre><code>{html.escape(m.group(1))}</code></pre>", store
    )
    markup = _mrkdwn_lines(text, names, store)
    # A placeholder can hold another (a code span inside a link label cannot, but be sure).
    for _round in range(3):
        if "\ue000" not in markup:
            break
        markup = _restore(markup, store)
    return _clean(f'<div class="formatted">{markup}</div>')


def format_markdown(text: str) -> SafeString:
    """Markdown (Discord, Telegram, Mattermost) through the wiki's renderer and sanitiser."""
    return mark_safe(render_markdown(text).html)  # noqa: S308 - render_markdown sanitises


def format_plain(text: str) -> SafeString:
    """Plain text: escaped, line breaks kept, http(s) links clickable."""
    return _clean("<br>".join(_linkify(line) for line in text.split("\n")))


def _folded(summary: str, lines: list[str]) -> str:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    inner = _clean("<br>".join(_linkify(line) for line in lines))
    return f"<details><summary>{html.escape(summary)}</summary>{inner}</details>"


def format_mail(body: str) -> SafeString:
    """A mail body: the author's lines, then quoted runs and the signature folded away.

    ``<details>`` is not in the wiki's allow-list, so each folded part is
    sanitised on its own and wrapped in markup built here from escaped text.
    """
    lines = body.replace("\r\n", "\n").split("\n")
    signature: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() == "--":
            signature = lines[index + 1 :]
            lines = lines[:index]
            break
    parts: list[str] = []
    own: list[str] = []
    quoted: list[str] = []
    for line in lines:
        if line.lstrip().startswith(">"):
            if own:
                parts.append(_clean("<br>".join(_linkify(item) for item in own)))
                own = []
            quoted.append(line.lstrip()[1:].removeprefix(" "))
            continue
        if quoted:
            parts.append(_folded(_("Quoted text"), quoted))
            quoted = []
        own.append(line)
    if quoted:
        parts.append(_folded(_("Quoted text"), quoted))
    while own and not own[-1].strip():
        own.pop()
    if own:
        parts.append(_clean("<br>".join(_linkify(item) for item in own)))
    if any(line.strip() for line in signature):
        parts.append(_folded(_("Signature"), signature))
    return mark_safe("".join(parts))  # noqa: S308 - each part is sanitised or escaped above


def format_message(*, platform: str, text: str, raw: str = "") -> SafeString:
    """A message's text as safe HTML in its platform's formatting.

    Mail reads ``raw`` (the whole body, with quotes and signature) when there is
    one; the stored ``text`` of a mail is the author's part only.
    """
    if platform in MRKDWN_PLATFORMS:
        return format_mrkdwn(text)
    if platform in MARKDOWN_PLATFORMS:
        return format_markdown(text)
    if platform in MAIL_PLATFORMS:
        return format_mail(raw or text)
    return format_plain(text)
