"""Search helpers for text without spaces between words (Chinese, Japanese, Korean).

PostgreSQL's parser sees a run of CJK characters as one word, so "中文" would
not find "中文处理". Messages store the unigrams and bigrams of their CJK runs
in ``Message.cjk_terms`` (the pg_bigm idea); a query's CJK runs become the same
bigrams, all required. Everything else goes through ``websearch_to_tsquery``.
The CJK ranges and pairs come from ``core.cjk``, shared with the wiki's search.
"""

from core.cjk import CJK_RUN, cjk_pairs, cjk_runs

__all__ = ["cjk_runs", "cjk_terms", "split_query"]


def cjk_terms(*texts: str) -> str:
    """The CJK unigrams and bigrams of ``texts``, space-separated, each once."""
    terms: dict[str, None] = {}
    for text in texts:
        if not text or text.isascii():
            continue
        for run in cjk_runs(text):
            terms.update(dict.fromkeys(run))
            terms.update(dict.fromkeys(cjk_pairs(run)))
    return " ".join(terms)


def split_query(query: str) -> tuple[str, str]:
    """``(words, cjk)``: the query without its CJK runs, and those runs as bigram terms.

    A one-character run stays a unigram; longer runs become their bigrams, so
    "中文处理" asks for 中文, 文处 and 处理 together.
    """
    terms = [pair for run in cjk_runs(query) for pair in cjk_pairs(run)]
    words = CJK_RUN.sub(" ", query).strip()
    return words, " ".join(dict.fromkeys(terms))
