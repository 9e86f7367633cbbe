"""Purge steps for drafts: what a drafting derived from content no longer consented to publish.

Registered from ``handover/apps.py``. A topic's section (its sentences and citations) goes
when any of its threads or cited messages is no longer served for publishing; the
``DraftThread`` rows (embeddings, labels) of such threads go too. A whole-case withdrawal
deletes every topic section, topic and thread of the case's runs; interview sections are
the subject's own words and are not derived from threads.
"""

from __future__ import annotations

from handover.consent.purge import PurgeScope, delete_in_batches
from handover.models import DraftCitation, DraftSection, DraftThread, DraftTopic, Purpose


def _uncovered_threads(scope: PurgeScope):  # noqa: ANN202
    return DraftThread.objects.filter(run__case_id=scope.case_id).exclude(
        scope.covered_for(Purpose.PUBLISH, message_prefix="")
    )


def purge_draft_sections(scope: PurgeScope) -> int:
    """Topic sections drawn from threads or messages no longer served for publishing."""
    sections = DraftSection.objects.filter(case_id=scope.case_id, kind=DraftSection.Kind.TOPIC)
    if scope.whole_case:
        return delete_in_batches(sections, scope)
    uncovered_citations = DraftCitation.objects.filter(
        sentence__section__case_id=scope.case_id
    ).exclude(scope.covered_for(Purpose.PUBLISH))
    stale = sections.filter(
        pk__in=DraftSection.objects.filter(
            topic__threads__in=_uncovered_threads(scope).values("pk")
        ).values("pk")
    ) | sections.filter(
        pk__in=uncovered_citations.values("sentence__section_id"),
    )
    return delete_in_batches(stale, scope)


def purge_draft_threads(scope: PurgeScope) -> int:
    """Threads a drafting read (their embeddings and labels) no longer served; and, for a
    whole case, every topic of its runs (their titles are drawn from the threads)."""
    removed = delete_in_batches(_uncovered_threads(scope), scope)
    if scope.whole_case:
        removed += delete_in_batches(DraftTopic.objects.filter(run__case_id=scope.case_id), scope)
    return removed
