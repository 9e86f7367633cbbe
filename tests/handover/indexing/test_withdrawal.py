"""Withdrawals: passages hidden in the withdrawal's own transaction, then purged."""

import pytest

from handover.consent import services
from handover.consent.purge import PurgeScope
from handover.indexing.selectors import thread_source_key
from handover.indexing.services import index_case_threads, purge_indexed_passages
from handover.models import Message, Purpose
from tests.handover.drafting.conftest import conversations_by_size
from tests.handover.indexing.conftest import a_question, case_chunks, found_of_case, share

pytestmark = pytest.mark.django_db


def _indexed(case, subject, count: int = 4) -> list[int]:  # noqa: ANN001
    ids = share(case, subject, conversation_ids=conversations_by_size(subject)[:count])
    index_case_threads(case_id=case.pk)
    assert case_chunks(case).exists()
    return ids


def _keys_of(case, conversation_id: int) -> set[str]:  # noqa: ANN001
    threads = Message.objects.filter(conversation_id=conversation_id).values_list(
        "thread_id", flat=True
    )
    return {thread_source_key(case_id=case.pk, thread_id=t) for t in threads}


def test_withdrawing_the_index_purpose_hides_every_passage_at_once(
    spaced_case,
    subject,
    successor,  # noqa: ANN001
) -> None:
    _indexed(spaced_case, subject)
    question = a_question(spaced_case)
    assert found_of_case(spaced_case, successor, question)
    job = services.withdraw_consent(case=spaced_case, by=subject, purposes=[Purpose.INDEX])
    # Right after the service returns, before any worker ran: the rows are there, unfound.
    assert job is not None and case_chunks(spaced_case).exists()
    assert not case_chunks(spaced_case).filter(searchable=True).exists()
    assert not found_of_case(spaced_case, successor, question)
    assert not found_of_case(spaced_case, subject, question)


def test_withdrawing_everything_hides_every_passage_at_once(
    spaced_case,
    subject,
    successor,  # noqa: ANN001
) -> None:
    _indexed(spaced_case, subject)
    question = a_question(spaced_case)
    services.withdraw_everything(case=spaced_case, by=subject)
    assert not found_of_case(spaced_case, successor, question)
    assert not case_chunks(spaced_case).filter(searchable=True).exists()
    # A run that comes after (a task sent before the withdrawal) writes nothing back.
    assert index_case_threads(case_id=spaced_case.pk) == []
    assert not case_chunks(spaced_case).exists()


def test_withdrawing_attribution_hides_the_named_passages(spaced_case, subject) -> None:  # noqa: ANN001
    ids = conversations_by_size(subject)[:3]
    share(spaced_case, subject, purposes=[Purpose.INDEX, Purpose.ATTRIBUTE], conversation_ids=ids)
    index_case_threads(case_id=spaced_case.pk)
    services.withdraw_consent(case=spaced_case, by=subject, purposes=[Purpose.ATTRIBUTE])
    assert not case_chunks(spaced_case).filter(searchable=True).exists()
    index_case_threads(case_id=spaced_case.pk)
    assert set(case_chunks(spaced_case).values_list("owner_label", flat=True)) == {
        "the departing colleague"
    }
    assert not case_chunks(spaced_case).filter(searchable=False).exists()


def test_a_narrowed_consent_is_hidden_then_reindexed_and_purged_with_a_receipt(
    spaced_case,
    subject,
    successor,  # noqa: ANN001
) -> None:
    ids = _indexed(spaced_case, subject)
    taken, kept = ids[-1], ids[:-1]
    gone_keys = _keys_of(spaced_case, taken)
    assert gone_keys & set(case_chunks(spaced_case).values_list("source_key", flat=True))
    job = services.withdraw_consent(case=spaced_case, by=subject, conversation_ids=[taken])
    assert not case_chunks(spaced_case).filter(searchable=True).exists()  # fail closed
    # The purge deletes what is no longer served and keeps the rest, hidden until the reindex.
    services.run_purge_job(job_id=job.pk)
    job.refresh_from_db()
    keys = set(case_chunks(spaced_case).values_list("source_key", flat=True))
    assert keys and not keys & gone_keys
    assert job.results["qa.chunks"]["count"] > 0
    item = next(i for i in job.receipt.items if i["what"] == "Indexed passages")
    assert item["count"] == job.results["qa.chunks"]["count"]
    index_case_threads(case_id=spaced_case.pk)
    assert not case_chunks(spaced_case).filter(searchable=False).exists()
    still = set().union(*(_keys_of(spaced_case, c) for c in kept))
    assert set(case_chunks(spaced_case).values_list("source_key", flat=True)) <= still
    # Idempotent: a second run of the step finds nothing more to delete.
    assert purge_indexed_passages(PurgeScope(case_id=spaced_case.pk)) == 0


def test_the_purge_of_a_whole_case_deletes_every_passage(spaced_case, subject) -> None:  # noqa: ANN001
    _indexed(spaced_case, subject, count=3)
    count = case_chunks(spaced_case).count()
    job = services.withdraw_everything(case=spaced_case, by=subject)
    done = services.run_purge_job(job_id=job.pk)
    assert not case_chunks(spaced_case).exists()
    assert done.results["qa.chunks"]["count"] == count
    assert "Indexed passages" in [item["what"] for item in done.receipt.items]
    assert purge_indexed_passages(PurgeScope(case_id=spaced_case.pk, whole_case=True)) == 0
