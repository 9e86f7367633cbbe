"""Q&A retrieval quality on a BEIR dataset: nDCG@10 and Recall@100 of dense, keyword and hybrid.

Usage::

    .venv/bin/python bench/qa_quality.py                         # SciFact, all 300 questions
    .venv/bin/python bench/qa_quality.py --limit-queries 20 --limit-docs 300   # a smoke run
    .venv/bin/python bench/qa_quality.py --dataset ../shared/data/beir-nfcorpus
    .venv/bin/python bench/qa_quality.py --reindex               # chunk, post and embed again

The dataset is a folder in BEIR's layout: ``corpus.jsonl`` (``_id``, ``title``, ``text``),
``queries.jsonl`` (``_id``, ``text``) and ``qrels/test.tsv`` (query id, document id, grade),
by default ``../shared/data/beir-scifact`` beside the repository.

Every document becomes a wiki page in one private space, made by the wiki's own services
(``create_space``, ``create_page``: about 50 ms a page, 4-5 minutes for SciFact's 5,183):
its title is the document's title and its body the document's text. A page title has at
most 200 characters, is unique in its space and cannot hold ``|`` or unbalanced square
brackets, so the few titles that break those rules are changed (cut at a word with "…",
suffixed with the document id, brackets made parentheses); ``titles_changed`` counts them.
The wiki's ``pages_changed`` hook is disconnected while the pages are made: the bench then
indexes each page itself with ``qa.indexing.index_page`` (what the worker's task does) and
embeds the chunks with ``embed_pending_chunks`` into the index ``ensure_active_index``
makes. The pages live in their own database, ``bench_qa_<dataset>`` (with the document
count appended for a limited run), built once and reused; indexing again is cheap, since a
chunk whose text did not change keeps its postings and vectors. ``--reindex`` drops the Q&A
index first (needed after a change to ``qa/keywords.py``, which does not change a chunk's
text), and embeds everything again (SciFact's pages make 10,024 chunks: 38 minutes on 2
cores shared with other work, 2026-12-02).

Each question is asked through ``qa.retrieval.search_chunks`` in each mode, as a reader of
the space (not its admin). A document's score is that of its best chunk. nDCG@10 is
computed as pytrec_eval (BEIR's evaluator) does: graded gains, a log2(rank + 1) discount,
the ideal ranking from the qrels, ties broken by document id descending. Recall@100 is the
share of the relevant documents among the first 100. Both are averaged over every question
of the qrels, a question with no result counting 0 (BEIR leaves those out).

``--limit-queries N`` keeps the first N questions of the qrels and ``--limit-docs N`` keeps
their relevant documents plus a fixed sample of the others, N documents in all.

The last line is one JSON object: ``dense``, ``keyword`` and ``hybrid``, each with
``ndcg@10``, ``recall@100``, ``query_ms_p50`` and ``docs_listed_p50`` (distinct documents
among a question's candidates: ``--candidates`` chunks from each retriever, by default the
product's ``CANDIDATES``), the counts and the seconds of each step.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = REPO_ROOT.parent / "shared" / "data" / "beir-scifact"
SPACE_KEY = "beir"
MODES = ("dense", "keyword", "hybrid")
CUTOFF_NDCG = 10
CUTOFF_RECALL = 100


def _setup_django(database: str) -> None:
    os.environ["TACIT_DB_NAME"] = database
    # The services run in-process; what they schedule on commit goes nowhere.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


# --- The dataset ---------------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_dataset(
    folder: Path, split: str = "test"
) -> tuple[dict[str, dict], dict[str, str], dict[str, dict[str, int]]]:
    """The corpus (id -> title and text), the questions (id -> text) and a split's qrels."""
    corpus = {str(doc["_id"]): doc for doc in _jsonl(folder / "corpus.jsonl")}
    queries = {str(query["_id"]): query["text"] for query in _jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open(encoding="utf-8") as rows:
        for line in rows:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3 or not fields[2].lstrip("-").isdigit():
                continue  # the header
            query_id, doc_id, grade = fields[0], fields[1], int(fields[2])
            if query_id in queries and doc_id in corpus:
                qrels.setdefault(query_id, {})[doc_id] = grade
    return corpus, queries, qrels


def limit_dataset(
    corpus: dict[str, dict],
    qrels: dict[str, dict[str, int]],
    *,
    limit_queries: int | None,
    limit_docs: int | None,
) -> tuple[list[str], list[str]]:
    """The document ids and question ids of the run, in a fixed order."""
    query_ids = list(qrels)[:limit_queries] if limit_queries else list(qrels)
    if not limit_docs or limit_docs >= len(corpus):
        return list(corpus), query_ids
    wanted = {doc_id for query_id in query_ids for doc_id in qrels[query_id]}
    others = sorted(set(corpus) - wanted)
    sample = random.Random(15).sample(others, max(0, min(len(others), limit_docs - len(wanted))))
    chosen = wanted | set(sample)
    return [doc_id for doc_id in corpus if doc_id in chosen], query_ids


# --- Pages ---------------------------------------------------------------------------------------


def page_titles(corpus: dict[str, dict], doc_ids: list[str]) -> tuple[dict[str, str], int]:
    """Each document's page title (deterministic, so a later run finds the same pages), and
    how many differ from the document's own title."""
    from wiki.rendering import is_linkable_title
    from wiki.services.validation import MAX_TITLE_LENGTH

    titles: dict[str, str] = {}
    taken: set[str] = set()
    changed = 0
    for doc_id in doc_ids:
        original = " ".join(str(corpus[doc_id].get("title") or "").split())
        title = original or f"Document {doc_id}"
        if not is_linkable_title(title):
            title = title.replace("|", "/").replace("[", "(").replace("]", ")")
        if len(title) > MAX_TITLE_LENGTH:
            title = title[: MAX_TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
        if title.lower() in taken:
            suffix = f" ({doc_id})"
            title = title[: MAX_TITLE_LENGTH - len(suffix)] + suffix
        taken.add(title.lower())
        titles[doc_id] = title
        changed += title != original
    return titles, changed


def _people():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    editor, _ = User.objects.get_or_create(username="bench-qa-editor")
    reader, _ = User.objects.get_or_create(username="bench-qa-reader")
    return editor, reader


def build_pages(corpus: dict[str, dict], doc_ids: list[str], titles: dict[str, str]) -> float:
    """The space and one page a document, through the wiki's services; returns seconds."""
    from qa.receivers import on_pages_changed
    from wiki import services
    from wiki.hooks import pages_changed

    started = time.perf_counter()
    editor, reader = _people()
    space = services.create_space(name="BEIR", key=SPACE_KEY, by=editor, is_private=True)
    services.set_space_role(space=space, by=editor, role="reader", user=reader)
    # The bench indexes each page itself below, as the worker's task would.
    pages_changed.disconnect(on_pages_changed, dispatch_uid="qa.index_pages")
    try:
        for done, doc_id in enumerate(doc_ids, start=1):
            services.create_page(
                space=space,
                author=editor,
                title=titles[doc_id],
                body=str(corpus[doc_id].get("text") or ""),
            )
            if done % 500 == 0 or done == len(doc_ids):
                elapsed = time.perf_counter() - started
                print(f"created {done:,}/{len(doc_ids):,} pages in {elapsed:.0f} s", flush=True)
    finally:
        pages_changed.connect(on_pages_changed, dispatch_uid="qa.index_pages")
    return time.perf_counter() - started


def prepare_pages(corpus: dict[str, dict], doc_ids: list[str], titles: dict[str, str]) -> float:
    """Reuse the pages of an earlier run when they are the same, else build them again."""
    from django.core.management import call_command
    from django.db import connection

    from wiki.models import Page, Space

    call_command("migrate", verbosity=0)
    space = Space.objects.filter(key=SPACE_KEY).first()
    if space is not None:
        have = set(Page.objects.filter(space=space).values_list("title", flat=True))
        if have == set(titles.values()):
            print(f"reusing {len(have):,} pages", flush=True)
            return 0.0
        print("the pages differ from the dataset: emptying the database", flush=True)
        call_command("flush", interactive=False, verbosity=0)
    seconds = build_pages(corpus, doc_ids, titles)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return seconds


# --- The Q&A index -------------------------------------------------------------------------------


def drop_index() -> None:
    """Every chunk, posting, term, vector and the corpus statistics, for ``--reindex``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE qa_posting, qa_chunkembedding, qa_chunk, qa_term, qa_corpusstats CASCADE"
        )


def index_all(page_ids: list[int]) -> dict:
    """Chunk and post every page, then embed what changed; the counts and seconds."""
    from django.db import connection

    from qa.indexing import embed_pending_chunks, ensure_active_index, index_page

    started = time.perf_counter()
    changed = 0
    for done, page_id in enumerate(page_ids, start=1):
        changed += len(index_page(page_id=page_id))
        if done % 1000 == 0:
            print(f"indexed {done:,}/{len(page_ids):,} pages", flush=True)
    index_seconds = time.perf_counter() - started
    print(f"indexed {len(page_ids):,} pages in {index_seconds:.0f} s, {changed:,} chunks new")

    started = time.perf_counter()
    ensure_active_index()

    def progress(count: int) -> None:
        if count % 640 == 0:
            print(f"embedded {count:,} chunks in {time.perf_counter() - started:.0f} s", flush=True)

    embedded = embed_pending_chunks(progress=progress)
    embed_seconds = time.perf_counter() - started
    print(f"embedded {embedded:,} chunks in {embed_seconds:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "index_seconds": round(index_seconds, 1),
        "chunks_changed": changed,
        "embed_seconds": round(embed_seconds, 1),
        "chunks_embedded": embedded,
    }


# --- Measures ------------------------------------------------------------------------------------


def rank_documents(scores: dict[str, float]) -> list[str]:
    """Document ids best first, ties broken by id descending, as trec_eval breaks them."""
    return [doc_id for doc_id, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]))][
        ::-1
    ]


def ndcg_at(ranked: list[str], grades: dict[str, int], cutoff: int) -> float:
    """nDCG@cutoff as trec_eval's ndcg_cut: gain = grade, discount log2(rank + 1)."""
    dcg = sum(
        grades.get(doc_id, 0) / math.log2(rank + 1)
        for rank, doc_id in enumerate(ranked[:cutoff], start=1)
    )
    ideal = sorted((grade for grade in grades.values() if grade > 0), reverse=True)[:cutoff]
    idcg = sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], grades: dict[str, int], cutoff: int) -> float:
    relevant = {doc_id for doc_id, grade in grades.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:cutoff])) / len(relevant)


