"""Reads for drafting: runs visible to a user, the case's current draft, its topics."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from handover.cases.selectors import get_case_for_user, is_subject_of, list_cases_for_user
from handover.models import DraftRun, DraftThread, DraftTopic, HandoverCase


def list_runs(*, case: HandoverCase) -> QuerySet[DraftRun]:
    """The case's draft runs, newest first."""
    return DraftRun.objects.filter(case=case).order_by("-created_at", "-id")


def latest_run(*, case: HandoverCase) -> DraftRun | None:
    """The case's newest run, whatever its status (what the progress shows)."""
    return list_runs(case=case).first()


def current_run(*, case: HandoverCase) -> DraftRun | None:
    """The run whose topics are the draft: the newest succeeded one."""
    return list_runs(case=case).filter(status=DraftRun.Status.SUCCEEDED).first()


def get_run_for_user(*, run_id: int, user: AbstractBaseUser | AnonymousUser) -> DraftRun:
    """A run of a case ``user`` may see (its progress), else 404."""
    run = (
        DraftRun.objects.filter(pk=run_id, case__in=list_cases_for_user(user=user))
        .select_related("case")
        .first()
    )
    if run is None:
        raise Http404("No such drafting.")
    return run


def get_own_run_for_subject(*, run_id: int, user: AbstractBaseUser | AnonymousUser) -> DraftRun:
    """A run of the user's own case (its topics and threads), else 404."""
    run = get_run_for_user(run_id=run_id, user=user)
    if not is_subject_of(case=run.case, user=user):
        raise Http404("No such drafting.")
    return run


def get_case_of_runs_for_user(
    *, case_id: int, user: AbstractBaseUser | AnonymousUser
) -> HandoverCase:
    return get_case_for_user(case_id=case_id, user=user)


def list_topics(*, run: DraftRun) -> QuerySet[DraftTopic]:
    """The run's topics in order, with their threads and section."""
    return (
        DraftTopic.objects.filter(run=run)
        .select_related("section")
        .prefetch_related(
            Prefetch("threads", queryset=DraftThread.objects.order_by("first_at", "id"))
        )
        .order_by("position", "id")
    )


def find_topics(*, run: DraftRun, topic_ids: list[int]) -> list[DraftTopic] | None:
    """The run's topics with these ids, in the order given; None when any is not the run's."""
    found = {topic.pk: topic for topic in DraftTopic.objects.filter(run=run, pk__in=topic_ids)}
    if len(found) != len(set(topic_ids)):
        return None
    return [found[pk] for pk in topic_ids]


def find_threads(*, run: DraftRun, thread_ids: list[int]) -> list[DraftThread] | None:
    """The run's DraftThread rows with these ids; None when any is not the run's."""
    found = list(DraftThread.objects.filter(run=run, pk__in=thread_ids).select_related("run"))
    if len(found) != len(set(thread_ids)):
        return None
    return found
