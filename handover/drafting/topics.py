"""Writes for the subject's edits of the draft's topics: rename, merge, move threads.

A merge or a move changes what a topic's section is about, so the affected sections
are deleted and written again by ``rewrite_topics_task`` with the runner's own writer;
a rename only renames the section (and ``title_edited`` keeps the subject's words).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import record_audit_event
from handover.cases.selectors import is_subject_of
from handover.errors import CasePermissionError, HandoverError
from handover.models import DraftRun, DraftSection, DraftThread, DraftTopic


class TopicEditError(HandoverError):
    """The edit does not fit the draft (other runs' topics, nothing to move, ...)."""


def _check(run: DraftRun, by: AbstractBaseUser) -> None:
    if not is_subject_of(case=run.case, user=by):
        raise CasePermissionError(_("Only the person leaving can edit the topics of the draft."))
    if run.status != DraftRun.Status.SUCCEEDED:
        raise TopicEditError(_("Only a finished draft's topics can be edited."))


def _schedule_rewrite(run_id: int, topic_ids: list[int]) -> None:
    from handover.drafting.tasks import rewrite_topics_task

    transaction.on_commit(lambda: rewrite_topics_task.delay(run_id, topic_ids))


def rename_topic(*, topic: DraftTopic, title: str, by: AbstractBaseUser) -> DraftTopic:
    """Give a topic (and its section) the subject's own title."""
    _check(topic.run, by)
    title = title.strip()[:200]
    if not title:
        raise TopicEditError(_("A topic needs a title."))
    with transaction.atomic():
        topic.title = title
        topic.title_edited = True
        topic.save(update_fields=["title", "title_edited"])
        DraftSection.objects.filter(topic=topic).update(title=title)
        record_audit_event(
            actor=by,
            action="drafting.topic_renamed",
            target=topic.run.case,
            scope=f"case:{topic.run.case_id}",
            details={"run": topic.run_id, "topic": topic.pk},
            personal={"title": title},
        )
    return topic


def merge_topics(*, topics: Sequence[DraftTopic], by: AbstractBaseUser) -> DraftTopic:
    """Move every thread of ``topics`` into the first; the others and their sections go."""
    topics = list(topics)
    if len(topics) < 2 or len({topic.pk for topic in topics}) != len(topics):
        raise TopicEditError(_("Choose at least two different topics to merge."))
    run = topics[0].run
    if any(topic.run_id != run.pk for topic in topics):
        raise TopicEditError(_("Only topics of the same draft can be merged."))
    _check(run, by)
    target, others = topics[0], topics[1:]
    with transaction.atomic():
        DraftThread.objects.filter(topic__in=others).update(topic=target)
        DraftTopic.objects.filter(pk__in=[topic.pk for topic in others]).delete()
        DraftSection.objects.filter(topic=target).delete()
        _renumber(run)
        record_audit_event(
            actor=by,
            action="drafting.topics_merged",
            target=run.case,
            scope=f"case:{run.case_id}",
            details={"run": run.pk, "topic": target.pk, "merged": [t.pk for t in others]},
        )
        _schedule_rewrite(run.pk, [target.pk])
    return target


def move_threads(
    *,
    threads: Sequence[DraftThread],
    by: AbstractBaseUser,
    to_topic: DraftTopic | None = None,
    title: str = "",
) -> DraftTopic:
    """Move threads into another topic, or (``to_topic`` None) split them into a new one."""
    threads = list(threads)
    if not threads:
        raise TopicEditError(_("Choose at least one thread to move."))
    run = threads[0].run
    if any(row.run_id != run.pk for row in threads) or (
        to_topic is not None and to_topic.run_id != run.pk
    ):
        raise TopicEditError(_("Threads move only between topics of the same draft."))
    _check(run, by)
    with transaction.atomic():
        sources = {row.topic_id for row in threads if row.topic_id is not None}
        if to_topic is None:
            last = DraftTopic.objects.filter(run=run).order_by("-position").first()
            title = title.strip()[:200]
            to_topic = DraftTopic.objects.create(
                run=run,
                title=title,
                title_edited=bool(title),
                position=(last.position + 1) if last else 0,
            )
        DraftThread.objects.filter(pk__in=[row.pk for row in threads]).update(topic=to_topic)
        affected = sources | {to_topic.pk}
        emptied = [
            pk
            for pk in sources
            if pk != to_topic.pk and not DraftThread.objects.filter(topic_id=pk).exists()
        ]
        DraftTopic.objects.filter(pk__in=emptied).delete()
        affected -= set(emptied)
        DraftSection.objects.filter(topic_id__in=affected).delete()
        _renumber(run)
        record_audit_event(
            actor=by,
            action="drafting.threads_moved",
            target=run.case,
            scope=f"case:{run.case_id}",
            details={
                "run": run.pk,
                "topic": to_topic.pk,
                "threads": [row.thread_id for row in threads],
            },
        )
        _schedule_rewrite(run.pk, sorted(affected))
    return to_topic


def _renumber(run: DraftRun) -> None:
    topics = list(DraftTopic.objects.filter(run=run).order_by("position", "id"))
    for index, topic in enumerate(topics):
        if topic.position != index:
            topic.position = index
            topic.save(update_fields=["position"])
            DraftSection.objects.filter(topic=topic).update(position=index)
    DraftRun.objects.filter(pk=run.pk).update(topics_total=len(topics))


def rewrite_topics(*, run_id: int, topic_ids: list[int]) -> list[int]:
    """Write again the sections of ``topic_ids`` that have none (the task of an edit)."""
    from handover.drafting.runner import _topic_texts, write_topic

    run = DraftRun.objects.select_related("case").filter(pk=run_id).first()
    if run is None or run.status != DraftRun.Status.SUCCEEDED:
        return []
    written = []
    all_topics = list(DraftTopic.objects.filter(run=run))
    texts = {topic.pk: _topic_texts(topic) for topic in all_topics}
    for topic in all_topics:
        if topic.pk not in topic_ids:
            continue
        with transaction.atomic():
            DraftRun.objects.select_for_update().get(pk=run.pk)
            if DraftSection.objects.filter(topic=topic).exists():
                continue
            others = [text for pk, text in texts.items() if pk != topic.pk]
            if write_topic(run=run, topic=topic, others=others) is not None:
                written.append(topic.pk)
    # Every topic is written now, some perhaps without a section (nothing citable).
    DraftRun.objects.filter(pk=run.pk).update(topics_done=len(all_topics))
    return written