def evaluate(
    *,
    queries: dict[str, str],
    query_ids: list[str],
    qrels: dict[str, dict[str, int]],
    doc_of_chunk: dict[int, str],
    candidates: int,
) -> dict:
    """Every question in every mode as the space's reader; the means of the measures."""
    from qa.embeddings import get_embedding_model
    from qa.retrieval import search_chunks

    _editor, reader = _people()
    get_embedding_model()  # loaded before any timing
    search_chunks(user=reader, question="warm up", mode="hybrid", candidates=candidates)
    results = {}
    for mode in MODES:
        ndcgs, recalls, times, listed = [], [], [], []
        for query_id in query_ids:
            started = time.perf_counter()
            found = search_chunks(
                user=reader, question=queries[query_id], mode=mode, candidates=candidates
            )
            times.append((time.perf_counter() - started) * 1000)
            scores: dict[str, float] = {}
            for candidate in found:
                doc_id = doc_of_chunk[candidate.chunk_id]
                scores[doc_id] = max(scores.get(doc_id, 0.0), candidate.score)
            ranked = rank_documents(scores)
            listed.append(len(ranked))
            ndcgs.append(ndcg_at(ranked, qrels[query_id], CUTOFF_NDCG))
            recalls.append(recall_at(ranked, qrels[query_id], CUTOFF_RECALL))
        results[mode] = {
            f"ndcg@{CUTOFF_NDCG}": round(statistics.fmean(ndcgs), 4),
            f"recall@{CUTOFF_RECALL}": round(statistics.fmean(recalls), 4),
            "query_ms_p50": round(statistics.median(times), 1),
            "docs_listed_p50": statistics.median(listed),
        }
        print(f"{mode:>8}: {results[mode]}", flush=True)
    return results


