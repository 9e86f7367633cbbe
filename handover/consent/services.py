"""Writes of the consent ledger: grants by the subject, withdrawals, and the purges after them.

Only the subject grants or withdraws their consent: any other caller (their manager,
HR, a successor, staff, a superuser) gets ``ConsentByProxyError``. A withdrawal ends the
grants in its own transaction, so ``handover.consent.read`` serves nothing of it from
that commit on, and writes a ``PurgeJob`` that a worker runs (and a sweeper re-sends
until it is done) to delete every derived copy through the purge registry.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.cases import services as case_services
from handover.cases.selectors import is_subject_of
from handover.consent import purposes as consent_purposes
from handover.consent.plugin_delivery import schedule_plugin_deliveries
from handover.consent.purge import PurgeScope, registered_purge_steps
from handover.consent.terms import naming_terms
from handover.errors import ConsentByProxyError, HandoverError, InvalidScopeError
from handover.indexing.services import hide_case_passages, schedule_case_indexing
from handover.models import (
    ConsentExcludedThread,
    ConsentGrant,
    ConsentScopeConversation,
    Conversation,
    DeletionReceipt,
    HandoverCase,
    NamingConsent,
    PurgeJob,
    Purpose,
    Thread,
)

logger = logging.getLogger(__name__)

State = HandoverCase.State


def _check_subject(case: HandoverCase, by: AbstractBaseUser | None) -> None:
    if not is_subject_of(case=case, user=by):
        raise ConsentByProxyError(
            _("Only the person leaving can give or withdraw their consent, never on their behalf.")
        )


def _check_scope(
    case: HandoverCase, conversation_ids: Collection[int], excluded_thread_ids: Collection[int]
) -> tuple[list[int], list[int]]:
    conversations = set(
        Conversation.objects.filter(
            owner_id=case.subject_id, pk__in=list(conversation_ids)
        ).values_list("pk", flat=True)
    )
    if conversations != set(conversation_ids):
        raise InvalidScopeError(_("Choose conversations from your own imports."))
    threads = set(
        Thread.objects.filter(
            conversation_id__in=conversations, pk__in=list(excluded_thread_ids)
        ).values_list("pk", flat=True)
    )
    if threads != set(excluded_thread_ids):
        raise InvalidScopeError(_("Leave out threads of the conversations you chose."))
    return sorted(conversations), sorted(threads)


def _write_grant(
    *,
    case: HandoverCase,
    by: AbstractBaseUser,
    purpose: str,
    conversation_ids: Iterable[int],
    excluded_thread_ids: Iterable[int],
    terms_version: str,
    terms_language: str,
    terms_text: str,
    terms_sha256: str,
    granted_at: datetime,
    expires_at: datetime | None,
    supersedes: ConsentGrant | None,
) -> ConsentGrant:
    grant = ConsentGrant.objects.create(
        case=case,
        grantor=by,
        purpose=purpose,
        terms_version=terms_version,
        terms_language=terms_language,
        terms_text=terms_text,
        terms_sha256=terms_sha256,
        granted_at=granted_at,
        expires_at=expires_at,
        supersedes=supersedes,
    )
    ConsentScopeConversation.objects.bulk_create(
        ConsentScopeConversation(grant=grant, conversation_id=cid) for cid in conversation_ids
    )
    ConsentExcludedThread.objects.bulk_create(
        ConsentExcludedThread(grant=grant, thread_id=tid) for tid in excluded_thread_ids
    )
    return grant


def _end(grant: ConsentGrant, reason: str, now: datetime) -> None:
    grant.ended_at = now
    grant.end_reason = reason
    grant.save(update_fields=["ended_at", "end_reason"])


# Purposes whose end changes what an indexed passage may say or show: its content, the name
# in it, or whether answers may quote it word for word.
_INDEX_TEXT_PURPOSES = frozenset({Purpose.INDEX, Purpose.ATTRIBUTE, Purpose.QUOTE})


def _takes_from_index(
    previous: ConsentGrant,
    conversations: Collection[int],
    threads: Collection[int],
    expires_at: datetime | None,
) -> bool:
    """Whether renewing the INDEX grant ``previous`` as given serves less, or for less long."""
    old_conversations, old_threads = _scope_of(previous)
    narrower = bool(old_conversations - set(conversations)) or bool(set(threads) - old_threads)
    sooner = expires_at is not None and (
        previous.expires_at is None or expires_at < previous.expires_at
    )
    return narrower or sooner


def _scope_of(grant: ConsentGrant) -> tuple[set[int], set[int]]:
    conversations = set(grant.scope_rows.values_list("conversation_id", flat=True))
    threads = set(grant.excluded_thread_rows.values_list("thread_id", flat=True))
    return conversations, threads


@transaction.atomic
def record_consent(
    *,
    case: HandoverCase,
    by: AbstractBaseUser,
    purposes: Collection[str],
    conversation_ids: Collection[int],
    excluded_thread_ids: Collection[int] = (),
    language: str = "en",
    expires_at: datetime | None = None,
) -> list[ConsentGrant]:
    """The subject's choices on the consent form: these purposes, over this scope.

    Each ticked purpose gets a new grant under the current terms in ``language``
    (ending the one it renews); an open grant of a purpose left unticked is withdrawn;
    scope taken away from before is purged. An empty choice withdraws everything
    granted so far but leaves the case open.
    """
    _check_subject(case, by)
    if case.is_finished:
        raise HandoverError(_("This handover is closed or withdrawn; nothing more can be shared."))
    wanted = set(purposes)
    grantable = consent_purposes.grantable_values()
    unknown = wanted - set(grantable)
    if unknown:
        raise InvalidScopeError(
            _("Unknown purpose: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    if wanted and not conversation_ids:
        raise InvalidScopeError(_("Tick at least one conversation to share."))
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidScopeError(_("The expiry must be in the future."))
    conversations, threads = _check_scope(case, conversation_ids, excluded_thread_ids)
    open_grants = {
        g.purpose: g for g in ConsentGrant.objects.filter(case=case, ended_at__isnull=True)
    }
    removed_purposes: set[str] = set()
    removed_conversations: set[int] = set()
    removed_threads: set[int] = set()
    previous_index = open_grants.get(Purpose.INDEX)
    hide = previous_index is not None and (
        Purpose.INDEX not in wanted
        or _takes_from_index(previous_index, conversations, threads, expires_at)
    )
    hide = hide or any(
        purpose in open_grants and purpose not in wanted
        for purpose in (Purpose.ATTRIBUTE, Purpose.QUOTE)
    )
    grants = []
    # Open grants of a purpose no longer offered (an uninstalled plugin's) end here too.
    for purpose in [*grantable, *(p for p in open_grants if p not in grantable)]:
        previous = open_grants.get(purpose)
        if purpose not in wanted:
            if previous is not None:
                _end(previous, ConsentGrant.EndReason.WITHDRAWN, now)
                removed_purposes.add(purpose)
            continue
        if previous is not None:
            old_conversations, old_threads = _scope_of(previous)
            removed_conversations |= old_conversations - set(conversations)
            removed_threads |= set(threads) - old_threads
            _end(previous, ConsentGrant.EndReason.RENEWED, now)
        terms = consent_purposes.terms_for(purpose, language)
        grants.append(
            _write_grant(
                case=case,
                by=by,
                purpose=purpose,
                conversation_ids=conversations,
                excluded_thread_ids=threads,
                terms_version=terms.version,
                terms_language=terms.language,
                terms_text=terms.text,
                terms_sha256=terms.sha256,
                granted_at=now,
                expires_at=expires_at,
                supersedes=previous,
            )
        )
    if case.state == State.OPENED and grants:
        case_services.transition(case=case, to=State.CONSENTING, by=by)
    record_audit_event(
        actor=by,
        action="consent.recorded",
        target=case,
        scope=f"case:{case.pk}",
        details={
            "purposes": sorted(wanted),
            "conversations": len(conversations),
            "excluded_threads": len(threads),
            "expires_at": expires_at.isoformat() if expires_at else None,
            "withdrawn_purposes": sorted(removed_purposes),
        },
    )
    if removed_purposes or removed_conversations or removed_threads:
        _create_purge_job(
            case=case,
            by=by,
            scope=PurgeScope(
                case_id=case.pk,
                purposes=frozenset(removed_purposes),
                conversation_ids=frozenset(removed_conversations),
                thread_ids=frozenset(removed_threads),
            ),
        )
    if hide:
        # In this transaction: no answer finds what was taken away once it commits.
        hide_case_passages(case_id=case.pk)
    if Purpose.INDEX in wanted or previous_index is not None:
        schedule_case_indexing(case_id=case.pk)
    if grants:
        from handover.privacy.tasks import prepare_case_messages_task

        transaction.on_commit(lambda: prepare_case_messages_task.delay(case.pk))
        # Plugins get what they were granted now; what preparation adds follows when it ends.
        schedule_plugin_deliveries(case_id=case.pk, purposes=[g.purpose for g in grants])
    return grants


@transaction.atomic
def withdraw_consent(
    *,
    case: HandoverCase,
    by: AbstractBaseUser,
    purposes: Collection[str] | None = None,
    conversation_ids: Collection[int] = (),
    thread_ids: Collection[int] = (),
) -> PurgeJob | None:
    """Withdraw one or more purposes, or take conversations or threads out of every grant.

    Serving stops when this transaction commits. Returns the purge job (None when
    nothing was live to withdraw). To withdraw everything use ``withdraw_everything``.
    """
    _check_subject(case, by)
    now = timezone.now()
    open_grants = list(ConsentGrant.objects.filter(case=case, ended_at__isnull=True))
    removed_purposes: set[str] = set()
    removed_conversations: set[int] = set()
    removed_threads: set[int] = set()
    for grant in open_grants:
        if purposes is not None and grant.purpose in purposes:
            _end(grant, ConsentGrant.EndReason.WITHDRAWN, now)
            removed_purposes.add(grant.purpose)
            continue
        if not conversation_ids and not thread_ids:
            continue
        old_conversations, old_threads = _scope_of(grant)
        take_conversations = old_conversations & set(conversation_ids)
        take_threads = (
            set(
                Thread.objects.filter(
                    pk__in=list(thread_ids), conversation_id__in=old_conversations
                ).values_list("pk", flat=True)
            )
            - old_threads
        )
        if not take_conversations and not take_threads:
            continue
        _end(grant, ConsentGrant.EndReason.NARROWED, now)
        remaining = old_conversations - take_conversations
        if remaining:
            _write_grant(
                case=case,
                by=by,
                purpose=grant.purpose,
                conversation_ids=sorted(remaining),
                excluded_thread_ids=sorted(
                    Thread.objects.filter(
                        pk__in=sorted(old_threads | take_threads), conversation_id__in=remaining
                    ).values_list("pk", flat=True)
                ),
                terms_version=grant.terms_version,
                terms_language=grant.terms_language,
                terms_text=grant.terms_text,
                terms_sha256=grant.terms_sha256,
                granted_at=now,
                expires_at=grant.expires_at,
                supersedes=grant,
            )
        else:
            removed_purposes.add(grant.purpose)
        removed_conversations |= take_conversations
        removed_threads |= take_threads
    if not (removed_purposes or removed_conversations or removed_threads):
        return None
    if any(g.purpose in _INDEX_TEXT_PURPOSES and g.ended_at == now for g in open_grants):
        # Ended or narrowed: hidden from this commit on; the reindex shows what remains.
        hide_case_passages(case_id=case.pk)
        schedule_case_indexing(case_id=case.pk)
    record_audit_event(
        actor=by,
        action="consent.withdrawn",
        target=case,
        scope=f"case:{case.pk}",
        details={
            "purposes": sorted(removed_purposes),
            "conversations": len(removed_conversations),
            "threads": len(removed_threads),
        },
    )
    return _create_purge_job(
        case=case,
        by=by,
        scope=PurgeScope(
            case_id=case.pk,
            purposes=frozenset(removed_purposes),
            conversation_ids=frozenset(removed_conversations),
            thread_ids=frozenset(removed_threads),
        ),
    )


@transaction.atomic
def withdraw_everything(*, case: HandoverCase, by: AbstractBaseUser) -> PurgeJob:
    """The subject withdraws the whole handover: every grant ends, the case is withdrawn,
    its pseudonym key destroyed, and every derived copy purged."""
    _check_subject(case, by)
    now = timezone.now()
    ended = []
    for grant in ConsentGrant.objects.filter(case=case, ended_at__isnull=True):
        _end(grant, ConsentGrant.EndReason.WITHDRAWN, now)
        ended.append(grant.purpose)
    if case.state != State.WITHDRAWN:
        case_services.transition(case=case, to=State.WITHDRAWN, by=by)
    if case.key_destroyed_at is None:
        case_services.destroy_pseudonym_key(case=case)
    hide_case_passages(case_id=case.pk)
    record_audit_event(
        actor=by,
        action="consent.withdrawn",
        target=case,
        scope=f"case:{case.pk}",
        details={"purposes": sorted(ended), "everything": True},
    )
    return _create_purge_job(
        case=case,
        by=by,
        scope=PurgeScope(
            case_id=case.pk,
            whole_case=True,
            purposes=frozenset(consent_purposes.grantable_values()) | frozenset(ended),
        ),
    )


def _create_purge_job(*, case: HandoverCase, by: AbstractBaseUser, scope: PurgeScope) -> PurgeJob:
    from handover.consent.tasks import run_purge_job_task

    job = PurgeJob.objects.create(case=case, requested_by=by, scope=scope.as_json())
    transaction.on_commit(
        lambda: run_purge_job_task.apply_async(args=[job.pk], queue=settings.PURGE_QUEUE)
    )
    return job


# --- Running a purge ---------------------------------------------------------------------------


def _claim(job_id: int, stale_after: timedelta) -> tuple[PurgeJob, str] | None:
    """Take the job for this run, unless it is done or another live run holds it."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimable = Q(status=PurgeJob.Status.PENDING) | Q(
        Q(status=PurgeJob.Status.RUNNING)
        & (Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True))
    )
    with transaction.atomic():
        job = (
            PurgeJob.objects.select_for_update(skip_locked=True)
            .filter(claimable, pk=job_id)
            .first()
        )
        if job is None:
            return None
        job.status = PurgeJob.Status.RUNNING
        job.run_token = token
        job.heartbeat_at = now
        job.attempts += 1
        job.save(update_fields=["status", "run_token", "heartbeat_at", "attempts"])
    return job, token


