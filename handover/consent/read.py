"""The one read path: what consented content of a handover case each purpose may read.

Every later part of Tacit (drafting, the Q&A index, answers, plugins) reads a person's
threads only through this module:

    from handover.consent.read import consented_messages, iter_consented_messages

    for message in iter_consented_messages(purpose=Purpose.INDEX, case=case):
        ...  # message.text is redacted, pseudonymised and in scope

``consented_messages`` returns a queryset of ``PreparedMessage`` rows filtered inside
the SQL query, so callers may add filters and ordering but never widen it. It fails
closed: a case that is withdrawn, a grant that ended, expired, or was given under an
older terms version, a conversation outside the grant's scope, an unticked thread, a
message not yet prepared (redacted and pseudonymised) or one left out of scope all mean
nothing is returned. Expiry is checked against the clock of each query, not by a job.

``iter_consented_messages`` yields frozen ``ConsentedMessage`` values with the names
resolved for this moment: the subject is named only while they consent to attribution
(else "the departing colleague"), and a third party only while they consent to be named
(else their pseudonym). ``may_quote`` says whether an answer may quote the text word
for word. Use the raw ``Message`` rows behind it never: they are the import view's.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from handover.consent.purposes import is_plugin_purpose, live_terms_q
from handover.models import (
    ConsentExcludedThread,
    ConsentGrant,
    ConsentScopeConversation,
    HandoverCase,
    PreparedMessage,
    Purpose,
)
from handover.privacy.labels import SUBJECT_TOKEN, anonymous_subject_label

# A withdrawn case serves nothing, whatever its grants say.
SERVING_STATES = frozenset(
    {
        HandoverCase.State.CONSENTING,
        HandoverCase.State.DRAFTING,
        HandoverCase.State.REVIEW,
        HandoverCase.State.PUBLISHED,
        HandoverCase.State.CLOSED,
    }
)


def live_grant_q(*, now: datetime | None = None) -> Q:
    """A filter for grants (of any case) that are live now; ``live_grants`` applies it.

    Live: the case serves, the grant has not ended or expired, and it was given under the
    terms in force (``handover.consent.purposes.live_terms_q``: a plugin's purpose only
    while that plugin is installed and its words unchanged).
    """
    now = now or timezone.now()
    return (
        Q(case__state__in=SERVING_STATES, ended_at__isnull=True)
        & live_terms_q()
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )


def live_grants(
    *, case: HandoverCase | int, purpose: str | None = None, now: datetime | None = None
) -> QuerySet[ConsentGrant]:
    """The grants of ``case`` that are live now (for ``purpose``; any purpose when None)."""
    grants = ConsentGrant.objects.filter(case=case).filter(live_grant_q(now=now))
    if purpose is not None:
        grants = grants.filter(purpose=purpose if is_plugin_purpose(purpose) else Purpose(purpose))
    return grants


def covered_q(grants: QuerySet[ConsentGrant], message_prefix: str = "message__") -> Q:
    """A filter for messages (at ``message_prefix``) that one of ``grants`` covers.

    Covered: the message's conversation is in the grant's scope and its thread is not
    one the grant leaves out.
    """
    excluded = ConsentExcludedThread.objects.filter(
        grant_id=OuterRef("grant_id"), thread_id=OuterRef(OuterRef(f"{message_prefix}thread_id"))
    )
    in_scope = ConsentScopeConversation.objects.filter(
        grant__in=grants, conversation_id=OuterRef(f"{message_prefix}conversation_id")
    ).filter(~Exists(excluded))
    return Q(Exists(in_scope))


def in_scope_topics_q() -> Q:
    """Prepared messages not left out as a private topic, or included by the subject."""
    return Q(out_of_scope_topic="") | Q(included_by_subject=True)


def consented_messages(
    *,
    purpose: str,
    case: HandoverCase | int,
    now: datetime | None = None,
    thread_ids: Collection[int] | None = None,
) -> QuerySet[PreparedMessage]:
    """Prepared messages of ``case`` that a live grant for ``purpose`` allows, oldest first.

    ``thread_ids`` narrows the result to those threads (a filter only: never wider).
    """
    case_id = case.pk if isinstance(case, HandoverCase) else case
    grants = live_grants(case=case_id, purpose=purpose, now=now)
    rows = PreparedMessage.objects.filter(case_id=case_id)
    if thread_ids is not None:
        rows = rows.filter(message__thread_id__in=list(thread_ids))
    return (
        rows.filter(covered_q(grants))
        .filter(in_scope_topics_q())
        .filter(message_revision=F("message__revision"))
        .select_related("message")
        .order_by("message__sent_at", "message_id")
    )


@dataclass(frozen=True)
class ConsentedMessage:
    """One message as a purpose may use it, with names resolved for this moment."""

    message_id: int
    case_id: int
    conversation_id: int
    thread_id: int
    sent_at: datetime
    conversation: str
    author: str
    author_is_subject: bool
    # The author is a third party who consents to be named (``author`` is their name).
    author_is_named: bool
    subject_line: str
    text: str
    may_quote: bool


def _naming_map(case_id: int) -> dict[str, str]:
    """Pseudonym label -> real name, for third parties who consent to be named now."""
    from handover.privacy.selectors import names_of_consenting_third_parties

    return names_of_consenting_third_parties(case_id=case_id)


def _resolve(text: str, subject_name: str, names: dict[str, str]) -> str:
    text = text.replace(SUBJECT_TOKEN, subject_name)
    if not names:
        return text
    # Longest first, and never inside a longer label ("Colleague A" in "Colleague AB").
    alternatives = "|".join(re.escape(label) for label in sorted(names, key=len, reverse=True))
    pattern = re.compile(f"(?:{alternatives})(?![A-Za-z])")
    return pattern.sub(lambda match: names[match.group(0)], text)


def iter_consented_messages(
    *,
    purpose: str,
    case: HandoverCase,
    now: datetime | None = None,
    chunk_size: int = 500,
    thread_ids: Collection[int] | None = None,
) -> Iterator[ConsentedMessage]:
    """``consented_messages`` as values fit to use, names resolved; streamed in chunks.

    ``thread_ids`` narrows it to those threads (a drafting batch, the review's labels, the
    citation view's context).
    """
    now = now or timezone.now()
    attributed = live_grants(case=case.pk, purpose=Purpose.ATTRIBUTE, now=now).exists()
    quoting = live_grants(case=case.pk, purpose=Purpose.QUOTE, now=now).exists()
    subject = get_user_model().objects.get(pk=case.subject_id)
    subject_name = (
        (subject.get_full_name() or subject.get_username())
        if attributed
        else str(anonymous_subject_label(case.language))
    )
    names = _naming_map(case.pk)
    rows = consented_messages(purpose=purpose, case=case, now=now, thread_ids=thread_ids).only(
        "message_id",
        "case_id",
        "conversation_label",
        "author_label",
        "author_is_subject",
        "text",
        "subject_line",
        "message__sent_at",
        "message__conversation_id",
        "message__thread_id",
    )
    for row in rows.iterator(chunk_size=chunk_size):
        if row.author_is_subject:
            author = subject_name
        else:
            author = names.get(row.author_label, row.author_label)
        yield ConsentedMessage(
            message_id=row.message_id,
            case_id=row.case_id,
            conversation_id=row.message.conversation_id,
            thread_id=row.message.thread_id,
            sent_at=row.message.sent_at,
            conversation=_resolve(row.conversation_label, subject_name, names),
            author=author,
            author_is_subject=row.author_is_subject,
            author_is_named=not row.author_is_subject and row.author_label in names,
            subject_line=_resolve(row.subject_line, subject_name, names),
            text=_resolve(row.text, subject_name, names),
            may_quote=quoting and (row.author_is_subject or row.author_label in names),
        )
