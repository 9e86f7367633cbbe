"""Drafting at scale: a case of 10,000 and of 100,000 consented messages, drafted end to end.

Usage::

    .venv/bin/python bench/drafting.py                    # 10,000 then 100,000 messages
    .venv/bin/python bench/drafting.py --messages 10000   # one size
    .venv/bin/python bench/drafting.py --rebuild          # generate and import again

Each size has its own database, ``bench_drafting_<size>`` (10k, 100k), built once with
``bench/slack_export_generator.py`` (the generated Slack export bench/importers.py and
bench/consent.py use) and imported for the subject; later runs reuse it. Each size runs in
a child process of its own (so its peak RSS is its own), which opens a fresh case, consents
to publishing over every conversation, prepares the copies (timed apart, not part of the
drafting figure), then:

1. measures the raw encode throughput of the embedding model on exactly the texts the
   drafting run embeds (``handover.drafting.runner.embedding_texts`` over the read path),
   with the same batch size, in the same process;
2. drafts the case in-process as the worker would (``run_draft``), and prints its time,
   messages/s, the peak RSS of the step (the kernel's high-water mark, reset before it),
   topics, sections, and the share of drafted sentences with at least one citation;
3. ``embed_ratio``: drafting messages/s divided by the raw encode messages/s (1.0 means
   the run costs exactly the embedding; the aim is at least 0.8).

The last line is one JSON object: the figures of the largest size at its top level
(``seconds``, ``messages_per_s``, ``peak_rss_mb``, ``topics``, ``sections``,
``cited_sentence_ratio``, ``embed_ratio``), and every size's under ``by_size``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

SIZES = (10_000, 100_000)


def _child(messages: int, rebuild: bool) -> dict:
    import tempfile

    from bench import consent as base

    base._setup_django(f"bench_drafting_{base._label(messages)}", Path(tempfile.mkdtemp()))
    import logging

    from django.db import connection
    from django.utils import timezone

    from handover.cases import services as case_services
    from handover.consent import services as consent_services
    from handover.consent.read import iter_consented_messages
    from handover.drafting import runner
    from handover.drafting.runs import start_draft_run
    from handover.models import (
        Conversation,
        DraftCitation,
        DraftRun,
        DraftSection,
        DraftSentence,
        HandoverCase,
        Purpose,
    )
    from handover.privacy import services as privacy_services
    from qa.embeddings import embed_texts, get_embedding_model

    imported = base._prepare(rebuild, messages)
    subject, manager, successor, team = base._people()
    # Earlier runs' cases (and their drafts) go first, so each run starts from the same rows.
    HandoverCase.objects.filter(subject=subject).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    case = case_services.open_case(
        subject=subject,
        team=team,
        by=manager,
        last_day=timezone.localdate() + datetime.timedelta(days=14),
        successors=[successor],
    )
    conversation_ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(
        case=case, by=subject, purposes=[Purpose.PUBLISH], conversation_ids=conversation_ids
    )
    logging.disable(logging.WARNING)
    started = time.perf_counter()
    privacy_services.prepare_case_messages(case_id=case.pk)
    prepare_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"prepared {messages:,} messages in {prepare_seconds:.0f} s", flush=True)

    # 1. The raw encode of the very texts the run embeds.
    texts = [
        runner.embedding_text(message)
        for message in iter_consented_messages(purpose=Purpose.PUBLISH, case=case)
    ]
    get_embedding_model()  # loaded before either timing
    embed_texts(texts[:64], batch_size=runner.EMBED_BATCH_SIZE)
    started = time.perf_counter()
    embed_texts(texts, batch_size=runner.EMBED_BATCH_SIZE)
    encode_seconds = time.perf_counter() - started
    encode_per_s = len(texts) / encode_seconds
    print(f"raw encode: {len(texts):,} texts in {encode_seconds:.0f} s", flush=True)
    del texts

    # 2. The drafting run, as the worker would run it.
    run = start_draft_run(case=case, by=subject)
    with base._Step() as step:
        finished = runner.run_draft(run_id=run.pk)
    logging.disable(logging.NOTSET)
    if finished is None or finished.status != DraftRun.Status.SUCCEEDED:
        raise SystemExit(f"drafting failed: {finished.error if finished else 'not run'}")
    drafted = finished.messages_done
    sentences = DraftSentence.objects.filter(section__run=finished)
    cited = sentences.filter(pk__in=DraftCitation.objects.values("sentence_id")).count()
    total_sentences = sentences.count()
    per_s = drafted / step.seconds
    return {
        "messages": drafted,
        "seconds": round(step.seconds, 1),
        "cpu_s": round(step.cpu_seconds, 1),
        "messages_per_s": round(per_s, 1),
        "peak_rss_mb": round(step.peak_rss_mb),
        "topics": finished.topics.count(),
        "sections": DraftSection.objects.filter(run=finished).count(),
        "sentences": total_sentences,
        "cited_sentence_ratio": round(cited / total_sentences, 4) if total_sentences else None,
        "encode_per_s": round(encode_per_s, 1),
        "embed_ratio": round(per_s / encode_per_s, 3),
        "prepare_seconds": round(prepare_seconds, 1),
        "import": imported,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, action="append", help="a size (repeatable)")
    parser.add_argument("--rebuild", action="store_true", help="generate and import again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.messages or list(SIZES)
    if args.child:
        print(json.dumps(_child(sizes[0], args.rebuild)))
        return
    results = {}
    for size in sizes:
        command = [sys.executable, __file__, "--child", "--messages", str(size)]
        if args.rebuild:
            command.append("--rebuild")
        completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        lines = completed.stdout.strip().splitlines()
        print("\n".join(lines[:-1]), flush=True)
        if completed.returncode != 0 or not lines:
            raise SystemExit(f"the {size:,}-message run failed")
        results[size] = json.loads(lines[-1])
        figures = results[size]
        print(
            f"{size:>8,} messages: drafted in {figures['seconds']} s "
            f"({figures['messages_per_s']} msg/s), {figures['topics']} topics, "
            f"{figures['sections']} sections, cited {figures['cited_sentence_ratio']}, "
            f"encode {figures['encode_per_s']} msg/s, embed_ratio {figures['embed_ratio']}, "
            f"peak RSS {figures['peak_rss_mb']} MB",
            flush=True,
        )
    largest = results[max(results)]
    keys = (
        "seconds",
        "messages_per_s",
        "peak_rss_mb",
        "topics",
        "sections",
        "cited_sentence_ratio",
        "embed_ratio",
    )
    summary = {key: largest[key] for key in keys}
    summary["messages"] = largest["messages"]
    summary["by_size"] = {str(size): figures for size, figures in results.items()}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
