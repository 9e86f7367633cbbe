"""The handover app's models, one module per room.

- ``imports``: imported exports and what they contain (sources, people, conversations,
  threads, messages).
- ``cases``: the handover case and its states.
- ``consent``: the ledger of grants, third parties' naming consent, purge jobs.
- ``privacy``: prepared messages, redactions, pseudonyms.
- ``rights``: deletion receipts, one-time sign-in links, data exports.
- ``drafting``: drafting runs, topics, sections, cited sentences, the interview, comments.
- ``publishing``: the wiki pages a case published, the subject's pages passed on.
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
from handover.models.drafting import (
    DraftCitation,
    DraftComment,
    DraftRun,
    DraftSection,
    DraftSentence,
    DraftThread,
    DraftTopic,
    InterviewQuestion,
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
from handover.models.publishing import PageReassignment, PublishedPage
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
    "DraftCitation",
    "DraftComment",
    "DraftRun",
    "DraftSection",
    "DraftSentence",
    "DraftThread",
    "DraftTopic",
    "HandoverCase",
    "InterviewQuestion",
    "Message",
    "NamingConsent",
    "PageReassignment",
    "Person",
    "PersonIdentity",
    "PreparedMessage",
    "PublishedPage",
    "PurgeJob",
    "Purpose",
    "Redaction",
    "Source",
    "SubjectAccessLink",
    "Thread",
]
