"""Reads of imported data: owner-only visibility inside the search query, CJK and phrases."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord
from handover.imports import batches, pipeline, selectors, services
from handover.models import Conversation, Message, Source, Thread

pytestmark = pytest.mark.django_db


def _import(owner, path: Path) -> Source:  # noqa: ANN001
    source = services.create_source(owner=owner, path=path)
    services.start_import(source=source, by=owner, schedule=False)
    finished = pipeline.run_import(source_id=source.pk)
    assert finished is not None and finished.status == Source.Status.SUCCEEDED
    return finished


@pytest.fixture
def two_owners(shared_data: Path, subject, teammate, team) -> tuple[Source, Source]:  # noqa: ANN001
    """The same real export imported by two people: two separate archives."""
    path = shared_data / "slack" / "houstondatavis"
    return _import(subject, path), _import(teammate, path)


def test_search_finds_only_the_users_own_messages(two_owners, subject, teammate) -> None:  # noqa: ANN001
    mine = selectors.search_messages(user=subject, query="meetup")
    theirs = selectors.search_messages(user=teammate, query="meetup")
    assert mine and theirs
    assert {hit.message.conversation.owner_id for hit in mine} == {subject.pk}
    assert {hit.message.conversation.owner_id for hit in theirs} == {teammate.pk}
    assert all("<mark>" in hit.snippet for hit in mine)


@pytest.mark.parametrize("persona", ["manager", "successor", "operator", "outsider"])
def test_nobody_else_finds_imported_messages(two_owners, persona: str, request) -> None:  # noqa: ANN001
    user = request.getfixturevalue(persona)
    assert selectors.search_messages(user=user, query="meetup") == []
    assert not selectors.list_sources_for_user(user=user).exists()
    assert not selectors.list_conversations_for_user(user=user).exists()
    source = two_owners[0]
    with pytest.raises(Http404):
        selectors.get_source_for_user(source_id=source.pk, user=user)
    conversation = Conversation.objects.filter(owner=source.owner).first()
    with pytest.raises(Http404):
        selectors.get_conversation_for_user(conversation_id=conversation.pk, user=user)
    thread = Thread.objects.filter(conversation=conversation).first()
    with pytest.raises(Http404):
        selectors.get_thread_for_user(thread_id=thread.pk, user=user)


def test_anonymous_users_see_nothing(two_owners) -> None:  # noqa: ANN001
    anonymous = AnonymousUser()
    assert selectors.search_messages(user=anonymous, query="meetup") == []
    assert not selectors.list_sources_for_user(user=anonymous).exists()


def test_phrases_and_exclusions_follow_web_search_syntax(two_owners, subject) -> None:  # noqa: ANN001
    hits = selectors.search_messages(user=subject, query='"data viz"')
    assert hits
    for hit in hits:
        assert "data viz" in hit.message.text.lower()
    meetup = {
        h.message.pk for h in selectors.search_messages(user=subject, query="meetup", limit=2000)
    }
    houston = {
        h.message.pk for h in selectors.search_messages(user=subject, query="houston", limit=2000)
    }
    without = {
        h.message.pk
        for h in selectors.search_messages(user=subject, query="meetup -houston", limit=2000)
    }
    assert meetup & houston, "the data has messages with both words"
    assert without == meetup - houston


def test_an_empty_query_finds_nothing(two_owners, subject) -> None:  # noqa: ANN001
    assert selectors.search_messages(user=subject, query="   ") == []


def test_cjk_text_is_found_by_any_part_of_a_word(subject) -> None:  # noqa: ANN001
    """Chinese has no spaces: the bigram terms let a two-character query find a longer run."""
    source = Source.objects.create(owner=subject, format="telegram", original_name="chat.json")
    # Stored through the same batch writer an import uses, without a file on disk.
    writer = batches.BatchWriter(source=source, token="", batch_size=10, on_progress=None)
    source.run_token = "t"
    source.save(update_fields=["run_token"])
    writer.token = "t"
    sent = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    records = [
        PersonRecord(key="u1", display_name="李雷"),
        ConversationRecord(key="c1", name="项目群", kind=ConversationRecord.Kind.GROUP),
        MessageRecord(
            key="1",
            conversation_key="c1",
            thread_key="1",
            author_key="u1",
            sent_at=sent,
            text="我们明天讨论数据库迁移方案",
        ),
        MessageRecord(
            key="2",
            conversation_key="c1",
            thread_key="1",
            author_key="u1",
            sent_at=sent,
            text="Deploy 完成了",
            reply_to_key="1",
        ),
    ]
    for position, record in enumerate(records, start=1):
        writer.add(record, position)
    writer.flush()
    assert Message.objects.count() == 2
    hits = selectors.search_messages(user=subject, query="迁移")
    assert [hit.message.external_id for hit in hits] == ["1"]
    assert "<mark>迁移</mark>" in hits[0].snippet
    assert [
        h.message.external_id for h in selectors.search_messages(user=subject, query="数据库")
    ] == ["1"]
    assert [
        h.message.external_id for h in selectors.search_messages(user=subject, query="deploy 完成")
    ] == ["2"]
    assert selectors.search_messages(user=subject, query="迁库") == []


def test_snippets_escape_the_message_text(subject) -> None:  # noqa: ANN001
    source = Source.objects.create(owner=subject, format="slack", original_name="x", run_token="t")
    writer = batches.BatchWriter(source=source, token="t", batch_size=10, on_progress=None)
    writer.add(ConversationRecord(key="c", name="c"), 1)
    writer.add(
        MessageRecord(
            key="1",
            conversation_key="c",
            thread_key="1",
            author_key=None,
            sent_at=datetime(2024, 1, 1, tzinfo=UTC),
            text="<b>rollout</b> when latency < 5 ms & errors > 0 <script>alert('x')</script>",
        ),
        2,
    )
    writer.flush()
    hits = selectors.search_messages(user=subject, query="rollout")
    assert len(hits) == 1
    snippet = str(hits[0].snippet)
    assert "<mark>rollout</mark>" in snippet
    rest = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in rest and ">" not in rest
    assert "&lt;" in rest and "&amp;" in rest