RRF_KS = (10, 20, 30, 45, 60, 100)
THRESHOLDS = tuple(round(0.2 + 0.05 * step, 2) for step in range(13))


def calibrate(
    queries: dict[str, str],
    query_ids: list[str],
    qrels: dict[str, dict[str, int]],
    doc_of_chunk: dict[int, str],
    candidates: int,
) -> dict:
    """The settings chosen on the train split (never on the test split that is reported):

    - the RRF k with the best hybrid nDCG@10;
    - the abstention threshold: the answer service answers when the best cosine similarity
      among its three passages reaches it; an answer is right when one of those passages is
      from a relevant document. The threshold with the best F1 of "answered and right"
      (precision: right among answered; recall: answered among those it could get right).
    - the same threshold on unanswerable questions: each question asked again of the
      corpus without its relevant documents (their chunks taken out of both candidate
      lists), where the right outcome is to abstain. ``unanswerable_abstained`` is the
      share that abstains; ``balanced`` the mean of that share and the F1 above, and
      ``best_threshold_balanced`` the threshold where it peaks.
    """
    from qa.answers import PASSAGES
    from qa.keywords import terms_of_question
    from qa.retrieval import (
        active_index,
        dense_candidates,
        embed_question,
        fuse,
        keyword_candidates,
    )

    _editor, reader = _people()
    index = active_index()
    lists = []
    for query_id in query_ids:
        vector = embed_question(queries[query_id], index)
        dense = dense_candidates(user=reader, vector=vector, index=index, limit=candidates)
        keyword = keyword_candidates(
            user=reader, terms=terms_of_question(queries[query_id]), limit=candidates
        )
        lists.append((query_id, dense, keyword))
    by_k = {}
    for k in RRF_KS:
        ndcgs = []
        for query_id, dense, keyword in lists:
            scores: dict[str, float] = {}
            for candidate in fuse(dense, keyword, k=k):
                doc_id = doc_of_chunk[candidate.chunk_id]
                scores[doc_id] = max(scores.get(doc_id, 0.0), candidate.score)
            ndcgs.append(ndcg_at(rank_documents(scores), qrels[query_id], CUTOFF_NDCG))
        by_k[k] = round(statistics.fmean(ndcgs), 4)
    best_k = max(by_k, key=by_k.get)

    def best_similarity(top: list) -> float:
        return max((1 - c.dense_distance for c in top if c.dense_distance is not None), default=0.0)

    outcomes = []
    unanswerable = []
    for query_id, dense, keyword in lists:
        top = fuse(dense, keyword, k=best_k)[:PASSAGES]
        right = any(doc_of_chunk[c.chunk_id] in qrels[query_id] for c in top)
        outcomes.append((best_similarity(top), right))
        relevant = qrels[query_id]
        without = fuse(
            [(i, d) for i, d in dense if doc_of_chunk.get(i) not in relevant],
            [(i, score) for i, score in keyword if doc_of_chunk.get(i) not in relevant],
            k=best_k,
        )[:PASSAGES]
        unanswerable.append(best_similarity(without))
    could = sum(1 for _s, right in outcomes if right)
    by_threshold = {}
    for threshold in THRESHOLDS:
        answered = [right for similarity, right in outcomes if similarity >= threshold]
        precision = sum(answered) / len(answered) if answered else 0.0
        recall = sum(answered) / could if could else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        abstained = sum(1 for similarity in unanswerable if similarity < threshold)
        abstained_share = abstained / len(unanswerable) if unanswerable else 0.0
        by_threshold[threshold] = {
            "answered": round(len(answered) / len(outcomes), 3),
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "unanswerable_abstained": round(abstained_share, 3),
            "balanced": round((f1 + abstained_share) / 2, 3),
        }
    best_threshold = max(by_threshold, key=lambda t: by_threshold[t]["f1"])
    best_balanced = max(by_threshold, key=lambda t: by_threshold[t]["balanced"])
    return {
        "split": "train",
        "queries": len(query_ids),
        "hybrid_ndcg@10_by_rrf_k": by_k,
        "best_rrf_k": best_k,
        "abstention_by_threshold": by_threshold,
        "best_threshold": best_threshold,
        "best_threshold_balanced": best_balanced,
    }