def _heartbeat(job_id: int, token: str) -> None:
    PurgeJob.objects.filter(pk=job_id, run_token=token).update(heartbeat_at=timezone.now())


def run_purge_job(*, job_id: int, stale_after: timedelta | None = None) -> PurgeJob | None:
    """Run every registered purge step the job has not finished, then write the receipt.

    Idempotent and resumable: steps already recorded in ``results`` are skipped, the
    others delete only what consent no longer covers. Returns the job, or None when
    another live run holds it or it is done.
    """
    if stale_after is None:
        stale_after = timedelta(seconds=settings.PURGE_STALE_SECONDS)
    claimed = _claim(job_id, stale_after)
    if claimed is None:
        return None
    job, token = claimed
    scope = PurgeScope.from_json(job.scope)
    scope = PurgeScope(
        case_id=scope.case_id,
        whole_case=scope.whole_case,
        purposes=scope.purposes,
        conversation_ids=scope.conversation_ids,
        thread_ids=scope.thread_ids,
        heartbeat=lambda: _heartbeat(job.pk, token),
    )
    results = dict(job.results)
    for step in registered_purge_steps():
        if step.name in results:
            continue
        removed = step.run(scope)
        results[step.name] = {"count": removed, "at": timezone.now().isoformat()}
        updated = PurgeJob.objects.filter(pk=job.pk, run_token=token).update(
            results=results, heartbeat_at=timezone.now()
        )
        if not updated:  # another run took over after our heartbeat went stale
            return None
    return _finish(job, token, results)


