"""The handover app's models, one module per room.

- ``imports``: imported exports and what they contain (sources, people, conversations,
  threads, messages).
- ``rights``: deletion receipts shown to the person whose data was deleted.
"""

from handover.models.imports import (
    SEARCH_CONFIG,
    Conversation,
    Message,
    Person,
    PersonIdentity,
    Source,
    Thread,
)
from handover.models.rights import DeletionReceipt

__all__ = [
    "SEARCH_CONFIG",
    "Conversation",
    "DeletionReceipt",
    "Message",
    "Person",
    "PersonIdentity",
    "Source",
    "Thread",
]
