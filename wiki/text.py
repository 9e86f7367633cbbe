"""Small text helpers for indexing and mentions: CJK bigrams, @mentions, slugs."""

import re

from django.utils.text import slugify

# CJK Unified Ideographs (and extension A), Hiragana, Katakana and Hangul syllables.
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")

# Top-level page slugs that would shadow a space's own URLs.
RESERVED_SLUGS = frozenset({"new", "-"})


def has_cjk(text: str) -> bool:
    """Whether ``text`` contains a Chinese, Japanese or Korean character."""
    return _CJK_RUN.search(text) is not None


def cjk_bigrams(text: str) -> str:
    """Replace each run of CJK characters by its overlapping bigrams, space-separated.

    PostgreSQL's text search parser keeps a whole CJK run as one token, so "部署指南"
    would only match itself. Indexing "部署 署指 指南" instead lets a query for "部署"
    (cut the same way) match inside longer runs. A single character stays as it is.
    """

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    return _CJK_RUN.sub(split, text)


def find_mentions(text: str) -> set[str]:
    """Usernames mentioned as @username in ``text``."""
    return {name.rstrip(".") for name in _MENTION.findall(text)}


def slug_for_title(title: str) -> str:
    """A URL slug for a page title; keeps Chinese characters, never empty."""
    return slugify(title, allow_unicode=True)[:180] or "page"