@transaction.atomic
def _finish(job: PurgeJob, token: str, results: dict) -> PurgeJob | None:
    locked = PurgeJob.objects.select_for_update().filter(pk=job.pk, run_token=token).first()
    if locked is None or locked.status == PurgeJob.Status.DONE:
        return None
    case = HandoverCase.objects.filter(pk=locked.case_id).select_related("subject").first()
    labels = {step.name: step.label for step in registered_purge_steps()}
    language = case.language if case is not None else settings.LANGUAGE_CODE
    with translation.override(language):
        items = [
            {"what": str(labels.get(name, name)), "count": int(r["count"]), "at": r["at"]}
            for name, r in results.items()
        ]
        summary = _("Consent withdrawn for handover %(id)s") % {"id": locked.case_id}
    now = timezone.now()
    receipt = DeletionReceipt.objects.create(
        user=case.subject if case is not None else None,
        kind=DeletionReceipt.Kind.CONSENT_WITHDRAWAL,
        summary=summary,
        items=items,
        completed_at=now,
    )
    locked.status = PurgeJob.Status.DONE
    locked.finished_at = now
    locked.results = results
    locked.receipt = receipt
    locked.run_token = ""
    locked.save(update_fields=["status", "finished_at", "results", "receipt", "run_token"])
    record_audit_event(
        actor=None,
        action="consent.purged",
        target=locked,
        scope=f"case:{locked.case_id}",
        details={"removed": sum(item["count"] for item in items), "receipt_id": receipt.pk},
    )
    if case is not None:
        transaction.on_commit(lambda: _mail_receipt(case, receipt))
    return locked


