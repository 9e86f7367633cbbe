"""Imported messages read in their platform's formatting, and every XSS payload comes out safe."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from handover.imports.formatting import (
    format_mail,
    format_markdown,
    format_message,
    format_mrkdwn,
    format_plain,
)

PAYLOADS = Path(__file__).resolve().parents[2] / "wiki" / "xss_payloads.txt"
PLATFORMS = ["slack", "whatsapp", "discord", "telegram", "mattermost", "email", "teams", "feishu"]


def _payloads() -> list[str]:
    lines = PAYLOADS.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line and not line.startswith("#")]


def test_slack_marks_become_html() -> None:
    html = format_mrkdwn("a *bold* _italic_ ~gone~ `x = *y*` word*not*bold snake_case_name")
    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<del>gone</del>" in html
    assert "<code>x = *y*</code>" in html  # no marks inside code
    assert "word*not*bold" in html and "snake_case_name" in html


def test_slack_links_and_mentions() -> None:
    html = format_mrkdwn(
        "see <https://example.com/a_b_|the docs> and <https://example.com> "
        "<@U123> <@U9|ana> <#C1|general> <!here>",
        names={"U123": "Bo"},
    )
    assert '<a href="https://example.com/a_b_" rel="noopener noreferrer nofollow">the docs</a>' in (
        html
    )
    assert ">https://example.com</a>" in html
    assert "@Bo" in html and "@ana" in html and "#general" in html and "@here" in html
    assert "U123" not in html


def test_slack_code_blocks_and_quotes() -> None:
    html = format_mrkdwn("before\n```\nif a < b:\n    *x*\n```\n> quoted *line*\nafter")
    assert "<pre><code>if a &lt; b:\n    *x*\n</code></pre>" in html
    assert "<blockquote>quoted <strong>line</strong></blockquote>" in html
    assert "after" in html


def test_text_in_angle_brackets_that_is_no_slack_markup_stays_text() -> None:
    html = format_mrkdwn("use <stdin> and <b>this</b>")
    assert "&lt;stdin&gt;" in html and "&lt;b&gt;this&lt;/b&gt;" in html


def test_text_that_looks_like_a_placeholder_is_dropped_not_followed() -> None:
    html = format_mrkdwn("a \ue00099\ue001 b *c* \ue0000\ue001")
    assert html == '<div class="formatted"><p>a 99 b <strong>c</strong> 0</p></div>'


def test_discord_and_telegram_markdown() -> None:
    html = format_markdown("**bold** *it* ~~gone~~ `code`\n```py\nprint(1)\n```")
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<del>gone</del>" in html or "<s>gone</s>" in html
    assert "<code>code</code>" in html and "<pre" in html


def test_mail_folds_quotes_and_signature() -> None:
    html = format_mail("Thanks, done.\n\nOn Monday Ana wrote:\n> can you?\n> please\n-- \nBo\nACME")
    assert html.startswith("Thanks, done.")
    assert "<details><summary>Quoted text</summary>can you?<br>please</details>" in html
    assert "<details><summary>Signature</summary>Bo<br>ACME</details>" in html


def test_mail_uses_the_whole_body_when_given() -> None:
    html = format_message(platform="email", text="Thanks.", raw="Thanks.\n> old")
    assert "<details>" in html and "old" in html


def test_plain_text_keeps_lines_and_links() -> None:
    html = format_plain("one <b>\ntwo https://example.com/x?a=1&b=2.")
    assert html == (
        'one &lt;b&gt;<br>two <a href="https://example.com/x?a=1&amp;b=2" '
        'rel="noopener noreferrer nofollow">https://example.com/x?a=1&amp;b=2</a>.'
    )


class _Elements(HTMLParser):
    """Every start tag of a piece of HTML with its attributes, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _unsafe(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.found:
        if tag in ("script", "iframe", "object", "embed", "style", "svg", "math"):
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"{tag} {name}=")
            target = re.sub(r"[\x00-\x20]", "", (value or "")).lower()
            if name in ("href", "src", "action", "formaction") and target.startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                problems.append(f"{tag} {name}={value}")
    return problems


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_xss_payload_comes_out_safe(platform: str) -> None:
    payloads = _payloads()
    assert len(payloads) > 50
    for payload in payloads:
        for text, raw in ((payload, ""), (f"*{payload}*", payload), (f"> {payload}", payload)):
            html = format_message(platform=platform, text=text, raw=raw)
            assert "<script" not in html.lower(), (platform, payload, html)
            assert _unsafe(html) == [], (platform, payload, html)
