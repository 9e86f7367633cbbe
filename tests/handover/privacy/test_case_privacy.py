"""Privacy inside a case, on real exports: redaction review, naming consent, mail archives."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from handover.consent import services as consent_services
from handover.consent.read import consented_messages, iter_consented_messages
from handover.errors import CasePermissionError, ConsentByProxyError
from handover.models import Conversation, Message, Person, PreparedMessage, Purpose, Redaction
from handover.privacy import services

pytestmark = pytest.mark.django_db


def _share_all(case, subject, purposes=(Purpose.INDEX,)) -> list[int]:  # noqa: ANN001
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(
        case=case, by=subject, purposes=list(purposes), conversation_ids=ids
    )
    services.prepare_case_messages(case_id=case.pk)
    return ids


def test_a_mail_archive_goes_from_opening_to_consent(case, subject, mbox_import) -> None:  # noqa: ANN001
    _share_all(case, subject)
    case.refresh_from_db()
    assert case.state == "consenting"
    served = list(iter_consented_messages(purpose=Purpose.INDEX, case=case))
    assert served
    raw_emails = {p.email.lower() for p in Person.objects.filter(owner=subject) if p.email}
    assert raw_emails
    for message in served:
        blob = f"{message.author}\n{message.subject_line}\n{message.text}".lower()
        assert not any(email in blob for email in raw_emails), message.message_id


def test_the_subject_releases_a_false_positive_and_adds_a_missed_one(
    case,
    subject,
    slack_import,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    _share_all(case, subject)
    redaction = Redaction.objects.filter(case=case, kind="email").first()
    assert redaction is not None, "the Slack export holds e-mail addresses in its text"
    message = Message.objects.get(pk=redaction.message_id)
    value = message.text[redaction.start : redaction.end]
    prepared = PreparedMessage.objects.get(case=case, message=message)
    placeholders = prepared.text.count("[e-mail removed]")
    assert value not in prepared.text and placeholders >= 1
    with django_capture_on_commit_callbacks(execute=True):
        services.release_redaction(redaction=redaction, by=subject)
    prepared.refresh_from_db()
    assert prepared.text.count("[e-mail removed]") == placeholders - 1

    word_message = (
        Message.objects.filter(conversation__owner=subject, text__contains="data")
        .exclude(pk=message.pk)
        .first()
    )
    start = word_message.text.index("data")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_redaction(
            case=case, message=word_message, start=start, end=start + 4, by=subject
        )
    text = PreparedMessage.objects.get(case=case, message=word_message).text
    assert "[removed]" in text


@pytest.mark.parametrize("persona", ["manager", "hr", "successor", "operator"])
def test_only_the_subject_decides_on_redactions(
    request, case, subject, slack_import, persona
) -> None:  # noqa: ANN001
    _share_all(case, subject)
    redaction = Redaction.objects.filter(case=case).first()
    with pytest.raises(CasePermissionError):
        services.release_redaction(redaction=redaction, by=request.getfixturevalue(persona))
    redaction.refresh_from_db()
    assert redaction.status == Redaction.Status.DETECTED


def test_a_third_party_is_named_only_by_their_own_consent(case, subject, slack_import) -> None:  # noqa: ANN001
    _share_all(case, subject, purposes=(Purpose.INDEX, Purpose.QUOTE))
    author = (
        Person.objects.filter(owner=subject, messages__isnull=False)
        .exclude(display_name="")
        .first()
    )
    colleague = get_user_model().objects.create_user(
        username="colleague",
        email=f"colleague-{author.pk}@example.com",
        first_name="Real",
        last_name="Colleague",
    )
    Person.objects.filter(pk=author.pk).update(user=colleague)

    def theirs() -> list:
        return [
            m
            for m in iter_consented_messages(purpose=Purpose.INDEX, case=case)
            if m.message_id in set(author.messages.values_list("pk", flat=True))
        ]

    before = theirs()
    assert before and all(m.author.startswith("Colleague ") for m in before)
    assert not any(m.may_quote for m in before)
    with pytest.raises(ConsentByProxyError):
        consent_services.grant_naming_consent(case=case, by=subject)
    consent_services.grant_naming_consent(case=case, by=colleague)
    named = theirs()
    assert {m.author for m in named} == {"Real Colleague"} and all(m.may_quote for m in named)
    consent_services.withdraw_naming_consent(case=case, by=colleague)
    assert all(m.author.startswith("Colleague ") for m in theirs())
    assert consented_messages(purpose=Purpose.INDEX, case=case).count() >= len(named)


def test_the_naming_page_lists_only_handovers_one_appears_in(
    case,
    subject,
    teammate,
    slack_import,
    client_for,  # noqa: ANN001
) -> None:
    _share_all(case, subject)
    person = Person.objects.filter(owner=subject).exclude(email="").first()
    colleague = get_user_model().objects.create_user(username="colleague", email=person.email)
    page = client_for(colleague).get("/handover/naming/").content.decode()
    assert f'value="{case.pk}"' in page
    assert (
        f'value="{case.pk}"' not in client_for(teammate).get("/handover/naming/").content.decode()
    )
    assert (
        client_for(teammate).post("/handover/naming/", {"case": case.pk, "agree": "1"}).status_code
        == 404
    )
    assert (
        client_for(colleague).post("/handover/naming/", {"case": case.pk, "agree": "1"}).status_code
        == 302
    )
    assert colleague.naming_consents.filter(withdrawn_at__isnull=True).count() == 1
    assert client_for(None).get("/handover/naming/").status_code == 302


def _snapshot(case, message_ids) -> tuple[list, list]:  # noqa: ANN001
    redactions = sorted(
        Redaction.objects.filter(case=case, message_id__in=message_ids).values_list(
            "message_id", "field", "start", "end", "kind", "masked", "status"
        )
    )
    prepared = sorted(
        PreparedMessage.objects.filter(case=case, message_id__in=message_ids).values_list(
            "message_id", "text", "subject_line", "author_label", "out_of_scope_topic"
        )
    )
    return redactions, prepared


def test_a_batch_is_prepared_as_each_of_its_messages_alone(
    case,
    subject,
    slack_import,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    _share_all(case, subject)
    redacted = sorted(set(Redaction.objects.filter(case=case).values_list("message_id", flat=True)))
    assert len(redacted) >= 2, "the Slack export holds messages with something to redact"
    others = PreparedMessage.objects.filter(case=case).exclude(message_id__in=redacted)
    ids = redacted + list(others.order_by("message_id")[:40].values_list("message_id", flat=True))
    batched = _snapshot(case, ids)
    Redaction.objects.filter(case=case, message_id__in=ids).delete()
    PreparedMessage.objects.filter(case=case, message_id__in=ids).delete()
    for message_id in ids:
        services.prepare_case_messages(case_id=case.pk, message_ids=[message_id])
    assert _snapshot(case, ids) == batched

    # The subject's decisions survive preparing the whole batch again; nothing is doubled.
    released = Redaction.objects.filter(case=case, message_id=ids[0]).first()
    with django_capture_on_commit_callbacks(execute=True):
        services.release_redaction(redaction=released, by=subject)
    other = Message.objects.get(pk=ids[1])
    with django_capture_on_commit_callbacks(execute=True):
        services.add_redaction(case=case, message=other, start=0, end=1, by=subject)
    decided = _snapshot(case, ids)
    assert services.prepare_case_messages(case_id=case.pk, message_ids=ids) == len(ids)
    assert _snapshot(case, ids) == decided
    released.refresh_from_db()
    assert released.status == Redaction.Status.RELEASED


def test_preparing_a_batch_takes_the_same_queries_whatever_its_size(
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    _share_all(case, subject)
    ids = list(
        PreparedMessage.objects.filter(case=case)
        .order_by("message_id")[:200]
        .values_list("message_id", flat=True)
    )
    assert len(ids) == 200

    def queries(message_ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as captured:
            services.prepare_case_messages(case_id=case.pk, message_ids=message_ids)
        return len(captured)

    assert queries(ids[:10]) == queries(ids)
