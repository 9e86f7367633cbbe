"""Indexing a case: each purpose boundary, third parties, the space's readers, expiry."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from handover.consent.read import consented_messages, live_grants
from handover.indexing.selectors import consent_key_for, indexed_thread_ids, thread_source_key
from handover.indexing.services import index_case_threads
from handover.models import Conversation, Message, Purpose
from qa.models import Chunk
from tests.handover.consent.test_read_path import _third_party_identifiers
from tests.handover.drafting.conftest import conversations_by_size
from tests.handover.indexing.conftest import a_question, case_chunks, found_of_case, share

pytestmark = pytest.mark.django_db


def test_a_case_shared_only_for_publishing_indexes_nothing(spaced_case, subject) -> None:  # noqa: ANN001
    share(spaced_case, subject, purposes=[Purpose.PUBLISH])
    assert consented_messages(purpose=Purpose.PUBLISH, case=spaced_case).exists()
    assert index_case_threads(case_id=spaced_case.pk) == []
    assert not case_chunks(spaced_case).exists()


def test_a_case_without_a_space_indexes_nothing(case, subject, slack_import) -> None:  # noqa: ANN001
    # Nobody would be allowed to find the passages: the space's readers are who may.
    share(case, subject)
    assert case.space_id is None
    assert consented_messages(purpose=Purpose.INDEX, case=case).exists()
    assert index_case_threads(case_id=case.pk) == []
    assert not case_chunks(case).exists()


def test_index_consent_indexes_each_served_thread_for_the_space_readers(
    spaced_case,
    subject,
    successor,
    teammate,
    outsider,  # noqa: ANN001
) -> None:
    share(spaced_case, subject, expires_at=timezone.now() + timedelta(days=30))
    changed = index_case_threads(case_id=spaced_case.pk)
    chunks = case_chunks(spaced_case)
    assert changed and set(changed) == set(chunks.values_list("pk", flat=True))
    served = {
        thread_source_key(case_id=spaced_case.pk, thread_id=thread_id)
        for thread_id in indexed_thread_ids(case=spaced_case)
    }
    assert set(chunks.values_list("source_key", flat=True)) == served
    grant = live_grants(case=spaced_case, purpose=Purpose.INDEX).get()
    chunk = chunks.order_by("pk").first()
    assert chunk.kind == Chunk.Kind.THREAD and chunk.purpose == Chunk.QA_PURPOSE
    assert chunk.space_id == spaced_case.space_id and chunk.expires_at == grant.expires_at
    assert chunk.owner_label == "the departing colleague"  # no consent to be named
    # A question that comes near but is not answered goes to the successors.
    assert chunk.contact_ids == list(spaced_case.successors.values_list("pk", flat=True))
    thread_id = int(chunk.source_key.rsplit(":", 1)[1])
    first = consented_messages(purpose=Purpose.INDEX, case=spaced_case, thread_ids=[thread_id])[0]
    assert chunk.url == reverse(
        "handover:draft-source", kwargs={"case_id": spaced_case.pk, "message_id": first.message_id}
    )
    assert chunk.title.startswith(first.conversation_label)
    question = a_question(spaced_case)
    assert found_of_case(spaced_case, successor, question)
    assert found_of_case(spaced_case, teammate, question)
    assert not found_of_case(spaced_case, outsider, question)
    # Idempotent: nothing changed, nothing to embed again.
    assert index_case_threads(case_id=spaced_case.pk) == []


def test_an_unconsented_conversation_and_an_excluded_thread_contribute_nothing(
    spaced_case,
    subject,  # noqa: ANN001
) -> None:
    ids = conversations_by_size(subject)
    shared, unshared = ids[:-1], ids[-1]
    excluded = Message.objects.filter(conversation_id=shared[-1]).values_list(
        "thread_id", flat=True
    )[0]
    share(spaced_case, subject, conversation_ids=shared, excluded_thread_ids=[excluded])
    index_case_threads(case_id=spaced_case.pk)
    keys = set(case_chunks(spaced_case).values_list("source_key", flat=True))
    assert keys
    unshared_threads = set(
        Message.objects.filter(conversation_id=unshared).values_list("thread_id", flat=True)
    )
    assert unshared_threads
    for thread_id in unshared_threads | {excluded}:
        assert thread_source_key(case_id=spaced_case.pk, thread_id=thread_id) not in keys


def test_third_party_names_and_addresses_never_reach_the_index(
    spaced_case,
    subject,
    shared_data: Path,  # noqa: ANN001
) -> None:
    share(spaced_case, subject, purposes=[Purpose.INDEX, Purpose.QUOTE])
    index_case_threads(case_id=spaced_case.pk)
    names, emails = _third_party_identifiers(shared_data)
    name_pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    raw = "\n".join(
        Message.objects.filter(conversation__owner=subject).values_list("text", flat=True)
    )
    assert name_pattern.search(raw)  # the check has teeth: the export names people
    chunks = list(
        case_chunks(spaced_case).values_list("title", "text", "embed_text", "owner_label")
    )
    assert chunks
    for fields in chunks:
        blob = "\n".join(fields)
        assert not name_pattern.search(blob), blob[:300]
        assert not any(email in blob.lower() for email in emails)
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", blob), blob[:300]


def test_the_subject_is_named_only_while_they_consent_to_attribution(
    spaced_case,
    subject,  # noqa: ANN001
) -> None:
    subject.first_name, subject.last_name = "Ada", "Lovelace"
    subject.save()
    ids = share(spaced_case, subject, conversation_ids=conversations_by_size(subject)[:4])
    index_case_threads(case_id=spaced_case.pk)
    assert set(case_chunks(spaced_case).values_list("owner_label", flat=True)) == {
        "the departing colleague"
    }
    share(spaced_case, subject, purposes=[Purpose.INDEX, Purpose.ATTRIBUTE], conversation_ids=ids)
    index_case_threads(case_id=spaced_case.pk)
    assert set(case_chunks(spaced_case).values_list("owner_label", flat=True)) == {"Ada Lovelace"}


# Committed transactions: PostgreSQL's now(), which the access filter reads, is the time the
# transaction began, so the clock must move between the indexing and the question.
@pytest.mark.django_db(transaction=True)
def test_an_expired_grant_makes_the_passages_unsearchable_without_a_reindex(
    spaced_case,
    subject,
    successor,  # noqa: ANN001
) -> None:
    expires_at = timezone.now() + timedelta(seconds=6)
    share(
        spaced_case,
        subject,
        conversation_ids=conversations_by_size(subject)[:3],
        expires_at=expires_at,
    )
    index_case_threads(case_id=spaced_case.pk)
    question = a_question(spaced_case)
    assert found_of_case(spaced_case, successor, question)
    time.sleep(max(0.0, (expires_at - timezone.now()).total_seconds()) + 0.2)
    # No job ran: the chunks are still there, and the expiry is checked at query time.
    assert case_chunks(spaced_case).filter(searchable=True).exists()
    assert not found_of_case(spaced_case, successor, question)


def test_the_index_follows_the_consent_keys_and_the_conversations(spaced_case, subject) -> None:  # noqa: ANN001
    ids = share(spaced_case, subject, conversation_ids=conversations_by_size(subject)[:4])
    index_case_threads(case_id=spaced_case.pk)
    conversations = set(
        Message.objects.filter(
            thread_id__in=[
                int(key.rsplit(":", 1)[1])
                for key in case_chunks(spaced_case).values_list("source_key", flat=True)
            ]
        ).values_list("conversation_id", flat=True)
    )
    assert conversations <= set(ids)
    assert Conversation.objects.filter(pk__in=conversations, owner=subject).count() == len(
        conversations
    )
    assert set(case_chunks(spaced_case).values_list("consent_key", flat=True)) == {
        consent_key_for(spaced_case.pk)
    }
