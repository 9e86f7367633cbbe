"""The drafting run over the real Slack export: topics, cited sections, cancel, resume."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from handover.consent import services as consent_services
from handover.consent.read import consented_messages
from handover.drafting import runner, runs
from handover.errors import CasePermissionError, ConsentRequiredError
from handover.models import (
    DraftCitation,
    DraftRun,
    DraftSection,
    DraftSentence,
    DraftThread,
    DraftTopic,
    Message,
    Purpose,
)

pytestmark = pytest.mark.django_db


def _served_ids(case) -> set[int]:  # noqa: ANN001
    return set(
        consented_messages(purpose=Purpose.PUBLISH, case=case).values_list("message_id", flat=True)
    )


def test_it_drafts_cited_sections_from_the_consented_threads_only(shared_case, subject) -> None:  # noqa: ANN001
    run = runs.start_draft_run(case=shared_case, by=subject)
    assert AuditEvent.objects.filter(action="drafting.started").count() == 1
    done = runner.run_draft(run_id=run.pk, batch_size=64)
    assert done is not None and done.status == DraftRun.Status.SUCCEEDED, done.error
    assert done.phase == DraftRun.Phase.DONE and done.percent == 100 and done.attempts == 1

    served = _served_ids(shared_case)
    threads = DraftThread.objects.filter(run=run)
    assert threads.count() == done.threads_total == done.threads_done > 0
    assert not threads.filter(topic__isnull=True).exists()
    assert not threads.filter(conversation_id=shared_case.unshared_conversation_id).exists()
    topics = DraftTopic.objects.filter(run=run)
    assert 1 <= topics.count() <= 30 and topics.count() == done.topics_total == done.topics_done
    sections = DraftSection.objects.filter(run=run, kind=DraftSection.Kind.TOPIC)
    # A topic with nothing citable to say gets no section, never an empty one.
    assert 1 <= sections.count() <= topics.count()
    assert not sections.filter(sentences__isnull=True).exists()
    assert all(section.title for section in sections)
    sentences = DraftSentence.objects.filter(section__run=run)
    assert sentences.exists()
    assert not sentences.filter(citations__isnull=True).exists()
    assert all(sentence.text == sentence.original_text for sentence in sentences)
    cited = set(
        DraftCitation.objects.filter(sentence__section__run=run).values_list(
            "message_id", flat=True
        )
    )
    assert cited and cited <= served
    unshared = set(
        Message.objects.filter(conversation_id=shared_case.unshared_conversation_id).values_list(
            "pk", flat=True
        )
    )
    assert not cited & unshared
    for row in threads:
        assert row.central_message_ids and set(row.central_message_ids) <= served


def test_only_the_subject_with_consent_to_publish_may_draft(case, subject, manager) -> None:  # noqa: ANN001
    with pytest.raises(CasePermissionError):
        runs.start_draft_run(case=case, by=manager)
    with pytest.raises(ConsentRequiredError):
        runs.start_draft_run(case=case, by=subject)


def test_it_allows_one_active_run_per_case(small_case, subject) -> None:  # noqa: ANN001
    runs.start_draft_run(case=small_case, by=subject)
    with pytest.raises(runs.DraftRunActiveError):
        runs.start_draft_run(case=small_case, by=subject)


def test_it_cancels_a_queued_run_at_once_and_a_running_one_between_batches(
    small_case,
    subject,  # noqa: ANN001
) -> None:
    queued = runs.start_draft_run(case=small_case, by=subject)
    cancelled = runs.cancel_draft_run(run=queued, by=subject)
    assert cancelled.status == DraftRun.Status.CANCELLED
    assert runner.run_draft(run_id=queued.pk) is None

    run = runs.start_draft_run(case=small_case, by=subject)
    token = "t" * 32
    assert runner._claim(run.pk, token, timedelta(minutes=5))
    batch = runner.consented_thread_ids(small_case)[:5]
    rows = runner._read_batch(small_case, batch)
    for row in rows:
        row.run_id = run.pk
    DraftThread.objects.bulk_create(rows)
    runs.cancel_draft_run(run=run, by=subject)
    with pytest.raises(runner.DraftCancelledError):
        runner._read(DraftRun.objects.get(pk=run.pk), token, 5)
    finished = runner._finish(run.pk, token, DraftRun.Status.CANCELLED)
    assert finished.status == DraftRun.Status.CANCELLED
    assert not DraftThread.objects.filter(run=run).exists()


def test_it_resumes_a_run_whose_worker_died_without_duplicating_rows(
    small_case,
    subject,  # noqa: ANN001
) -> None:
    run = runs.start_draft_run(case=small_case, by=subject)
    assert runner._claim(run.pk, "dead" * 8, timedelta(minutes=5))
    ids = runner.consented_thread_ids(small_case)
    rows = runner._read_batch(small_case, ids[:10])
    for row in rows:
        row.run_id = run.pk
    DraftThread.objects.bulk_create(rows)
    DraftRun.objects.filter(pk=run.pk).update(
        threads_done=len(rows), heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    # A fresh heartbeat is not taken over; the sweeper sends the stale one again.
    assert runs.requeue_stale_draft_runs(stale_after=timedelta(minutes=5)) == [run.pk]
    done = runner.run_draft(run_id=run.pk, batch_size=64)
    assert done is not None and done.status == DraftRun.Status.SUCCEEDED, done.error
    assert done.attempts == 2
    assert DraftThread.objects.filter(run=run).count() == len(ids) == done.threads_total
    first = {row.thread_id: row.pk for row in rows}
    kept = dict(
        DraftThread.objects.filter(run=run, thread_id__in=first).values_list("thread_id", "pk")
    )
    assert kept == first
    written = DraftSection.objects.filter(run=run).count()
    assert 1 <= written <= done.topics_total == done.topics_done
    assert not DraftSection.objects.filter(run=run, sentences__isnull=True).exists()

    # A second drafting replaces the first: the newest succeeded run is the draft.
    again = runs.start_draft_run(case=small_case, by=subject)
    runner.run_draft(run_id=again.pk)
    assert not DraftSection.objects.filter(run=run).exists()
    assert not DraftThread.objects.filter(run=run).exists()
    assert (
        1
        <= DraftSection.objects.filter(run=again).count()
        <= DraftTopic.objects.filter(run=again).count()
    )


def test_a_withdrawal_purges_what_the_draft_drew_from_it(small_case, subject) -> None:  # noqa: ANN001
    run = runs.start_draft_run(case=small_case, by=subject)
    runner.run_draft(run_id=run.pk)
    busiest = DraftThread.objects.filter(run=run).order_by("-message_count").first().conversation_id
    job = consent_services.withdraw_consent(case=small_case, by=subject, conversation_ids=[busiest])
    consent_services.run_purge_job(job_id=job.pk)
    assert not DraftThread.objects.filter(run=run, conversation_id=busiest).exists()
    assert DraftThread.objects.filter(run=run).exists()
    assert not DraftCitation.objects.filter(
        sentence__section__run=run, message__conversation_id=busiest
    ).exists()

    everything = consent_services.withdraw_everything(case=small_case, by=subject)
    consent_services.run_purge_job(job_id=everything.pk)
    assert not DraftThread.objects.filter(run__case=small_case).exists()
    assert not DraftSection.objects.filter(case=small_case).exists()
    assert not DraftSentence.objects.filter(section__case=small_case).exists()


def test_starting_the_drafting_step_queues_a_run(small_case, subject) -> None:  # noqa: ANN001
    from handover.cases import services as case_services

    case_services.start_drafting(case=small_case, by=subject)
    run = DraftRun.objects.get(case=small_case)
    assert run.status == DraftRun.Status.QUEUED and run.requested_by == subject
    # The sweeper leaves a fresh queued run alone.
    assert runs.requeue_stale_draft_runs() == []


def test_a_topic_with_nothing_citable_gets_no_section(small_case, subject) -> None:  # noqa: ANN001
    from django.db import transaction

    from handover.drafting import topics

    run = runs.start_draft_run(case=small_case, by=subject)
    done = runner.run_draft(run_id=run.pk, batch_size=64)
    assert done is not None and done.status == DraftRun.Status.SUCCEEDED, done.error
    # A topic whose threads the read path no longer serves (here: taken out of publishing).
    topic = DraftTopic.objects.filter(run=run).order_by("position").first()
    thread_ids = list(topic.threads.values_list("thread_id", flat=True))
    consent_services.withdraw_consent(case=small_case, by=subject, thread_ids=thread_ids)
    DraftSection.objects.filter(topic=topic).delete()
    with transaction.atomic():
        assert runner.write_topic(run=done, topic=topic) is None
    assert not DraftSection.objects.filter(topic=topic).exists()
    # Through the task of a topic edit too: no empty section, and the progress is whole.
    assert topics.rewrite_topics(run_id=run.pk, topic_ids=[topic.pk]) == []
    assert not DraftSection.objects.filter(topic=topic).exists()
    assert not DraftSection.objects.filter(run=run, sentences__isnull=True).exists()
    done.refresh_from_db()
    assert done.topics_done == done.topics_total == DraftTopic.objects.filter(run=run).count()
    # A topic without threads at all gets none either.
    bare = DraftTopic.objects.create(run=run, title="Bare", position=99)
    with transaction.atomic():
        assert runner.write_topic(run=done, topic=bare) is None


def test_a_run_adds_the_sections_plugins_propose_as_proposals(
    small_case, subject, settings
) -> None:  # noqa: ANN001
    from plugins.manager import get_plugin_manager
    from plugins.types import DraftSectionProposal
    from tests.plugins import purpose_plugin

    settings.TACIT_PLUGINS = ["tests.plugins.purpose_plugin"]
    get_plugin_manager.cache_clear()
    purpose_plugin.reset()
    purpose_plugin.SECTIONS.append(
        DraftSectionProposal(
            key="rituals", title="Team rituals", sentences=("Demo on Fridays.",), source="The team"
        )
    )
    try:
        run = runs.start_draft_run(case=small_case, by=subject)
        done = runner.run_draft(run_id=run.pk, batch_size=64)
    finally:
        get_plugin_manager.cache_clear()
    assert done.status == DraftRun.Status.SUCCEEDED, done.error
    section = DraftSection.objects.get(case=small_case, kind=DraftSection.Kind.PLUGIN)
    assert section.status == DraftSection.Status.PROPOSED and section.run_id is None
    assert list(section.sentences.values_list("text", flat=True)) == ["Demo on Fridays."]
    # It is part of the draft the subject reviews, beside the run's topic sections.
    from handover.drafting.review_selectors import current_sections_q

    current = DraftSection.objects.filter(current_sections_q(case=small_case, run=done))
    assert section in current and current.filter(kind=DraftSection.Kind.TOPIC).exists()
