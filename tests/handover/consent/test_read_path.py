"""The one read path over a real Slack export: consent, preparation, third parties, withdrawal."""

import json
import re
from pathlib import Path

import pytest

from handover.consent import services
from handover.consent.read import consented_messages, iter_consented_messages
from handover.models import Conversation, Message, PreparedMessage, Purpose
from handover.privacy import services as privacy_services

pytestmark = pytest.mark.django_db

SLACK = "slack/houstondatavis"


def _third_party_identifiers(shared_data: Path) -> tuple[set[str], set[str]]:
    """Full names and handles, and e-mail addresses, of everyone in the export."""
    users = json.loads((shared_data / SLACK / "users.json").read_text())
    names: set[str] = set()
    emails: set[str] = set()
    for user in users:
        profile = user.get("profile", {})
        for value in (user.get("real_name"), profile.get("real_name"), profile.get("display_name")):
            if value and " " in value.strip():
                names.add(value.strip())
        handle = user.get("name", "")
        if "." in handle or "_" in handle:
            names.add(handle)
        if profile.get("email"):
            emails.add(profile["email"].lower())
    return names, emails


def _share_everything(case, subject, purposes=(Purpose.INDEX,)) -> list[int]:  # noqa: ANN001
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    services.record_consent(case=case, by=subject, purposes=list(purposes), conversation_ids=ids)
    privacy_services.prepare_case_messages(case_id=case.pk)
    return ids


def test_nothing_is_served_without_a_live_grant(case, subject, slack_import) -> None:  # noqa: ANN001
    privacy_services.prepare_case_messages(case_id=case.pk)
    assert not PreparedMessage.objects.exists()
    assert not consented_messages(purpose=Purpose.INDEX, case=case).exists()


def test_it_serves_prepared_messages_of_the_granted_purpose_only(
    case, subject, slack_import
) -> None:  # noqa: ANN001
    _share_everything(case, subject)
    total = Message.objects.filter(conversation__owner=subject).count()
    prepared = PreparedMessage.objects.filter(case=case)
    assert prepared.count() == total
    served = consented_messages(purpose=Purpose.INDEX, case=case)
    left_out = prepared.exclude(out_of_scope_topic="").count()
    assert served.count() == total - left_out > 0
    assert not consented_messages(purpose=Purpose.PUBLISH, case=case).exists()


def test_third_parties_never_appear_in_what_the_read_path_returns(
    case,
    subject,
    slack_import,
    shared_data: Path,  # noqa: ANN001
) -> None:
    _share_everything(case, subject, purposes=(Purpose.INDEX, Purpose.QUOTE))
    names, emails = _third_party_identifiers(shared_data)
    assert names and emails
    name_pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    raw_hits = sum(
        1
        for text in Message.objects.filter(conversation__owner=subject).values_list(
            "text", flat=True
        )
        if name_pattern.search(text or "") or any(e in (text or "").lower() for e in emails)
    )
    served = list(iter_consented_messages(purpose=Purpose.INDEX, case=case))
    assert served
    for message in served:
        blob = "\n".join((message.text, message.author, message.conversation, message.subject_line))
        assert not name_pattern.search(blob), (message.message_id, blob[:300])
        assert not any(email in blob.lower() for email in emails), message.message_id
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", blob), message.message_id
        assert message.author == "" or message.author.startswith("Colleague ")
        assert message.may_quote is False  # no third party consented to be quoted
    # The check above has teeth: the raw export does name people in its text.
    assert raw_hits > 0


def test_the_subject_is_named_only_while_they_consent_to_attribution(
    case, subject, slack_import
) -> None:  # noqa: ANN001
    from handover.cases.services import set_subject_people

    subject.first_name, subject.last_name = "Ada", "Lovelace"
    subject.save()
    author = (
        Message.objects.filter(conversation__owner=subject, author__isnull=False)
        .values_list("author_id", flat=True)
        .first()
    )
    set_subject_people(case=case, by=subject, person_ids=[author])
    ids = _share_everything(case, subject)
    own = [
        m for m in iter_consented_messages(purpose=Purpose.INDEX, case=case) if m.author_is_subject
    ]
    assert own and {m.author for m in own} == {"the departing colleague"}
    services.record_consent(
        case=case, by=subject, purposes=[Purpose.INDEX, Purpose.ATTRIBUTE], conversation_ids=ids
    )
    privacy_services.prepare_case_messages(case_id=case.pk)
    own = [
        m for m in iter_consented_messages(purpose=Purpose.INDEX, case=case) if m.author_is_subject
    ]
    assert {m.author for m in own} == {"Ada Lovelace"}


