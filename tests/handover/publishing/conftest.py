"""Publishing fixtures: a consented, prepared real Slack export and an approved draft.

The draft is written with the ORM (the drafting runner is another room's work), from
messages the one read path serves for publishing, so its text is what drafting would
see: redacted and pseudonymised.
"""

from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from handover.cases import services as case_services
from handover.consent import services as consent_services
from handover.consent.read import iter_consented_messages
from handover.models import (
    Conversation,
    DraftCitation,
    DraftRun,
    DraftSection,
    DraftSentence,
    DraftTopic,
    HandoverCase,
    InterviewQuestion,
    Purpose,
)
from handover.privacy import services as privacy_services
from wiki import services as wiki
from wiki.models import Role

Part = DraftSentence.Part
APPROVED = DraftSentence.Status.APPROVED
PROPOSED = DraftSentence.Status.PROPOSED


@pytest.fixture
def wiki_space(manager, subject, successor, teammate):  # noqa: ANN001, ANN201
    """The team's private space: the subject edits, the successor and the teammate read."""
    space = wiki.create_space(name="Platform docs", key="platform", by=manager)
    wiki.set_space_role(space=space, by=manager, role=Role.EDITOR, user=subject)
    wiki.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    wiki.set_space_role(space=space, by=manager, role=Role.READER, user=teammate)
    return space


def consent(case, subject, purposes=(Purpose.PUBLISH,)) -> list[int]:  # noqa: ANN001
    """The subject shares every conversation for ``purposes``; copies are prepared."""
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(
        case=case, by=subject, purposes=list(purposes), conversation_ids=ids
    )
    privacy_services.prepare_case_messages(case_id=case.pk)
    return ids


@pytest.fixture
def ready_case(case, subject, slack_import, wiki_space) -> HandoverCase:  # noqa: ANN001
    """The case with PUBLISH consent over the whole export, its space, and in review."""
    consent(case, subject)
    case.space = wiki_space
    case.save(update_fields=["space"])
    case_services.start_drafting(case=case, by=subject)
    case_services.submit_for_review(case=case, by=subject)
    case.refresh_from_db()
    return case


@dataclass
class Draft:
    """What the fixture wrote, to compare pages against."""

    approved: list[DraftSection] = field(default_factory=list)
    proposed: DraftSection | None = None
    dropped: DraftSection | None = None
    interview: DraftSection | None = None
    published_texts: list[str] = field(default_factory=list)
    unpublished_texts: list[str] = field(default_factory=list)
    # conversation id -> the sentence texts citing its messages
    by_conversation: dict[int, list[str]] = field(default_factory=dict)


def _sentence(section, part, text, status, messages=(), details=None) -> DraftSentence:  # noqa: ANN001
    sentence = DraftSentence.objects.create(
        section=section,
        part=part,
        position=section.sentences.count(),
        text=text,
        original_text=text,
        status=status,
        details=details or {},
    )
    for position, message in enumerate(messages):
        DraftCitation.objects.create(
            sentence=sentence, message_id=message.message_id, position=position
        )
    return sentence


def write_draft(case, subject) -> Draft:  # noqa: ANN001
    """Two approved topic sections from two conversations, one proposed, one dropped, and an
    approved interview answer; each approved section has a proposed sentence too."""
    served = list(iter_consented_messages(purpose=Purpose.PUBLISH, case=case))
    counts: dict[str, int] = {}
    for message in served:
        key = " ".join(message.text.split())[:160]
        counts[key] = counts.get(key, 0) + 1
    # Distinct, substantial texts, so a page's sentences can be told apart.
    served = [
        m
        for m in served
        if len(m.text.strip()) > 40 and counts[" ".join(m.text.split())[:160]] == 1
    ]
    by_conversation: dict[int, list] = {}
    for message in served:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    conversations = sorted(by_conversation, key=lambda cid: -len(by_conversation[cid]))[:2]
    assert len(conversations) == 2
    run = DraftRun.objects.create(
        case=case, requested_by=subject, status=DraftRun.Status.SUCCEEDED, phase=DraftRun.Phase.DONE
    )
    draft = Draft()
    for position, conversation_id in enumerate(conversations):
        messages = by_conversation[conversation_id]
        topic = DraftTopic.objects.create(run=run, title=f"Topic {position + 1}", position=position)
        section = DraftSection.objects.create(
            case=case,
            run=run,
            topic=topic,
            title=f"Topic {position + 1}: {messages[0].conversation}",
            status=DraftSection.Status.APPROVED,
            position=position,
            approved_by=subject,
            approved_at=timezone.now(),
        )
        texts = [" ".join(m.text.split())[:160] for m in messages[:4]]
        _sentence(section, Part.SUMMARY, texts[0], APPROVED, messages[:1])
        _sentence(
            section,
            Part.DECISION,
            texts[1],
            APPROVED,
            messages[1:3],
            {
                "reason": "It was cheaper.",
                "alternatives": ["Keep the old one"],
                "decided_at": "2016-05-01",
            },
        )
        _sentence(
            section, Part.OPEN_ITEM, texts[2], APPROVED, messages[2:3], {"waiting": "Person A"}
        )
        _sentence(section, Part.RESOURCE, f"Never published {position}", PROPOSED, messages[3:4])
        draft.approved.append(section)
        draft.published_texts += texts[:3]
        draft.unpublished_texts.append(f"Never published {position}")
        draft.by_conversation[conversation_id] = texts[:3]
    spare = served[-1]
    topic = DraftTopic.objects.create(run=run, title="Proposed topic", position=5)
    draft.proposed = DraftSection.objects.create(
        case=case, run=run, topic=topic, title="Still a proposal", position=5
    )
    _sentence(draft.proposed, Part.SUMMARY, "A proposal nobody approved.", APPROVED, [spare])
    topic = DraftTopic.objects.create(run=run, title="Dropped topic", position=6)
    draft.dropped = DraftSection.objects.create(
        case=case,
        run=run,
        topic=topic,
        title="Dropped one",
        position=6,
        status=DraftSection.Status.DROPPED,
    )
    _sentence(draft.dropped, Part.SUMMARY, "A dropped section's sentence.", APPROVED, [spare])
    draft.unpublished_texts += ["A proposal nobody approved.", "A dropped section's sentence."]
    question = InterviewQuestion.objects.create(
        case=case, key="first-week", answer="Read the runbook."
    )
    draft.interview = DraftSection.objects.create(
        case=case,
        kind=DraftSection.Kind.INTERVIEW,
        question=question,
        title="What to do in the first week",
        status=DraftSection.Status.APPROVED,
        position=7,
    )
    _sentence(draft.interview, Part.ANSWER, "Read the runbook first.", APPROVED)
    draft.approved.append(draft.interview)
    draft.published_texts.append("Read the runbook first.")
    return draft


@pytest.fixture
def draft(ready_case, subject) -> Draft:  # noqa: ANN001
    return write_draft(ready_case, subject)
