"""What does not belong in a manual, a map topic or a note: the ledger's out-of-scope
topics (health, family, pay, reviews, discipline) and labels of a person's mood or
personality.

The ledger's detector (``handover.privacy.out_of_scope``) covers the first; it has no
mood or personality labels, because a handover's chat rarely labels people, while a
note about a person is exactly where such a label would be written. So this module
adds a small curated list of them, English and Chinese, for review here. Pure
functions on strings.
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from handover.privacy.out_of_scope import TOPIC_LABELS, out_of_scope_topics

PERSONALITY = "personality"

# A trailing * lets the word continue with letters ("introvert*": introverted).
ENGLISH_LABELS = (
    "introvert*",
    "extrovert*",
    "extravert*",
    "moody",
    "grumpy",
    "cranky",
    "bad mood",
    "good mood",
    "in a mood",
    "temper",
    "short-tempered",
    "hot-headed",
    "emotional",
    "too sensitive",
    "oversensitive",
    "lazy",
    "arrogant",
    "toxic",
    "difficult person",
    "hard to work with",
    "personality",
    "MBTI",
    "INTJ",
    "INTP",
    "ENTJ",
    "ENTP",
    "INFJ",
    "INFP",
    "ENFJ",
    "ENFP",
    "ISTJ",
    "ISFJ",
    "ESTJ",
    "ESFJ",
    "ISTP",
    "ISFP",
    "ESTP",
    "ESFP",
)
CHINESE_LABELS = (
    "内向",
    "外向",
    "性格",
    "脾气",
    "情绪化",
    "心情不好",
    "心情好",
    "玻璃心",
    "难相处",
    "暴躁",
    "易怒",
    "懒惰",
    "傲慢",
    "高冷",
)


def _english_pattern(phrase: str) -> str:
    stem, star, _rest = phrase.partition("*")
    body = r"[\s-]+".join(re.escape(word) for word in stem.split(" "))
    body += r"[a-z]*" if star else ""
    # MBTI types and the like only in capitals: "intj" is rarely a label, "INTJ" is.
    return f"(?-i:{body})" if phrase.isupper() else body


_ENGLISH = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    + "|".join(_english_pattern(p) for p in sorted(ENGLISH_LABELS, key=len, reverse=True))
    + r")(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
_CHINESE = re.compile("|".join(re.escape(p) for p in CHINESE_LABELS))

LABELS: dict[str, Promise] = {
    **TOPIC_LABELS,
    PERSONALITY: _("Mood or personality labels"),
}


def personality_labels(text: str) -> list[str]:
    """The mood or personality labels in ``text``, as written, in order."""
    found = [(m.start(), m.group()) for m in _ENGLISH.finditer(text)]
    found += [(m.start(), m.group()) for m in _CHINESE.finditer(text)]
    return [phrase for _start, phrase in sorted(found)]


def out_of_scope_labels(*texts: str) -> list[str]:
    """The topics that do not belong here which any of ``texts`` touches, each once, as
    labels for the writer to read (in the active language); empty when all is in scope."""
    found: dict[str, None] = {}
    for text in texts:
        for topic in out_of_scope_topics(text):
            found[str(topic)] = None
        if personality_labels(text):
            found[PERSONALITY] = None
    return [str(LABELS[key]) for key in found]
