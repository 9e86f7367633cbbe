"""The optional rewrite by an external processor: nothing leaves without endpoint and consent."""

import pytest

from handover.consent import services as consent_services
from handover.consent.read import consented_messages
from handover.drafting import generation
from handover.errors import CasePermissionError, ConsentRequiredError
from handover.models import (
    Conversation,
    DraftCitation,
    DraftSection,
    DraftSentence,
    Purpose,
)
from handover.privacy import services as privacy_services

pytestmark = pytest.mark.django_db


def _section(case, subject, purposes) -> DraftSection:  # noqa: ANN001
    """A section of three cited sentences over the subject's consented Slack messages."""
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(
        case=case, by=subject, purposes=list(purposes), conversation_ids=ids
    )
    privacy_services.prepare_case_messages(case_id=case.pk)
    rows = list(consented_messages(purpose=Purpose.PUBLISH, case=case)[:3])
    section = DraftSection.objects.create(case=case, title="Deploys")
    for position, row in enumerate(rows):
        sentence = DraftSentence.objects.create(
            section=section,
            part=DraftSentence.Part.SUMMARY,
            position=position,
            text=row.text[:200],
            original_text=row.text[:200],
        )
        DraftCitation.objects.create(sentence=sentence, message_id=row.message_id)
    return section


def _cited(section: DraftSection) -> set[int]:
    return set(
        DraftCitation.objects.filter(sentence__section=section).values_list("message_id", flat=True)
    )


def test_it_sends_nothing_without_an_endpoint(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = ""
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    before = list(section.sentences.values_list("text", flat=True))
    with pytest.raises(generation.GenerationUnavailableError):
        generation.rewrite_section(section=section, by=subject)
    assert endpoint.requests == []
    assert list(section.sentences.values_list("text", flat=True)) == before


def test_it_sends_nothing_without_the_external_processor_purpose(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH])
    with pytest.raises(generation.GenerationUnavailableError):
        generation.rewrite_section(section=section, by=subject)
    assert endpoint.requests == []


def test_it_sends_nothing_when_the_purpose_does_not_cover_a_cited_message(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    cited_conversation = (
        DraftCitation.objects.filter(sentence__section=section)
        .values_list("message__conversation_id", flat=True)
        .first()
    )
    others = Conversation.objects.filter(owner=subject).exclude(pk=cited_conversation)
    consent_services.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.EXTERNAL_PROCESSOR],
        conversation_ids=list(others.values_list("pk", flat=True)),
    )
    with pytest.raises(ConsentRequiredError):
        generation.rewrite_section(section=section, by=subject)
    assert endpoint.requests == []


def test_it_rewrites_keeping_every_citation_and_drops_uncited_sentences(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    cited = _cited(section)
    endpoint.answer = (
        "The team met about the visualisation. [1] [2]\n"
        "Nobody knows where this came from.\n"
        "Next steps were posted. [3]\n"
        "An invented source. [9]"
    )
    result = generation.rewrite_section(section=section, by=subject)
    assert (result.sent, result.written, result.dropped) == (3, 2, 2)
    texts = list(section.sentences.order_by("position", "id").values_list("text", flat=True))
    assert texts == ["The team met about the visualisation.", "Next steps were posted."]
    assert _cited(section) == cited
    assert all(s.citations.exists() for s in section.sentences.all())
    section.refresh_from_db()
    assert section.rewritten
    sent = endpoint.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert "[1]" in sent["body"]["messages"][1]["content"]


def test_it_keeps_the_section_when_the_endpoint_fails(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    before = list(section.sentences.values_list("pk", "text"))
    endpoint.status = 500
    with pytest.raises(generation.GenerationFailedError):
        generation.rewrite_section(section=section, by=subject)
    endpoint.status, endpoint.answer = 200, "Nothing cited here."
    with pytest.raises(generation.GenerationFailedError):
        generation.rewrite_section(section=section, by=subject)
    assert list(section.sentences.values_list("pk", "text")) == before


def test_it_leaves_edited_sentences_alone(case, subject, slack_import, endpoint, settings) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    edited = section.sentences.order_by("position").first()
    edited.text = "My own words."
    edited.save(update_fields=["text"])
    endpoint.answer = "Rewritten. [1]\nAlso rewritten. [2]"
    generation.rewrite_section(section=section, by=subject)
    assert "[1] My own words." not in endpoint.requests[0]["body"]["messages"][1]["content"]
    assert section.sentences.filter(pk=edited.pk, text="My own words.").exists()


def test_only_the_subject_may_ask(
    case, subject, successor, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    with pytest.raises(CasePermissionError):
        generation.rewrite_section(section=section, by=successor)
    assert endpoint.requests == []


def test_a_requested_rewrite_runs_once_through_the_task(
    case, subject, slack_import, endpoint, settings, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    from handover.drafting.tasks import rewrite_section_task

    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    cited = _cited(section)
    with django_capture_on_commit_callbacks() as callbacks:
        generation.request_section_rewrite(section=section, by=subject)
    assert len(callbacks) == 1 and endpoint.requests == []
    section.refresh_from_db()
    assert section.rewrite_state == DraftSection.RewriteState.PENDING
    with pytest.raises(generation.RewriteInProgressError):
        generation.request_section_rewrite(section=section, by=subject)
    endpoint.answer = "One. [1]\nTwo and three. [2] [3]"
    rewrite_section_task(section.pk, subject.pk)
    rewrite_section_task(section.pk, subject.pk)
    assert len(endpoint.requests) == 1
    section.refresh_from_db()
    assert section.rewrite_state == DraftSection.RewriteState.DONE and section.rewritten
    assert _cited(section) == cited


def test_a_consent_withdrawn_before_the_worker_runs_stops_the_rewrite(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    generation.request_section_rewrite(section=section, by=subject)
    consent_services.withdraw_consent(case=case, by=subject, purposes=[Purpose.EXTERNAL_PROCESSOR])
    generation.run_requested_rewrite(section_id=section.pk, user_id=subject.pk)
    assert endpoint.requests == []
    section.refresh_from_db()
    assert section.rewrite_state == DraftSection.RewriteState.FAILED
    assert "external processor" in section.rewrite_message
    assert not section.rewritten


def test_a_rewrite_lost_with_its_worker_may_be_asked_again(
    case, subject, slack_import, endpoint, settings
) -> None:  # noqa: ANN001
    from datetime import timedelta

    from django.utils import timezone

    settings.DRAFT_GENERATION_URL = endpoint.url
    section = _section(case, subject, [Purpose.PUBLISH, Purpose.EXTERNAL_PROCESSOR])
    DraftSection.objects.filter(pk=section.pk).update(
        rewrite_state=DraftSection.RewriteState.RUNNING,
        rewrite_requested_at=timezone.now() - timedelta(hours=1),
    )
    section.refresh_from_db()
    generation.request_section_rewrite(section=section, by=subject)
    section.refresh_from_db()
    assert section.rewrite_state == DraftSection.RewriteState.PENDING
