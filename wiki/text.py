"""Small text helpers for pages: @mentions and slugs (CJK search text is ``core.cjk``)."""

import re

from django.utils.text import slugify

_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")

# Top-level page slugs that would shadow a space's own URLs.
RESERVED_SLUGS = frozenset({"new", "-"})


def find_mentions(text: str) -> set[str]:
    """Usernames mentioned as @username in ``text``."""
    return {name.rstrip(".") for name in _MENTION.findall(text)}


def slug_for_title(title: str) -> str:
    """A URL slug for a page title; keeps Chinese characters, never empty."""
    return slugify(title, allow_unicode=True)[:180] or "page"
