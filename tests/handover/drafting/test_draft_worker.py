"""A drafting through the real Celery worker, started the way the subject starts it."""

import pytest

from handover.models import DraftCitation, DraftRun, DraftSection, DraftSentence
from tests.conftest import wait_for
from tests.handover.drafting.conftest import conversations_by_size, share_for_publishing

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _finished(run_id: int) -> DraftRun | None:
    run = DraftRun.objects.get(pk=run_id)
    return None if run.is_active else run


def test_the_worker_drafts_a_run_started_from_the_api(
    celery_worker,  # noqa: ANN001
    client_for,  # noqa: ANN001
    case,  # noqa: ANN001
    subject,  # noqa: ANN001
    slack_import,  # noqa: ANN001
) -> None:
    share_for_publishing(case, subject, conversations_by_size(subject)[:6])
    client = client_for(subject)
    started = client.post(f"/api/handover/cases/{case.pk}/drafts/")
    assert started.status_code == 201, started.content
    done = wait_for(lambda: _finished(started.json()["id"]), timeout=180)
    assert done.status == DraftRun.Status.SUCCEEDED, done.error
    assert 0 < DraftSection.objects.filter(run=done).count() <= done.topics_total
    assert not DraftSection.objects.filter(run=done, sentences__isnull=True).exists()
    assert not DraftSentence.objects.filter(section__run=done, citations__isnull=True).exists()
    assert DraftCitation.objects.filter(sentence__section__run=done).exists()
    page = client.get(f"/handover/cases/{case.pk}/draft/progress/")
    assert "Draft again" in page.content.decode() and "every 2s" not in page.content.decode()