def _database_name(dataset: Path, doc_count: int, corpus_size: int) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", dataset.name.lower()).strip("_") or "dataset"
    name = f"bench_qa_{name}"
    return name if doc_count == corpus_size else f"{name}_{doc_count}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="a BEIR folder")
    parser.add_argument("--limit-queries", type=int, help="only the first N questions")
    parser.add_argument("--limit-docs", type=int, help="N documents: the relevant ones first")
    parser.add_argument("--reindex", action="store_true", help="drop the Q&A index first")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="on the train split: sweep the RRF k and the abstention threshold",
    )
    parser.add_argument(
        "--candidates", type=int, help="chunks each retriever returns (default: the product's)"
    )
    args = parser.parse_args()
    dataset = args.dataset.resolve()
    corpus, queries, qrels = load_dataset(dataset, "train" if args.calibrate else "test")
    doc_ids, query_ids = limit_dataset(
        corpus, qrels, limit_queries=args.limit_queries, limit_docs=args.limit_docs
    )
    database = _database_name(dataset, len(doc_ids), len(corpus))
    _setup_django(database)

    from django.db.models import Count

    from qa.models import Chunk
    from qa.retrieval import CANDIDATES
    from wiki.models import Page, Space

    titles, titles_changed = page_titles(corpus, doc_ids)
    build_seconds = prepare_pages(corpus, doc_ids, titles)
    if args.reindex:
        drop_index()
    space = Space.objects.get(key=SPACE_KEY)
    doc_of_title = {title: doc_id for doc_id, title in titles.items()}
    doc_of_page = {
        page_id: doc_of_title[title]
        for page_id, title in Page.objects.filter(space=space).values_list("pk", "title")
    }
    indexed = index_all(sorted(doc_of_page))
    doc_of_chunk = {
        chunk_id: doc_of_page[page_id]
        for chunk_id, page_id in Chunk.objects.filter(space=space).values_list("pk", "page_id")
    }
    chunk_counts = list(
        Chunk.objects.filter(space=space)
        .values("page_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )
    candidates = args.candidates or CANDIDATES
    if args.calibrate:
        print(json.dumps(calibrate(queries, query_ids, qrels, doc_of_chunk, candidates)))
        return
    started = time.perf_counter()
    results = evaluate(
        queries=queries,
        query_ids=query_ids,
        qrels=qrels,
        doc_of_chunk=doc_of_chunk,
        candidates=candidates,
    )
    summary = {
        **results,
        "dataset": dataset.name,
        "database": database,
        "documents": len(doc_ids),
        "queries": len(query_ids),
        "chunks": len(doc_of_chunk),
        "documents_with_several_chunks": sum(1 for count in chunk_counts if count > 1),
        "titles_changed": titles_changed,
        "candidates": candidates,
        "build_seconds": round(build_seconds, 1),
        **indexed,
        "query_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
