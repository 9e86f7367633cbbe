"""The consent ledger: only the subject grants, per purpose and scope, under versioned terms."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from handover.consent import services, terms
from handover.consent.read import live_grants
from handover.errors import ConsentByProxyError, InvalidScopeError
from handover.models import ConsentGrant, Conversation, HandoverCase, PurgeJob, Purpose, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversations(subject):  # noqa: ANN001, ANN201
    made = []
    for key in ("C1", "C2"):
        conversation = Conversation.objects.create(
            owner=subject, platform="slack", external_key=key, name=f"chan-{key}"
        )
        Thread.objects.create(conversation=conversation, root_key=f"{key}-t1")
        made.append(conversation)
    return made


@pytest.mark.parametrize(
    "persona", ["manager", "hr", "successor", "teammate", "outsider", "operator", "superuser"]
)
def test_it_refuses_consent_by_proxy(request, case, conversations, persona: str) -> None:  # noqa: ANN001
    by = request.getfixturevalue(persona)
    ids = [c.pk for c in conversations]
    with pytest.raises(ConsentByProxyError):
        services.record_consent(case=case, by=by, purposes=[Purpose.INDEX], conversation_ids=ids)
    with pytest.raises(ConsentByProxyError):
        services.withdraw_consent(case=case, by=by, purposes=[Purpose.INDEX])
    with pytest.raises(ConsentByProxyError):
        services.withdraw_everything(case=case, by=by)
    assert not ConsentGrant.objects.exists()
    case.refresh_from_db()
    assert case.state == HandoverCase.State.OPENED


def test_each_purpose_is_its_own_grant_with_the_exact_terms(case, subject, conversations) -> None:  # noqa: ANN001
    grants = services.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.PUBLISH, Purpose.INDEX],
        conversation_ids=[conversations[0].pk],
        language="zh-hans",
    )
    assert sorted(g.purpose for g in grants) == ["index", "publish"]
    for grant in grants:
        expected = terms.terms_for(grant.purpose, "zh-hans")
        assert grant.terms_text == expected.text and grant.terms_language == "zh-hans"
        assert grant.terms_sha256 == hashlib.sha256(grant.terms_text.encode()).hexdigest()
        assert grant.terms_version == terms.CURRENT_VERSION
        assert list(grant.conversations.all()) == [conversations[0]]
    assert "人格画像" in grants[0].terms_text
    english = terms.terms_for(Purpose.PUBLISH, "en").text
    assert "never builds a persona" in english and "no consequence" in english
    assert "train a model" in english


def test_unticking_a_purpose_withdraws_it_and_schedules_a_purge(
    case, subject, conversations
) -> None:  # noqa: ANN001
    ids = [c.pk for c in conversations]
    services.record_consent(
        case=case, by=subject, purposes=[Purpose.PUBLISH, Purpose.INDEX], conversation_ids=ids
    )
    services.record_consent(case=case, by=subject, purposes=[Purpose.PUBLISH], conversation_ids=ids)
    assert not live_grants(case=case, purpose=Purpose.INDEX).exists()
    assert live_grants(case=case, purpose=Purpose.PUBLISH).count() == 1
    job = PurgeJob.objects.get(case=case)
    assert job.scope["purposes"] == ["index"]


def test_it_refuses_conversations_and_threads_that_are_not_the_subjects(
    case,
    subject,
    teammate,
    conversations,  # noqa: ANN001
) -> None:
    foreign = Conversation.objects.create(
        owner=teammate, platform="slack", external_key="X", name="theirs"
    )
    with pytest.raises(InvalidScopeError):
        services.record_consent(
            case=case, by=subject, purposes=[Purpose.INDEX], conversation_ids=[foreign.pk]
        )
    other_thread = Thread.objects.get(conversation=conversations[1])
    with pytest.raises(InvalidScopeError):
        services.record_consent(
            case=case,
            by=subject,
            purposes=[Purpose.INDEX],
            conversation_ids=[conversations[0].pk],
            excluded_thread_ids=[other_thread.pk],
        )
    with pytest.raises(InvalidScopeError):
        services.record_consent(
            case=case, by=subject, purposes=["persona"], conversation_ids=[conversations[0].pk]
        )
    assert not ConsentGrant.objects.exists()


def test_an_expired_grant_is_not_live_at_read_time(case, subject, conversations) -> None:  # noqa: ANN001
    expires = timezone.now() + datetime.timedelta(days=1)
    services.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.INDEX],
        conversation_ids=[conversations[0].pk],
        expires_at=expires,
    )
    assert live_grants(case=case, purpose=Purpose.INDEX).exists()
    later = expires + datetime.timedelta(seconds=1)
    assert not live_grants(case=case, purpose=Purpose.INDEX, now=later).exists()
    with pytest.raises(InvalidScopeError):
        services.record_consent(
            case=case,
            by=subject,
            purposes=[Purpose.INDEX],
            conversation_ids=[conversations[0].pk],
            expires_at=timezone.now() - datetime.timedelta(minutes=1),
        )


def test_a_new_terms_version_asks_again(case, subject, conversations, monkeypatch) -> None:  # noqa: ANN001
    services.record_consent(
        case=case, by=subject, purposes=[Purpose.INDEX], conversation_ids=[conversations[0].pk]
    )
    # The one place the terms in force are read from (handover.consent.purposes).
    monkeypatch.setattr("handover.consent.terms.CURRENT_VERSION", "2099-01-01")
    assert not live_grants(case=case, purpose=Purpose.INDEX).exists()
    from handover.consent.selectors import current_choices

    assert current_choices(case=case, user=subject).outdated_purposes == {"index"}


def test_narrowing_keeps_the_rest_and_links_the_successor_grant(
    case, subject, conversations
) -> None:  # noqa: ANN001
    ids = [c.pk for c in conversations]
    (grant,) = services.record_consent(
        case=case, by=subject, purposes=[Purpose.INDEX], conversation_ids=ids
    )
    job = services.withdraw_consent(case=case, by=subject, conversation_ids=[ids[0]])
    assert job is not None and job.scope["conversation_ids"] == [ids[0]]
    grant.refresh_from_db()
    assert grant.end_reason == ConsentGrant.EndReason.NARROWED
    successor = grant.superseded_by
    assert list(successor.conversations.all()) == [conversations[1]]
    assert successor.terms_sha256 == grant.terms_sha256


def test_withdrawing_everything_ends_the_case_and_destroys_its_key(
    case, subject, conversations
) -> None:  # noqa: ANN001
    services.record_consent(
        case=case, by=subject, purposes=list(Purpose.values), conversation_ids=[conversations[0].pk]
    )
    job = services.withdraw_everything(case=case, by=subject)
    case.refresh_from_db()
    assert case.state == HandoverCase.State.WITHDRAWN and case.pseudonym_key is None
    assert not live_grants(case=case).exists()
    assert job.scope["whole_case"] is True
