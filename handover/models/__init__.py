"""The handover app's models, one module per room.

- ``imports``: imported exports and what they contain (sources, people, conversations,
  threads, messages).
- ``cases``: the handover case and its states.
- ``consent``: the ledger of grants, third parties' naming consent, purge jobs.
- ``privacy``: prepared messages, redactions, pseudonyms.
- ``rights``: deletion receipts, one-time sign-in links, data exports.
"""

from handover.models.cases import HandoverCase
from handover.models.consent import (
    PURPOSE_VALUES,
    ConsentExcludedThread,
    ConsentGrant,
    ConsentScopeConversation,
    NamingConsent,
    PurgeJob,
    Purpose,
)
from handover.models.imports import (
    SEARCH_CONFIG,
    Conversation,
    Message,
    Person,
    PersonIdentity,
    Source,
    Thread,
)
from handover.models.privacy import CasePseudonym, PreparedMessage, Redaction
from handover.models.rights import DataExport, DeletionReceipt, SubjectAccessLink

__all__ = [
    "PURPOSE_VALUES",
    "SEARCH_CONFIG",
    "CasePseudonym",
    "ConsentExcludedThread",
    "ConsentGrant",
    "ConsentScopeConversation",
    "Conversation",
    "DataExport",
    "DeletionReceipt",
    "HandoverCase",
    "Message",
    "NamingConsent",
    "Person",
    "PersonIdentity",
    "PreparedMessage",
    "Purpose",
    "PurgeJob",
    "Redaction",
    "Source",
    "SubjectAccessLink",
    "Thread",
]
