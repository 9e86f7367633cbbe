"""Documents plugins offer to the Q&A index (``tacit_index_documents``), kept in step.

``sync_plugin_documents`` asks every plugin for its documents and makes the index hold
exactly those: a new or changed document is chunked (its title prefixed) and embedded on
the worker like a page, one no longer offered is removed with its postings and vectors,
and a plugin that is uninstalled loses all of them. A plugin whose hook raises keeps what
it had. Who may be answered from a document is decided as for a page, live: the readers
of its space (``qa.retrieval._visible_sql``). The worker runs it on a beat, on
``reindex`` and soon after a plugin sends ``plugins.signals.index_documents_changed``.
"""

from __future__ import annotations

from django.db import transaction

from plugins.manager import plugin_index_documents
from plugins.types import IndexDocument
from qa.chunking import fit_passages, token_counter
from qa.indexing import _drop_sources, _ensure_stats, _lock, _Row, _write_source
from qa.models import Chunk
from wiki.models import Space

PREFIX = "plugin:"
MAX_DOCUMENT_CHARS = 100_000


def source_key(plugin: str, key: str) -> str:
    return f"{PREFIX}{plugin}:{key}"[:200]


def _rows(document: IndexDocument, space_id: int, counter) -> list[_Row]:  # noqa: ANN001
    return [
        _Row(
            passage=passage,
            title=document.title[:300],
            space_id=space_id,
            page_id=None,
            url=document.url,
            owner_label=document.owner[:300],
            source_updated_at=document.updated_at,
        )
        for passage in fit_passages(
            prefix=document.title, text=document.text[:MAX_DOCUMENT_CHARS], counter=counter
        )
    ]


@transaction.atomic
def sync_plugin_documents() -> dict[str, int]:
    """Make the index hold what each plugin offers now; returns counts of ``written``
    (documents new or changed), ``removed`` (chunks dropped) and ``skipped`` (documents
    whose space does not exist)."""
    offered = plugin_index_documents()
    _lock()
    _ensure_stats()
    spaces = dict(Space.objects.values_list("key", "pk"))
    counter = token_counter()
    keep: set[str] = set()
    counts = {"written": 0, "removed": 0, "skipped": 0}
    for plugin, documents in offered.items():
        if documents is None:
            # The hook raised: what the plugin offered before stays as it was.
            keep |= set(
                Chunk.objects.filter(
                    kind=Chunk.Kind.PLUGIN, source_key__startswith=source_key(plugin, "")
                ).values_list("source_key", flat=True)
            )
            continue
        for document in documents:
            space_id = spaces.get(document.space_key)
            if space_id is None:
                counts["skipped"] += 1
                continue
            key = source_key(plugin, document.key)
            keep.add(key)
            if _write_source(
                kind=Chunk.Kind.PLUGIN, source_key=key, rows=_rows(document, space_id, counter)
            ):
                counts["written"] += 1
    gone = (
        set(Chunk.objects.filter(kind=Chunk.Kind.PLUGIN).values_list("source_key", flat=True))
        - keep
    )
    counts["removed"] = _drop_sources(gone)
    return counts