def _mail_receipt(case: HandoverCase, receipt: DeletionReceipt) -> None:
    """Send the deletion receipt to the subject's account and personal addresses."""
    recipients = sorted({a for a in (case.subject.email, case.personal_email) if a})
    if not recipients:
        return
    with translation.override(case.language):
        lines = [receipt.summary, ""]
        lines += [
            _("%(what)s: %(count)s removed at %(at)s")
            % {"what": item["what"], "count": item["count"], "at": item["at"]}
            for item in receipt.items
        ]
        subject = _("Tacit: what was deleted after your withdrawal")
    try:
        send_mail(subject, "\n".join(lines), None, recipients)
    except OSError:
        logger.exception("Could not send the deletion receipt %s", receipt.pk)


def requeue_purge_jobs(*, stale_after: timedelta | None = None) -> list[int]:
    """Send again purges no worker picked up or whose worker died (brokers may lose them).

    A running job whose heartbeat is older than ``stale_after`` is put back to pending
    (its finished steps stay recorded) so the next run claims it; a compare-and-set on
    the status and heartbeat keeps a live run's job alone.
    """
    from handover.consent.tasks import run_purge_job_task

    if stale_after is None:
        stale_after = timedelta(seconds=settings.PURGE_STALE_SECONDS)
    cutoff = timezone.now() - stale_after
    stale = Q(status=PurgeJob.Status.PENDING, created_at__lte=cutoff) | Q(
        Q(status=PurgeJob.Status.RUNNING)
        & (Q(heartbeat_at__lte=cutoff) | Q(heartbeat_at__isnull=True))
    )
    with transaction.atomic():
        jobs = list(PurgeJob.objects.select_for_update(skip_locked=True).filter(stale))
        for job in jobs:
            job.status = PurgeJob.Status.PENDING
            job.run_token = ""
            job.save(update_fields=["status", "run_token"])
        ids = [job.pk for job in jobs]
        for job_id in ids:
            transaction.on_commit(
                lambda job_id=job_id: run_purge_job_task.apply_async(
                    args=[job_id], queue=settings.PURGE_QUEUE
                )
            )
    if ids:
        logger.info("Re-sent purge jobs: %s", ids)
    return ids


