"""How the Q&A index follows the wiki: receivers of ``wiki.hooks``, connected in ready()."""

from django.db import transaction

from qa.tasks import index_pages_task, sync_plugin_documents_task


def on_pages_changed(sender, *, page_ids: list[int], **kwargs) -> None:
    """Queue the pages for re-indexing on the worker (the signal is sent on commit)."""
    index_pages_task.delay(list(page_ids))


def on_plugin_documents_changed(sender, **kwargs) -> None:
    """A plugin's documents changed: ask every plugin again on the worker after commit."""
    transaction.on_commit(sync_plugin_documents_task.delay)
