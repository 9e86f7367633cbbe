"""Keyword terms of passages and questions, from PostgreSQL's own text search parser.

English words are stemmed and stop words dropped by the ``english`` configuration (the
same one the wiki's search uses); Chinese, Japanese and Korean runs are cut into
character pairs first (``core.cjk``), so "部署" matches inside "部署指南". The passage
side and the question side go through the same function, so they always agree.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection

from core.cjk import cjk_bigrams

CONFIG = "english"
# Longer lexemes are noise (hashes, base64); PostgreSQL itself refuses words over 2 KB.
MAX_TERM_CHARS = 100


def terms_of_texts(texts: list[str]) -> list[Counter[str]]:
    """For each text, its terms and how often each occurs, in one query for all of them."""
    if not texts:
        return []
    counts: list[Counter[str]] = [Counter() for _ in texts]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.ord, v.lexeme, COALESCE(array_length(v.positions, 1), 1) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(body, ord), "
            "LATERAL unnest(to_tsvector(%s::regconfig, t.body)) AS v",
            [[cjk_bigrams(text) for text in texts], CONFIG],
        )
        for ordinal, lexeme, frequency in cursor.fetchall():
            if len(lexeme) <= MAX_TERM_CHARS:
                counts[ordinal - 1][lexeme] = frequency
    return counts


def terms_of_question(question: str) -> list[str]:
    """The distinct terms of a question, in first-seen order."""
    return list(terms_of_texts([question])[0])
