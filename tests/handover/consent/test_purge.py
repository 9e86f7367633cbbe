"""Purges after a withdrawal: every derived row gone, a receipt, and a crash survived."""

import os
import signal
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db.models import Count

from handover.consent import services
from handover.consent.purge import PurgeScope, delete_in_batches, registered_purge_steps
from handover.models import (
    CasePseudonym,
    Conversation,
    DeletionReceipt,
    DraftCitation,
    DraftSection,
    DraftSentence,
    DraftThread,
    PreparedMessage,
    PublishedPage,
    PurgeJob,
    Purpose,
    Redaction,
)
from handover.privacy import services as privacy_services
from tests.conftest import WorkerProcess, wait_for

# Every model that holds text derived from consented messages. A later issue that
# derives more adds its model here and a purge step to the registry.
DERIVED = (
    PreparedMessage,
    Redaction,
    CasePseudonym,
    DraftThread,
    DraftSection,
    DraftSentence,
    DraftCitation,
    PublishedPage,
)
# How a derived row reaches its case, where it has no ``case`` of its own.
CASE_PATH = {
    DraftThread: "run__case",
    DraftSentence: "section__case",
    DraftCitation: "sentence__section__case",
}


def _derived_counts(case) -> dict[str, int]:  # noqa: ANN001
    return {
        model.__name__: model.objects.filter(**{CASE_PATH.get(model, "case"): case}).count()
        for model in DERIVED
    }


def _share_and_prepare(case, subject) -> list[int]:  # noqa: ANN001
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    services.record_consent(
        case=case, by=subject, purposes=[Purpose.INDEX, Purpose.PUBLISH], conversation_ids=ids
    )
    privacy_services.prepare_case_messages(case_id=case.pk)
    return ids


def _done(job_id: int) -> PurgeJob | None:
    job = PurgeJob.objects.get(pk=job_id)
    return job if job.status == PurgeJob.Status.DONE else None


@pytest.mark.django_db
def test_a_purge_in_process_removes_derived_rows_and_mails_a_receipt(
    case,
    subject,
    slack_import,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    ids = _share_and_prepare(case, subject)
    before = _derived_counts(case)
    assert before["PreparedMessage"] > 0 and before["CasePseudonym"] > 0
    narrowed = services.withdraw_consent(case=case, by=subject, conversation_ids=[ids[0]])
    services.run_purge_job(job_id=narrowed.pk)
    assert not PreparedMessage.objects.filter(case=case, message__conversation_id=ids[0]).exists()
    assert PreparedMessage.objects.filter(case=case).exists()  # the rest stays

    job = services.withdraw_everything(case=case, by=subject)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with_receipt = services.run_purge_job(job_id=job.pk)
    assert with_receipt.status == PurgeJob.Status.DONE
    assert _derived_counts(case) == {name: 0 for name in before}
    receipt = with_receipt.receipt
    assert receipt.user == subject and receipt.kind == DeletionReceipt.Kind.CONSENT_WITHDRAWAL
    assert [item["what"] for item in receipt.items] == [
        str(s.label) for s in registered_purge_steps()
    ]
    assert sum(item["count"] for item in receipt.items) > 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [subject.email]
    # A second delivery of the same job does nothing.
    assert services.run_purge_job(job_id=job.pk) is None


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_purge_is_finished_by_the_sweeper(
    case,
    subject,
    slack_import,
    settings,  # noqa: ANN001
) -> None:
    _share_and_prepare(case, subject)
    prepared_before = PreparedMessage.objects.filter(case=case).count()
    assert prepared_before > 200
    queue = f"purge-{uuid.uuid4().hex[:8]}"
    settings.PURGE_QUEUE = queue
    # One row per transaction, so the purge is still running when it is killed.
    doomed = WorkerProcess(
        settings.DATABASES["default"]["NAME"], queue=queue, env={"PURGE_BATCH_SIZE": "1"}
    )
    doomed.wait_ready()
    job = services.withdraw_everything(case=case, by=subject)
    wait_for(
        lambda: 0 < PreparedMessage.objects.filter(case=case).count() < prepared_before - 50,
        timeout=120,
        interval=0.02,
    )
    os.kill(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait(timeout=30)
    killed = PurgeJob.objects.get(pk=job.pk)
    assert killed.status == PurgeJob.Status.RUNNING
    assert PreparedMessage.objects.filter(case=case).exists()

    rescuer = WorkerProcess(settings.DATABASES["default"]["NAME"], queue=queue)
    try:
        rescuer.wait_ready()
        assert services.requeue_purge_jobs(stale_after=timedelta(seconds=0)) == [job.pk]
        done = wait_for(lambda: _done(job.pk), timeout=120)
    finally:
        rescuer.stop()
    assert done.attempts == 2 and done.receipt is not None
    assert _derived_counts(case) == {model.__name__: 0 for model in DERIVED}


@pytest.mark.django_db
def test_a_purge_in_small_batches_deletes_only_what_is_no_longer_covered(
    case,
    subject,
    slack_import,
    settings,  # noqa: ANN001
) -> None:
    _share_and_prepare(case, subject)
    # The conversation with the most copies: many batches, with copies before and after.
    last = (
        PreparedMessage.objects.filter(case=case)
        .values("message__conversation_id")
        .annotate(copies=Count("pk"))
        .order_by("-copies")[0]["message__conversation_id"]
    )
    kept = set(
        PreparedMessage.objects.filter(case=case)
        .exclude(message__conversation_id=last)
        .values_list("pk", "text")
    )
    gone = PreparedMessage.objects.filter(case=case, message__conversation_id=last).count()
    assert gone > 7 and kept
    settings.PURGE_BATCH_SIZE = 7
    job = services.withdraw_consent(case=case, by=subject, conversation_ids=[last])
    done = services.run_purge_job(job_id=job.pk)
    assert done.results["handover.prepared_messages"]["count"] == gone
    assert set(PreparedMessage.objects.filter(case=case).values_list("pk", "text")) == kept


@pytest.mark.django_db
def test_a_batched_delete_finds_rows_that_became_stale_behind_it(
    case,
    subject,
    slack_import,
    settings,  # noqa: ANN001
) -> None:
    _share_and_prepare(case, subject)
    rows = list(
        PreparedMessage.objects.filter(case=case).order_by("pk").values_list("pk", flat=True)
    )
    PreparedMessage.objects.filter(pk__in=rows[-10:]).update(author_label="stale")
    settings.PURGE_BATCH_SIZE = 3

    def heartbeat() -> None:
        # After the first batch, a row before it becomes one to delete too.
        PreparedMessage.objects.filter(pk=rows[0]).update(author_label="stale")

    stale = PreparedMessage.objects.filter(case=case, author_label="stale")
    removed = delete_in_batches(stale, PurgeScope(case_id=case.pk, heartbeat=heartbeat))
    assert removed == 11
    assert not stale.exists()
    assert PreparedMessage.objects.filter(case=case).count() == len(rows) - 11
