"""Reads of the consent ledger for the subject's own pages: what they chose, and what
they may choose from. Every function here is for the subject only and checks it; the
manager, HR and successors never reach these reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from handover.cases.selectors import is_subject_of
from handover.consent.read import live_grants
from handover.consent.terms import CURRENT_VERSION
from handover.errors import ConsentByProxyError
from handover.models import (
    ConsentGrant,
    Conversation,
    HandoverCase,
    PurgeJob,
    Source,
    Thread,
)


def _check_subject(case: HandoverCase, user: AbstractBaseUser) -> None:
    if not is_subject_of(case=case, user=user):
        raise ConsentByProxyError("Only the person leaving sees their consent choices.")


@dataclass(frozen=True)
class ConsentChoices:
    """What the subject has chosen now: live purposes, the scope, and grants to renew."""

    purposes: frozenset[str]
    conversation_ids: frozenset[int]
    excluded_thread_ids: frozenset[int]
    expires_at: object = None
    outdated_purposes: frozenset[str] = field(default_factory=frozenset)


def current_choices(*, case: HandoverCase, user: AbstractBaseUser) -> ConsentChoices:
    """The subject's live choices; purposes granted under older terms are listed to renew."""
    _check_subject(case, user)
    grants = list(live_grants(case=case).prefetch_related("scope_rows", "excluded_thread_rows"))
    conversations: set[int] = set()
    threads: set[int] = set()
    expires = None
    for grant in grants:
        conversations |= {row.conversation_id for row in grant.scope_rows.all()}
        threads |= {row.thread_id for row in grant.excluded_thread_rows.all()}
        expires = grant.expires_at or expires
    outdated = set(
        ConsentGrant.objects.filter(case=case, ended_at__isnull=True)
        .exclude(terms_version=CURRENT_VERSION)
        .values_list("purpose", flat=True)
    )
    return ConsentChoices(
        purposes=frozenset(g.purpose for g in grants),
        conversation_ids=frozenset(conversations),
        excluded_thread_ids=frozenset(threads),
        expires_at=expires,
        outdated_purposes=frozenset(outdated),
    )


@dataclass(frozen=True)
class SourceChoice:
    """One of the subject's imports and its conversations, for the scope ticks."""

    source: Source | None
    conversations: list[Conversation]


def list_scope_choices(*, case: HandoverCase, user: AbstractBaseUser) -> list[SourceChoice]:
    """The subject's conversations grouped by the import they came from, with thread counts."""
    _check_subject(case, user)
    conversations = (
        Conversation.objects.filter(owner_id=case.subject_id)
        .annotate(thread_count=Count("threads", distinct=True))
        .order_by("name", "pk")
    )
    by_source: dict[int | None, list[Conversation]] = {}
    sources = {s.pk: s for s in Source.objects.filter(owner_id=case.subject_id)}
    first_source = dict(
        Conversation.objects.filter(owner_id=case.subject_id)
        .exclude(messages__source__isnull=True)
        .values_list("pk", "messages__source")
        .distinct("pk")
        .order_by("pk")
    )
    for conversation in conversations:
        by_source.setdefault(first_source.get(conversation.pk), []).append(conversation)
    return [
        SourceChoice(source=sources.get(source_id), conversations=items)
        for source_id, items in sorted(
            by_source.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
        )
    ]


def list_threads_for_scope(
    *, case: HandoverCase, user: AbstractBaseUser, conversation_id: int
) -> QuerySet[Thread]:
    """Threads of one of the subject's conversations, to untick single ones."""
    _check_subject(case, user)
    return (
        Thread.objects.filter(
            conversation_id=conversation_id, conversation__owner_id=case.subject_id
        )
        .annotate(message_count=Count("messages"))
        .order_by("pk")
    )


def list_grants_for_subject(
    *, case: HandoverCase, user: AbstractBaseUser
) -> QuerySet[ConsentGrant]:
    """The case's whole ledger, newest first, for the subject's record."""
    _check_subject(case, user)
    return (
        ConsentGrant.objects.filter(case=case)
        .annotate(conversation_count=Count("scope_rows", distinct=True))
        .order_by("-granted_at", "-id")
    )


def list_purge_jobs_for_subject(
    *, case: HandoverCase, user: AbstractBaseUser
) -> QuerySet[PurgeJob]:
    """The case's purges and their receipts, newest first."""
    _check_subject(case, user)
    return PurgeJob.objects.filter(case=case).select_related("receipt").order_by("-created_at")
