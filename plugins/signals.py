"""Signals a plugin sends to core, so core never has to poll it."""

from django.dispatch import Signal

# Send after the documents ``tacit_index_documents`` returns have changed (on commit):
# ``index_documents_changed.send(sender="<the hook module's name>")``. The Q&A index asks
# every plugin again soon after.
index_documents_changed = Signal()
