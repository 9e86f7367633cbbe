"""Celery tasks of the Q&A index: interfaces that take ids, load and call a service."""

from celery import shared_task

from qa.indexing import embed_pending_chunks, ensure_active_index, index_pages
from qa.rebuild import BUILD_CHUNKS_PER_RUN, BuildOutcome, build_embedding_index


@shared_task(name="qa.index_pages", acks_late=True)
def index_pages_task(page_ids: list[int]) -> int:
    """Re-chunk the pages (dropping those gone or trashed), then embed what changed.

    Idempotent: a page that did not change keeps its chunks and vectors.
    """
    index_pages(page_ids=page_ids)
    return embed_pending_task.run()


@shared_task(name="qa.embed_pending", acks_late=True)
def embed_pending_task() -> int:
    """Embed every chunk whose vector in the active index is missing or out of date; safe
    to run twice.

    An index being built is left to its own task (``build_embedding_index_task``), which
    takes chunks written meanwhile before it switches: filling it here too would make
    every page edit during a build re-embed the rest of the corpus alongside the build.
    """
    return embed_pending_chunks(index=ensure_active_index())


@shared_task(name="qa.build_embedding_index", acks_late=True)
def build_embedding_index_task(index_id: int) -> str:
    """Embed chunks into the building index ``index_id`` (a slice at a time, each run
    queueing the next), then switch to it.

    Resumable and idempotent: a rerun embeds only what is missing, and an index that is not
    building any more is left alone.
    """
    outcome = build_embedding_index(index_id=index_id, max_chunks=BUILD_CHUNKS_PER_RUN)
    if outcome == BuildOutcome.MORE:
        build_embedding_index_task.delay(index_id)
    return outcome.value


@shared_task(name="qa.sync_plugin_documents", acks_late=True)
def sync_plugin_documents_task() -> int:
    """Make the index hold what plugins offer now, then embed what changed; idempotent."""
    from qa.plugin_sources import sync_plugin_documents

    sync_plugin_documents()
    return embed_pending_task.run()


# The bots' tasks live beside their code; importing them here registers them with Celery,
# whose autodiscovery looks only at each app's ``tasks`` module.
from qa.bots.tasks import (  # noqa: E402, F401
    answer_feishu_question_task,
    answer_slack_question_task,
    ask_person_from_feishu_task,
    ask_person_from_slack_task,
)
