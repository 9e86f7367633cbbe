"""What the wiki tells the apps built on it, without importing them.

The Q&A index follows the wiki through these signals: it connects a receiver in its
``AppConfig.ready()``. Each signal is sent once the transaction that made the change has
committed (never for a change that rolled back), with the ids of the pages concerned.
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

# A page's indexable content or place changed: saved, renamed, moved, deleted, restored,
# purged, its owners or review state changed. Receivers get ``page_ids`` (a list of ints).
pages_changed = Signal()


def announce_pages_changed(page_ids: Iterable[int]) -> None:
    """Send ``pages_changed`` for ``page_ids`` when the current transaction commits."""
    wanted = sorted({int(page_id) for page_id in page_ids})
    if wanted:
        transaction.on_commit(lambda: pages_changed.send(sender=None, page_ids=wanted))