def test_a_withdrawal_stops_serving_in_the_same_transaction(case, subject, slack_import) -> None:  # noqa: ANN001
    ids = _share_everything(case, subject)
    first = ids[0]
    assert (
        consented_messages(purpose=Purpose.INDEX, case=case)
        .filter(message__conversation_id=first)
        .exists()
    )
    services.withdraw_consent(case=case, by=subject, conversation_ids=[first])
    # No purge has run: the read path alone stops serving it.
    assert PreparedMessage.objects.filter(case=case, message__conversation_id=first).exists()
    assert (
        not consented_messages(purpose=Purpose.INDEX, case=case)
        .filter(message__conversation_id=first)
        .exists()
    )
    assert consented_messages(purpose=Purpose.INDEX, case=case).exists()
    services.withdraw_everything(case=case, by=subject)
    assert not consented_messages(purpose=Purpose.INDEX, case=case).exists()


def test_unticked_threads_and_private_topics_are_not_served(case, subject, slack_import) -> None:  # noqa: ANN001
    ids = _share_everything(case, subject)
    message = consented_messages(purpose=Purpose.INDEX, case=case).first()
    services.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.INDEX],
        conversation_ids=ids,
        excluded_thread_ids=[message.message.thread_id],
    )
    assert (
        not consented_messages(purpose=Purpose.INDEX, case=case)
        .filter(message__thread_id=message.message.thread_id)
        .exists()
    )
    prepared = consented_messages(purpose=Purpose.INDEX, case=case).first()
    PreparedMessage.objects.filter(pk=prepared.pk).update(out_of_scope_topic="health")
    assert not consented_messages(purpose=Purpose.INDEX, case=case).filter(pk=prepared.pk).exists()
    prepared.refresh_from_db()
    privacy_services.include_out_of_scope_message(prepared=prepared, by=subject)
    assert consented_messages(purpose=Purpose.INDEX, case=case).filter(pk=prepared.pk).exists()


def test_a_message_a_later_import_changed_is_served_only_once_prepared_again(
    case,
    subject,
    slack_import,  # noqa: ANN001
) -> None:
    _share_everything(case, subject)
    prepared = consented_messages(purpose=Purpose.INDEX, case=case).first()
    message = prepared.message
    # What the importer does when a later export edits a message.
    Message.objects.filter(pk=message.pk).update(
        text="Edited: the deploy key moved to the vault", revision=message.revision + 1
    )
    assert not consented_messages(purpose=Purpose.INDEX, case=case).filter(pk=prepared.pk).exists()
    assert privacy_services.prepare_case_messages(case_id=case.pk) == 1
    again = consented_messages(purpose=Purpose.INDEX, case=case).get(message_id=message.pk)
    assert again.text.startswith("Edited: the deploy key")


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_messages_a_later_import_adds_to_a_shared_channel_are_prepared_by_the_worker(
    case,
    subject,
    shared_data,
    tmp_path,
    celery_worker,  # noqa: ANN001
) -> None:
    import shutil

    from tests.conftest import wait_for
    from tests.handover.conftest import import_export

    full = shared_data / SLACK
    early = tmp_path / "early"
    shutil.copytree(full, early)
    days = sorted((early / "general").glob("*.json"))
    for day in days[len(days) // 2 :]:
        day.unlink()
    import_export(subject, early)
    _share_everything(case, subject)
    before = PreparedMessage.objects.filter(case=case).count()
    import_export(subject, full)  # the same channel, later days: the worker prepares them
    total = Message.objects.filter(conversation__owner=subject).count()
    assert total > before
    wait_for(lambda: PreparedMessage.objects.filter(case=case).count() == total, timeout=120)
    assert consented_messages(purpose=Purpose.INDEX, case=case).count() > 0
