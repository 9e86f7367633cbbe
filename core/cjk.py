"""Chinese, Japanese and Korean text for search: detecting CJK runs and cutting them in pairs.

PostgreSQL's text search parser keeps a whole run of CJK characters as one token, so "部署指南"
would only match itself. Cutting each run into overlapping character pairs (bigrams) on both
sides, the indexed text and the query, lets "部署" match inside longer runs. The wiki's page
index and the handover message search both use these helpers.
"""

import re

# The ranges, once: Hiragana and Katakana, CJK ideographs (extension A, unified,
# compatibility) and Hangul syllables.
CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_RUN = re.compile(f"[{CJK_RANGES}]+")


def has_cjk(text: str) -> bool:
    """Whether ``text`` contains a Chinese, Japanese or Korean character."""
    return CJK_RUN.search(text) is not None


def cjk_runs(text: str) -> list[str]:
    """The runs of CJK characters in ``text``, as written."""
    return CJK_RUN.findall(text)


def cjk_pairs(run: str) -> list[str]:
    """A CJK run as its overlapping character pairs; a single character stays as it is."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def cjk_bigrams(text: str) -> str:
    """``text`` with each CJK run replaced by its pairs, space-separated.

    "部署指南" becomes " 部署 署指 指南 "; the rest of the text is left as it is.
    """
    return CJK_RUN.sub(lambda match: " " + " ".join(cjk_pairs(match.group(0))) + " ", text)
