"""How similar natural questions are to the demo wiki's passages: the abstention threshold's
other side.

Usage::

    .venv/bin/python bench/qa_demo_probe.py

Embeds the passages of the demo space's pages (``wiki/management/commands/seed_demo_wiki.py``,
chunked as the index chunks them) with the configured model, and prints, for questions the
demo answers and questions it cannot, the best cosine similarity and the passage it falls
on. No database is needed. The last line is one JSON object: ``answerable`` and
``unanswerable``, each question with its best similarity, and ``QA_ABSTAIN_BELOW``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

ANSWERABLE = [
    "How do I deploy to production?",
    "How do I roll back a release?",
    "What should I check before deploying?",
    "How fast must on-call answer a page?",
    "如何部署？",
    "Who do I ask about deploys?",
]
UNANSWERABLE = [
    "What is our vacation policy?",
    "How do I expense a taxi?",
    "Where is the billing database?",
    "Which laptop do new hires get?",
]


def main() -> None:
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from qa.chunking import page_passages
    from qa.embeddings import get_embedding_model
    from wiki.management.commands import seed_demo_wiki as seed

    pages = {
        "Home": seed.HOME,
        "Deploy guide": seed.DEPLOY,
        "On-call handbook": seed.ONCALL,
        "部署指南": seed.CHINESE,
    }
    passages = [
        (title, passage.heading, passage.embed_text)
        for title, body in pages.items()
        for passage in page_passages(title=title, body=body)
    ]
    model = get_embedding_model()
    vectors = model.encode([p[2] for p in passages], normalize_embeddings=True)
    result: dict = {"QA_ABSTAIN_BELOW": settings.QA_ABSTAIN_BELOW}
    for name, questions in (("answerable", ANSWERABLE), ("unanswerable", UNANSWERABLE)):
        found = {}
        for question, row in zip(
            questions, model.encode(questions, normalize_embeddings=True) @ vectors.T, strict=True
        ):
            best = int(row.argmax())
            found[question] = round(float(row[best]), 3)
            print(f"{row[best]:.2f}  {question}  ->  {passages[best][1] or passages[best][0]}")
        result[name] = found
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
