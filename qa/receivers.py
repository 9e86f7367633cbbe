"""How the Q&A index follows the wiki: receivers of ``wiki.hooks``, connected in ready()."""

from qa.tasks import index_pages_task


def on_pages_changed(sender, *, page_ids: list[int], **kwargs) -> None:
    """Queue the pages for re-indexing on the worker (the signal is sent on commit)."""
    index_pages_task.delay(list(page_ids))
