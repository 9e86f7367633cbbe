"""Sections plugins propose for a case's draft (``tacit_draft_sections``), kept as proposals.

A plugin's section belongs to the case, like an interview answer: the subject reviews it
as any other, and nothing of it is published before they approve it. On each drafting
run a proposal replaces the section of the same key while the subject has not touched it
(renamed it, decided on it or on a sentence, edited a sentence); a touched section is the
subject's and stays as it is; an untouched section no longer proposed is removed.
"""

from __future__ import annotations

from django.db import transaction

from handover.cases.plugins import case_ref
from handover.models import DraftSection, DraftSentence, HandoverCase
from plugins.manager import plugin_draft_sections

# Plugin sections come after the topics and before the interview answers (at 1000+).
POSITION = 900
MAX_SENTENCES = 100
MAX_SENTENCE_CHARS = 2000


def _touched(section: DraftSection) -> bool:
    if section.status != DraftSection.Status.PROPOSED or section.title != section.proposed_title:
        return True
    return any(
        sentence.status != DraftSentence.Status.PROPOSED or sentence.text != sentence.original_text
        for sentence in section.sentences.all()
    )


@transaction.atomic
def write_plugin_sections(*, case: HandoverCase) -> int:
    """Ask the plugins for the case's sections and keep them as proposals; how many were
    written anew."""
    proposals = plugin_draft_sections(case_ref(case))
    existing = {
        section.plugin_key: section
        for section in DraftSection.objects.select_for_update()
        .filter(case=case, kind=DraftSection.Kind.PLUGIN)
        .prefetch_related("sentences")
    }
    written = 0
    offered: set[str] = set()
    for offset, (plugin, proposal) in enumerate(proposals):
        key = f"{plugin}:{proposal.key}"[:200]
        offered.add(key)
        section = existing.get(key)
        if section is not None:
            if _touched(section):
                continue
            section.delete()
        title = proposal.title[:200]
        section = DraftSection.objects.create(
            case=case,
            run=None,
            kind=DraftSection.Kind.PLUGIN,
            plugin_key=key,
            source_note=proposal.source.strip()[:300],
            title=title,
            proposed_title=title,
            position=POSITION + offset,
        )
        DraftSentence.objects.bulk_create(
            DraftSentence(
                section=section,
                part=DraftSentence.Part.CONTRIBUTED,
                position=position,
                text=text[:MAX_SENTENCE_CHARS],
                original_text=text[:MAX_SENTENCE_CHARS],
            )
            for position, text in enumerate(proposal.sentences[:MAX_SENTENCES])
        )
        written += 1
    for key, section in existing.items():
        if key not in offered and not _touched(section):
            section.delete()
    return written