# --- Third parties ---------------------------------------------------------------------------


@transaction.atomic
def grant_naming_consent(
    *, case: HandoverCase, by: AbstractBaseUser, language: str = "en"
) -> NamingConsent:
    """A third party agrees to be named (and quoted) in the case: their own grant."""
    from handover.privacy.selectors import is_third_party_in_case

    if not is_third_party_in_case(case=case, user=by):
        raise ConsentByProxyError(_("Only someone who appears in these conversations can agree."))
    existing = NamingConsent.objects.filter(case=case, user=by, withdrawn_at__isnull=True).first()
    if existing is not None:
        return existing
    terms = naming_terms(language)
    consent = NamingConsent.objects.create(
        case=case,
        user=by,
        terms_version=terms.version,
        terms_text=terms.text,
        terms_sha256=terms.sha256,
        granted_at=timezone.now(),
    )
    record_audit_event(
        actor=by, action="naming.granted", target=consent, scope=f"user:{by.pk}", details={}
    )
    # Indexed passages name people as the read path does at indexing time.
    schedule_case_indexing(case_id=case.pk)
    return consent


@transaction.atomic
def withdraw_naming_consent(*, case: HandoverCase, by: AbstractBaseUser) -> int:
    """The third party withdraws being named; from the commit on they are a pseudonym again."""
    ended = NamingConsent.objects.filter(case=case, user=by, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if ended:
        record_audit_event(
            actor=by, action="naming.withdrawn", target=case, scope=f"user:{by.pk}", details={}
        )
        # Their name is in indexed passages until the reindex writes their pseudonym again.
        hide_case_passages(case_id=case.pk)
        schedule_case_indexing(case_id=case.pk)
    return ended
