"""Search helpers for text without spaces between words (Chinese, Japanese, Korean).

PostgreSQL's parser sees a run of CJK characters as one word, so "中文" would
not find "中文处理". Messages store the unigrams and bigrams of their CJK runs
in ``Message.cjk_terms`` (the pg_bigm idea); a query's CJK runs become the same
bigrams, all required. Everything else goes through ``websearch_to_tsquery``.
"""

import re

# Hiragana, katakana, CJK ideographs (with extension A and compatibility) and Hangul.
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")


def cjk_terms(*texts: str) -> str:
    """The CJK unigrams and bigrams of ``texts``, space-separated, each once."""
    terms: dict[str, None] = {}
    for text in texts:
        if not text or text.isascii():
            continue
        for run in CJK_RUN.findall(text):
            terms.update(dict.fromkeys(run))
            terms.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
    return " ".join(terms)


def split_query(query: str) -> tuple[str, str]:
    """``(words, cjk)``: the query without its CJK runs, and those runs as bigram terms.

    A one-character run stays a unigram; longer runs become their bigrams, so
    "中文处理" asks for 中文, 文处 and 处理 together.
    """
    terms: list[str] = []
    for run in CJK_RUN.findall(query):
        if len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    words = CJK_RUN.sub(" ", query).strip()
    return words, " ".join(dict.fromkeys(terms))


def cjk_runs(query: str) -> list[str]:
    """The query's CJK runs as typed, for highlighting them in a snippet."""
    return CJK_RUN.findall(query)
