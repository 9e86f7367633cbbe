"""Reads of the consent ledger for the subject's own pages: what they chose, and what
they may choose from. Every read of a case here is for its subject only and checks it
(the manager, HR and successors never reach them); the others read the caller's own rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, QuerySet, Subquery

from handover.cases.selectors import is_subject_of
from handover.consent.purposes import grantable_values, live_terms_q
from handover.consent.read import live_grants
from handover.errors import ConsentByProxyError
from handover.models import (
    ConsentGrant,
    Conversation,
    HandoverCase,
    Message,
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
        ConsentGrant.objects.filter(
            case=case, ended_at__isnull=True, purpose__in=grantable_values()
        )
        .exclude(live_terms_q())
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
    first_source = Message.objects.filter(
        conversation_id=OuterRef("pk"), source__isnull=False
    ).order_by("sent_at", "pk")
    conversations = (
        Conversation.objects.filter(owner_id=case.subject_id)
        .annotate(
            thread_count=Count("threads", distinct=True),
            source_id=Subquery(first_source.values("source_id")[:1]),
        )
        .order_by("name", "pk")
    )
    by_source: dict[int | None, list[Conversation]] = {}
    sources = {s.pk: s for s in Source.objects.filter(owner_id=case.subject_id)}
    for conversation in conversations:
        by_source.setdefault(conversation.source_id, []).append(conversation)
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


def get_purge_job_for_subject(*, job_id: int, user: AbstractBaseUser) -> PurgeJob:
    """A purge of one of the user's own cases (as their subject), else 404."""
    from django.http import Http404

    job = None
    if user.is_authenticated:
        job = PurgeJob.objects.filter(pk=job_id, case__subject_id=user.pk).first()
    if job is None:
        raise Http404("No such purge.")
    return job


def live_naming_case_ids(*, user: AbstractBaseUser) -> set[int]:
    """The cases in which ``user`` consents to be named now."""
    return set(
        user.naming_consents.filter(withdrawn_at__isnull=True).values_list("case_id", flat=True)
    )


def threads_within(thread_ids: Iterable[int], conversation_ids: Iterable[int]) -> list[int]:
    """Those of ``thread_ids`` that belong to one of ``conversation_ids`` (unticked threads
    of conversations still ticked)."""
    return list(
        Thread.objects.filter(
            pk__in=list(thread_ids), conversation_id__in=list(conversation_ids)
        ).values_list("pk", flat=True)
    )
