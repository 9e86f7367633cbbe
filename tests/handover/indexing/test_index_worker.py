"""The index of a case through the real Celery worker, from the consent form's service on."""

import pytest

from handover.consent import services
from handover.models import PurgeJob, Purpose
from qa.models import ChunkEmbedding
from tests.conftest import wait_for
from tests.handover.drafting.conftest import conversations_by_size
from tests.handover.indexing.conftest import a_question, case_chunks, found_of_case

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _embedded(case) -> bool:  # noqa: ANN001
    chunks = case_chunks(case)
    return (
        chunks.exists()
        and ChunkEmbedding.objects.filter(chunk__in=chunks).count() == chunks.count()
    )


def test_the_worker_indexes_and_embeds_a_consent_and_purges_its_withdrawal(
    celery_worker,  # noqa: ANN001
    spaced_case,  # noqa: ANN001
    subject,  # noqa: ANN001
    successor,  # noqa: ANN001
) -> None:
    # Only the consent service runs here: preparing, indexing and embedding are the worker's.
    services.record_consent(
        case=spaced_case,
        by=subject,
        purposes=[Purpose.INDEX],
        conversation_ids=conversations_by_size(subject)[:3],
    )
    wait_for(lambda: _embedded(spaced_case), timeout=240, interval=0.5)
    question = a_question(spaced_case)
    assert found_of_case(spaced_case, successor, question)

    job = services.withdraw_consent(case=spaced_case, by=subject, purposes=[Purpose.INDEX])
    assert not found_of_case(spaced_case, successor, question)
    wait_for(
        lambda: PurgeJob.objects.filter(pk=job.pk, status=PurgeJob.Status.DONE).exists(),
        timeout=120,
    )
    assert not case_chunks(spaced_case).exists()
