"""Q&A speed: indexing throughput against the model's own, and ``POST /api/ask`` latency
against its floor, on an index of 100,000 chunks.

Usage::

    .venv/bin/python bench/qa_speed.py                    # 100,000 chunks, built once
    .venv/bin/python bench/qa_speed.py --chunks 5000      # its own database, bench_qa_speed_5k
    .venv/bin/python bench/qa_speed.py --rebuild          # throw the index away, build again

The data lives in its own database, ``bench_qa_speed`` (``bench_qa_speed_<size>``). The build
makes one private space of ``--chunks / 4`` pages, each of four heading sections of one
paragraph (``bench/wiki.py``'s generated prose: a Zipf vocabulary of common and made-up words
plus the page's subject words), so each page is four chunks. Pages and their revisions are
written around the wiki's services (``create_page`` costs ~60 ms a page here, for rendering
that the index never reads); the index is built by the product's own code:
``qa.indexing.index_pages`` (chunking, keyword postings, statistics) and
``qa.indexing.embed_pending_chunks`` (batched embedding into pgvector), timed together.

Figures (the last line is one JSON object):

- ``index_chunks_per_s``: chunks indexed per second, both steps together;
- ``encode_chunks_per_s``: the model's raw ``encode`` throughput on a sample
  (``--encode-sample``, 5,000) of the same chunk texts, same batch size, same process;
- ``index_ratio``: the first divided by the second (aim: at least 0.85);
- ``ask_p50_ms`` / ``ask_p95_ms``: ``POST /api/ask`` through Django's test client, in-process,
  signed in with a token as a reader of the space, extractive, over ``--questions`` (200)
  questions made of each page's subject words, after a warm-up;
- ``floor_p50_ms``: in the same run, for the same questions: one query embedding plus the raw
  pgvector top-10 query (HNSW, ``ef_search`` as configured), nothing else (aim: ask p50
  within 1.5 times it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
DATABASE = "bench_qa_speed"
DEFAULT_CHUNKS = 100_000
SECTIONS = 4
SPACE_KEY = "bench-qa"
READER = "bench-qa-reader"


def _label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _setup_django(database: str) -> None:
    os.environ["TACIT_DB_NAME"] = database
    os.environ["STATIC_MANIFEST"] = "false"
    # Django's test client asks for the host "testserver".
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    # Services schedule tasks on commit; in the bench nobody reads them.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    # One reader asks hundreds of questions a minute: the per-person and workspace limits
    # (20 and 120 a minute by default) would answer 429 long before the run ends.
    os.environ["QA_ASKS_PER_USER_MINUTE"] = "1000000"
    os.environ["QA_ASKS_PER_WORKSPACE_MINUTE"] = "1000000"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _body(maker, rnd: random.Random, topic: list[str]) -> str:  # noqa: ANN001
    parts = []
    for number in range(1, SECTIONS + 1):
        heading = " ".join(rnd.choices(topic, k=rnd.randint(1, 3))).capitalize()
        parts.append(f"## {number}. {heading}\n\n{maker._paragraph(rnd, topic, link=False)}")
    return "\n\n".join(parts) + "\n"


def _build(chunks: int) -> list[int]:
    """The space, its reader and ``chunks / SECTIONS`` pages; returns the page ids."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from bench.wiki import TextMaker, _titles, _topic
    from wiki import services
    from wiki.models import Page, Revision, Role
    from wiki.text import slug_for_title

    users = get_user_model().objects
    admin = users.filter(username="bench-qa-admin").first() or users.create_user(
        "bench-qa-admin", password=None
    )
    reader = users.filter(username=READER).first() or users.create_user(READER, password=None)
    space = services.create_space(name="Q&A bench", key=SPACE_KEY, by=admin)
    services.set_space_role(space=space, by=admin, role=Role.READER, user=reader)
    count = max(1, chunks // SECTIONS)
    titles = _titles(count)
    maker = TextMaker(titles)
    ids: list[int] = []
    for start in range(0, count, 500):
        with transaction.atomic():
            batch = []
            for index in range(start, min(count, start + 500)):
                slug = slug_for_title(titles[index])
                batch.append(
                    Page(space=space, title=titles[index], slug=slug, path=slug, created_by=admin)
                )
            Page.objects.bulk_create(batch)
            revisions = [
                Revision(
                    page=page,
                    number=1,
                    body=_body(maker, random.Random(start + offset), _topic(start + offset)),
                    author=admin,
                )
                for offset, page in enumerate(batch)
            ]
            Revision.objects.bulk_create(revisions)
            for page, revision in zip(batch, revisions, strict=True):
                page.current_revision = revision
            Page.objects.bulk_update(batch, ["current_revision"])
            ids.extend(page.pk for page in batch)
    return ids


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _questions(count: int) -> list[str]:
    from bench.wiki import _topic

    rnd = random.Random(5)
    starts = ["How do we", "Where is the", "Who owns the", "What is the rule for", "Why do we"]
    return [
        f"{rnd.choice(starts)} {' '.join(rnd.sample(_topic(rnd.randrange(10_000)), 3))}?"
        for _ in range(count)
    ]


def _encode_rate(texts: list[str]) -> float:
    from qa.embeddings import embed_texts
    from qa.indexing import EMBED_BATCH_SIZE

    embed_texts(texts[:EMBED_BATCH_SIZE], batch_size=EMBED_BATCH_SIZE)
    started = time.perf_counter()
    for offset in range(0, len(texts), EMBED_BATCH_SIZE):
        embed_texts(texts[offset : offset + EMBED_BATCH_SIZE], batch_size=EMBED_BATCH_SIZE)
    return len(texts) / (time.perf_counter() - started)


def _floor_ms(questions: list[str]) -> list[float]:
    from django.conf import settings
    from django.db import connection, transaction

    from qa.embeddings import vector_literal
    from qa.retrieval import active_index, embed_question

    index = active_index()
    dimension = int(index.dimension)
    timings = []
    for question in questions:
        started = time.perf_counter()
        vector = embed_question(question, index)
        literal = vector_literal(vector)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL hnsw.ef_search = {int(settings.QA_HNSW_EF_SEARCH)}")
            cursor.execute(
                f"SELECT chunk_id FROM qa_chunkembedding WHERE index_id = {int(index.pk)} "  # noqa: S608
                f"ORDER BY embedding::vector({dimension}) <=> %s::vector({dimension}) LIMIT 10",
                [literal],
            )
            cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _ask_ms(questions: list[str]) -> list[float]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    reader = get_user_model().objects.get(username=READER)
    token, _new = Token.objects.get_or_create(user=reader)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    timings = []
    for question in questions:
        started = time.perf_counter()
        response = client.post("/api/ask", {"question": question}, format="json")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"/api/ask answered {response.status_code}: {response.content!r}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=DEFAULT_CHUNKS)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--encode-sample", type=int, default=5000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--database")
    args = parser.parse_args()
    database = args.database or (
        DATABASE if args.chunks == DEFAULT_CHUNKS else f"{DATABASE}_{_label(args.chunks)}"
    )
    _setup_django(database)
    from django.core.management import call_command
    from django.db import connection

    from qa.indexing import embed_pending_chunks, ensure_active_index, index_pages
    from qa.models import Chunk
    from wiki.models import Page, Space

    if args.rebuild:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    result: dict[str, object] = {"database": database}
    if not Space.objects.filter(key=SPACE_KEY).exists():
        started = time.perf_counter()
        page_ids = _build(args.chunks)
        result["build_pages_seconds"] = round(time.perf_counter() - started, 1)
        ensure_active_index()
        started = time.perf_counter()
        index_pages(page_ids=page_ids)
        keyword_seconds = time.perf_counter() - started
        embedded = embed_pending_chunks()
        index_seconds = time.perf_counter() - started
        chunks = Chunk.objects.count()
        result.update(
            {
                "chunks": chunks,
                "embedded": embedded,
                "index_seconds": round(index_seconds, 1),
                "chunk_and_keyword_seconds": round(keyword_seconds, 1),
                "index_chunks_per_s": round(chunks / index_seconds, 1),
            }
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE qa_chunk, qa_posting, qa_term, qa_chunkembedding")
    else:
        result["chunks"] = Chunk.objects.count()
        result["pages"] = Page.objects.count()
        result["note"] = "index reused: pass --rebuild to measure indexing again"
    texts = list(
        Chunk.objects.order_by("?").values_list("embed_text", flat=True)[: args.encode_sample]
    )
    encode = _encode_rate(texts)
    result["encode_chunks_per_s"] = round(encode, 1)
    if "index_chunks_per_s" in result:
        result["index_ratio"] = round(float(result["index_chunks_per_s"]) / encode, 3)
    questions = _questions(args.questions)
    _ask_ms(questions[:20])
    _floor_ms(questions[:20])
    floor = _floor_ms(questions)
    ask = _ask_ms(questions)
    result.update(
        {
            "questions": len(questions),
            "ask_p50_ms": round(statistics.median(ask), 1),
            "ask_p95_ms": round(_percentile(ask, 0.95), 1),
            "floor_p50_ms": round(statistics.median(floor), 1),
        }
    )
    result["ask_over_floor"] = round(result["ask_p50_ms"] / result["floor_p50_ms"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
