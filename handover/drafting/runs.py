"""Writes for drafting runs: start one, cancel one, send again the ones that lost a worker."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.cases.selectors import is_subject_of
from handover.consent.read import live_grants
from handover.errors import CasePermissionError, ConsentRequiredError, HandoverError
from handover.models import DraftRun, HandoverCase, Purpose

logger = logging.getLogger(__name__)


class DraftRunActiveError(HandoverError):
    """A drafting of the case is already queued or running."""


class DraftRunFinishedError(HandoverError):
    """The run has already finished; there is nothing to cancel."""


def _schedule(run_id: int) -> None:
    from handover.drafting.tasks import run_draft_task

    transaction.on_commit(lambda: run_draft_task.delay(run_id))


def start_draft_run(*, case: HandoverCase, by: AbstractBaseUser) -> DraftRun:
    """Queue a drafting of ``case``: the subject only, with a live grant to publish."""
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving can draft their handover."))
    if not live_grants(case=case, purpose=Purpose.PUBLISH).exists():
        raise ConsentRequiredError(
            _("Drafting needs your consent to publish at least one conversation.")
        )
    try:
        with transaction.atomic():
            run = DraftRun.objects.create(case=case, requested_by=by)
            record_audit_event(
                actor=by,
                action="drafting.started",
                target=case,
                scope=f"case:{case.pk}",
                details={"run": run.pk},
            )
            _schedule(run.pk)
    except IntegrityError as error:
        raise DraftRunActiveError(_("A drafting of this handover is already under way.")) from error
    return run


def cancel_draft_run(*, run: DraftRun, by: AbstractBaseUser) -> DraftRun:
    """Cancel a queued run at once; ask a running one to stop at its next batch."""
    if not is_subject_of(case=run.case, user=by):
        raise CasePermissionError(_("Only the person leaving can cancel their drafting."))
    with transaction.atomic():
        locked = DraftRun.objects.select_for_update().get(pk=run.pk)
        if not locked.is_active:
            raise DraftRunFinishedError(_("This drafting has already finished."))
        if locked.status == DraftRun.Status.QUEUED:
            locked.status = DraftRun.Status.CANCELLED
            locked.finished_at = timezone.now()
            locked.run_token = ""
        locked.cancel_requested = True
        locked.save(update_fields=["status", "finished_at", "run_token", "cancel_requested"])
        record_audit_event(
            actor=by,
            action="drafting.cancelled",
            target=locked.case,
            scope=f"case:{locked.case_id}",
            details={"run": locked.pk, "status": locked.status},
        )
    return locked


def requeue_stale_draft_runs(*, stale_after: timedelta | None = None) -> list[int]:
    """Send again runs whose heartbeat stopped (and queued ones no worker took).

    A stale run that was asked to cancel is cancelled here (its partial rows go).
    Safe to run concurrently with workers: the run's claim is a compare-and-set.
    """
    from handover.drafting.runner import _delete_rows_of

    if stale_after is None:
        stale_after = timedelta(seconds=int(getattr(settings, "DRAFT_STALE_SECONDS", 300)))
    now = timezone.now()
    cutoff = now - stale_after
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    requeued: list[int] = []
    with transaction.atomic():
        for run in DraftRun.objects.select_for_update(skip_locked=True).filter(
            stale, status=DraftRun.Status.RUNNING, cancel_requested=True
        ):
            _delete_rows_of([run.pk])
            run.status = DraftRun.Status.CANCELLED
            run.finished_at = now
            run.run_token = ""
            run.save(update_fields=["status", "finished_at", "run_token"])
        candidates = DraftRun.objects.select_for_update(skip_locked=True).filter(
            Q(status=DraftRun.Status.RUNNING, cancel_requested=False)
            | Q(status=DraftRun.Status.QUEUED, created_at__lt=cutoff),
            stale,
        )
        for run in candidates:
            run.status = DraftRun.Status.QUEUED
            run.run_token = ""
            run.save(update_fields=["status", "run_token"])
            requeued.append(run.pk)
            _schedule(run.pk)
    if requeued:
        logger.info("Re-sent stale draft runs: %s", requeued)
    return requeued
