"""Reads of publishing: what would be published, what was, and the pages to pass on."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from handover.models import (
    DraftSection,
    DraftSentence,
    HandoverCase,
    PageReassignment,
    PublishedPage,
)
from handover.publishing.services import (
    approved_sections,
    publishable_sentences,
    served_message_ids,
)


@dataclass(frozen=True)
class SectionPreview:
    """One approved section as publishing would take it: how many sentences go."""

    section: DraftSection
    approved: int
    publishable: int


def preview_publication(*, case: HandoverCase) -> list[SectionPreview]:
    """Each approved section with its approved sentences and those consent still serves."""
    served = served_message_ids(case)
    previews = []
    for section in approved_sections(case):
        approved = sum(
            1 for s in section.sentences.all() if s.status == DraftSentence.Status.APPROVED
        )
        publishable = len(publishable_sentences(case=case, section=section, served=served))
        previews.append(SectionPreview(section=section, approved=approved, publishable=publishable))
    return previews


def list_published_pages(*, case: HandoverCase) -> QuerySet[PublishedPage]:
    """The wiki pages the case published, its handover page first."""
    return (
        PublishedPage.objects.filter(case=case)
        .select_related("page", "page__space", "section")
        .order_by("-is_root", "id")
    )


def list_page_reassignments(*, case: HandoverCase) -> QuerySet[PageReassignment]:
    """The subject's pages proposed to pass to the successors, by space and path."""
    return (
        PageReassignment.objects.filter(case=case)
        .select_related("page", "page__space", "successor_confirmed_by")
        .order_by("page__space__name", "page__path")
    )


def get_reassignment(*, case: HandoverCase, reassignment_id: int) -> PageReassignment | None:
    """One proposal of ``case`` (None when the id is another case's or unknown)."""
    return list_page_reassignments(case=case).filter(pk=reassignment_id).first()
