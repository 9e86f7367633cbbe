"""Drafting fixtures: the real Slack export shared for publishing, and a small draft of it.

The draft's rows are written directly (the drafting runner is tested on its own): two
topic sections of a succeeded run, each sentence citing consented messages of a thread.
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db.models import Count
from django.utils import timezone

from handover.consent import services as consent_services
from handover.consent.read import consented_messages
from handover.models import (
    Conversation,
    DraftCitation,
    DraftRun,
    DraftSection,
    DraftSentence,
    DraftTopic,
    HandoverCase,
    Message,
    Purpose,
)
from handover.privacy import services as privacy_services


@dataclass
class DraftFixture:
    case: HandoverCase
    run: DraftRun
    first: DraftSection
    second: DraftSection
    # The thread the first section cites (alone); the second cites two others.
    first_thread_id: int
    second_thread_id: int
    cited_message_id: int


def consent_to(case, subject, purposes) -> None:  # noqa: ANN001
    """The subject shares every conversation for ``purposes``; the messages are prepared."""
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True))
    consent_services.record_consent(
        case=case, by=subject, purposes=list(purposes), conversation_ids=ids
    )
    privacy_services.prepare_case_messages(case_id=case.pk)


def _threads_with_messages(case, count: int) -> list[list[int]]:  # noqa: ANN001
    """Message ids of the ``count`` largest consented threads (most have one message)."""
    by_thread: dict[int, list[int]] = {}
    rows = consented_messages(purpose=Purpose.PUBLISH, case=case).values_list(
        "message__thread_id", "message_id"
    )
    for thread_id, message_id in rows:
        by_thread.setdefault(thread_id, []).append(message_id)
    chosen = sorted(by_thread.values(), key=len, reverse=True)[:count]
    assert len(chosen) == count
    return chosen


def build_draft(case, subject) -> DraftFixture:  # noqa: ANN001
    consent_to(case, subject, [Purpose.PUBLISH])
    first_ids, second_ids, third_ids = _threads_with_messages(case, 3)
    now = timezone.now()
    run = DraftRun.objects.create(
        case=case,
        requested_by=subject,
        status=DraftRun.Status.SUCCEEDED,
        phase=DraftRun.Phase.DONE,
        finished_at=now,
    )
    sections = []
    for position, (title, (ids, other_ids)) in enumerate(
        [
            ("Dashboards and data", (first_ids, first_ids)),
            ("Meetup planning", (second_ids, third_ids)),
        ]
    ):
        topic = DraftTopic.objects.create(run=run, title=title, position=position)
        section = DraftSection.objects.create(
            case=case, run=run, topic=topic, title=title, position=position
        )
        rows = [
            (DraftSentence.Part.SUMMARY, f"{title}: the summary sentence.", {}, ids[:2]),
            (
                DraftSentence.Part.DECISION,
                f"{title}: they chose the hosted tool.",
                {
                    "reason": "it was cheaper",
                    "alternatives": ["self-hosting"],
                    "decided_at": "2016-03-01",
                },
                ids[-1:],
            ),
            (
                DraftSentence.Part.OPEN_ITEM,
                f"{title}: the export is unfinished.",
                {"waiting": "Colleague A"},
                other_ids[:1],
            ),
        ]
        for index, (part, text, details, cited) in enumerate(rows):
            sentence = DraftSentence.objects.create(
                section=section,
                part=part,
                position=index,
                text=text,
                original_text=text,
                details=details,
            )
            DraftCitation.objects.bulk_create(
                DraftCitation(sentence=sentence, message_id=message_id, position=n)
                for n, message_id in enumerate(cited)
            )
        sections.append(section)

    first_thread = Message.objects.get(pk=first_ids[0]).thread_id
    second_thread = Message.objects.get(pk=second_ids[0]).thread_id
    return DraftFixture(
        case=case,
        run=run,
        first=sections[0],
        second=sections[1],
        first_thread_id=first_thread,
        second_thread_id=second_thread,
        cited_message_id=first_ids[0],
    )


@pytest.fixture
def draft(case, subject, slack_import) -> DraftFixture:  # noqa: ANN001
    """A succeeded run's two topic sections over the consented Slack export."""
    return build_draft(case, subject)


def share_for_publishing(case, subject, conversation_ids) -> None:  # noqa: ANN001
    consent_services.record_consent(
        case=case, by=subject, purposes=[Purpose.PUBLISH], conversation_ids=list(conversation_ids)
    )
    privacy_services.prepare_case_messages(case_id=case.pk)


def conversations_by_size(subject) -> list[int]:  # noqa: ANN001
    """The subject's conversations, smallest first (tests share a few to stay quick)."""
    rows = (
        Conversation.objects.filter(owner=subject)
        .annotate(size=Count("messages"))
        .filter(size__gt=0)
        .order_by("size", "pk")
    )
    return list(rows.values_list("pk", flat=True))


@pytest.fixture
def shared_case(case, subject, slack_import):  # noqa: ANN001, ANN201
    """The case with every conversation but the largest shared for publishing."""
    ids = conversations_by_size(subject)
    share_for_publishing(case, subject, ids[:-1])
    case.refresh_from_db()
    case.unshared_conversation_id = ids[-1]
    return case


@pytest.fixture
def small_case(case, subject, slack_import):  # noqa: ANN001, ANN201
    """The case with its eight smallest conversations shared for publishing (quick runs)."""
    share_for_publishing(case, subject, conversations_by_size(subject)[:8])
    case.refresh_from_db()
    return case


class Endpoint:
    """A stand-in for an operator's OpenAI-compatible server: records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answer = ""
        self.status = 200
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                endpoint.requests.append(
                    {"path": self.path, "body": json.loads(self.rfile.read(length))}
                )
                payload = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": endpoint.answer}}]}
                ).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.server.shutdown()
