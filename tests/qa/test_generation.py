"""Generated answers: only quotable page and entry passages are sent, and a reply is shown
only when every sentence cites them; otherwise the extractive answer stands."""

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from qa import generation
from qa.answers import answer_question
from qa.indexing import (
    ThreadSource,
    embed_pending_chunks,
    ensure_active_index,
    replace_thread_sources,
)
from qa.models import Chunk, Question

pytestmark = pytest.mark.django_db

QUESTION = "How do I restart the payment service?"
GENERATED = "Run the restart target on the ops host, then look at the queue."


class FakeModel:
    """A stand-in for an operator's OpenAI-compatible server: records what reaches it."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.connections = 0
        self.reply = ""
        self.raw: bytes | None = None
        self.status = 200
        self.delay = 0.0
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                model.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                time.sleep(model.delay)
                payload = model.raw
                if payload is None:
                    message = {"role": "assistant", "content": model.reply}
                    payload = json.dumps({"choices": [{"message": message}]}).encode()
                try:
                    self.send_response(model.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address) -> bool:  # noqa: ANN001
                model.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def sent(self) -> str:
        """Everything the model was sent, as one text."""
        return json.dumps([request["body"] for request in self.requests], ensure_ascii=False)


@pytest.fixture
def model(settings) -> Iterator[FakeModel]:  # noqa: ANN001
    server = FakeModel()
    settings.QA_GENERATION_URL = server.url
    settings.QA_GENERATION_MODEL = "test-model"
    settings.QA_GENERATION_API_KEY = ""
    settings.QA_GENERATION_TIMEOUT = 5
    yield server
    server.server.shutdown()
    server.server.server_close()


def _api(user) -> APIClient:  # noqa: ANN001
    client = APIClient()
    token, _new = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _extractive(user, settings) -> str:  # noqa: ANN001
    """The answer to QUESTION with no endpoint configured (what a dropped reply leaves)."""
    url, settings.QA_GENERATION_URL = settings.QA_GENERATION_URL, ""
    try:
        return answer_question(user=user, question=QUESTION).answer
    finally:
        settings.QA_GENERATION_URL = url


def _threads(space, teammate) -> None:  # noqa: ANN001
    """Two threads about the question: one shared to be quoted, one cited only."""
    base = {
        "space_id": space.pk,
        "url": "/handover/cases/9/sources/1/",
        "owner_label": "the departing colleague",
        "consent_key": "case:9",
        "purpose": Chunk.QA_PURPOSE,
        "expires_at": None,
        "contact_ids": (teammate.pk,),
    }
    replace_thread_sources(
        consent_key="case:9",
        sources=[
            ThreadSource(
                source_key="case:9:thread:1",
                title="Restarting payments",
                text="Colleague A: To restart the payment service, drain QUOTABLETHREAD first.",
                may_quote=True,
                **base,
            ),
            ThreadSource(
                source_key="case:9:thread:2",
                title="Payment restarts",
                text="Colleague B: Restart the payment service only after SECRETTHREAD agrees.",
                may_quote=False,
                **base,
            ),
        ],
    )
    ensure_active_index()
    embed_pending_chunks()


def _sent_passages(request: dict) -> dict[int, str]:
    """The numbered passages of one request, by number."""
    content = request["body"]["messages"][1]["content"]
    return {
        int(number): text.strip()
        for number, text in re.findall(
            r"^\[(\d+)\] (.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", content, re.S | re.M
        )
    }


def test_a_cited_generated_answer_is_shown_with_its_citations(
    runbook, successor, model, settings
) -> None:  # noqa: ANN001
    settings.QA_GENERATION_API_KEY = "sk-test"
    model.reply = f"{GENERATED} [1]\nThe platform team looks after it. [1][2]"
    answer = answer_question(user=successor, question=QUESTION)
    assert answer.generated and not answer.abstained
    assert [s.text for s in answer.generated_sentences] == [
        GENERATED,
        "The platform team looks after it.",
    ]
    assert answer.answer.startswith(GENERATED + " [")
    # The citations point at the passages that were sent as those numbers.
    [request] = model.requests
    sent = _sent_passages(request)
    assert set(sent) == {1, 2}
    for sentence, numbers in zip(answer.generated_sentences, [[1], [1, 2]], strict=True):
        assert [answer.passages[i].text for i in sentence.passage_indexes] == [
            sent[n] for n in numbers
        ]
    # What was sent: the configured model at temperature 0, the rule, the question, the key.
    body = request["body"]
    assert (
        request["path"] == "/v1/chat/completions" and request["authorization"] == "Bearer sk-test"
    )
    assert body["model"] == "test-model" and body["temperature"] == 0
    assert "[1][2]" in body["messages"][0]["content"] and QUESTION in body["messages"][1]["content"]
    stored = Question.objects.get(pk=answer.question_id).answer
    assert stored["generated"] and stored["generated_sentences"][0]["text"] == GENERATED


def test_the_api_and_the_web_chat_show_a_generated_answer(
    runbook, successor, model, client_for
) -> None:  # noqa: ANN001
    model.reply = f"{GENERATED} [1]"
    body = _api(successor).post("/api/ask", {"question": QUESTION}, format="json").json()
    assert body["generated"] is True
    [sentence] = body["generated_sentences"]
    assert sentence["text"] == GENERATED and sentence["passage_indexes"] == [0]
    assert body["answer"] == f"{GENERATED} [1]"

    response = client_for(successor).post("/ask/", {"question": QUESTION}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    question = Question.objects.filter(surface="web").get()
    assert GENERATED in html and "Generated by the configured model" in html
    assert f'href="#passage-{question.pk}-1"' in html and f'id="passage-{question.pk}-1"' in html
    # The passages stay below it, their answering sentences highlighted.
    assert "<mark>" in html and "Payment service runbook" in html


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(f"{GENERATED} [1] It is always safe to restart it.", id="uncited-last"),
        pytest.param(f"{GENERATED} It is always safe to restart it. [1]", id="uncited-first"),
        pytest.param(f"{GENERATED} [1] It is always safe to restart it. [7]", id="unknown-7"),
        pytest.param(f"{GENERATED} [0]", id="unknown-0"),
        pytest.param("NO ANSWER", id="cannot-answer"),
        pytest.param("", id="empty"),
    ],
)
def test_a_reply_that_does_not_cite_every_sentence_is_not_shown(
    runbook,
    successor,
    model,
    settings,
    client_for,
    reply,  # noqa: ANN001
) -> None:
    extractive = _extractive(successor, settings)
    model.reply = reply
    answer = answer_question(user=successor, question=QUESTION)
    assert len(model.requests) == 1
    assert not answer.generated and answer.generated_sentences == []
    assert answer.answer == extractive and "make restart-payments" in answer.answer
    html = client_for(successor).post("/ask/", {"question": QUESTION}).content.decode()
    assert "Generated by the configured model" not in html


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("failure", ["down", "timeout", "not json", "huge", "server error"])
def test_a_failing_endpoint_leaves_the_extractive_answer(
    runbook,
    successor,
    model,
    settings,
    failure,
    caplog,  # noqa: ANN001
) -> None:
    extractive = _extractive(successor, settings)
    # Each failure would otherwise be an acceptable, cited reply.
    model.reply = f"{GENERATED} [1]"
    if failure == "down":
        settings.QA_GENERATION_URL = _closed_port_url()
    elif failure == "timeout":
        settings.QA_GENERATION_TIMEOUT = 0.5
        model.delay = 2
    elif failure == "not json":
        model.raw = b"<html><body>Bad gateway</body></html>"
    elif failure == "huge":
        padding = " " * (generation.MAX_BYTES + 1)
        content = f"{GENERATED} [1]{padding}"
        model.raw = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
    else:
        model.status = 500
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="qa.generation"):
        answer = answer_question(user=successor, question=QUESTION)
    assert time.monotonic() - started < 2
    assert not answer.generated and answer.answer == extractive
    assert "qa generation failed" in caplog.text
    assert len(model.requests) == (0 if failure == "down" else 1)


def test_threads_and_passages_that_may_not_be_quoted_are_never_sent(
    runbook,
    space,
    successor,
    teammate,
    model,  # noqa: ANN001
) -> None:
    _threads(space, teammate)
    model.reply = f"{GENERATED} [1]"
    answer = answer_question(user=successor, question=QUESTION)
    kinds = {(p.citation.kind, p.quoted) for p in answer.passages}
    assert ("thread", True) in kinds and ("thread", False) in kinds
    assert "QUOTABLETHREAD" in str(answer.passages)
    [request] = model.requests
    assert "make restart-payments" in model.sent()
    assert "QUOTABLETHREAD" not in model.sent() and "SECRETTHREAD" not in model.sent()
    assert "Colleague" not in model.sent()
    # Citations map back past the passages that were not sent.
    assert answer.generated
    [sentence] = answer.generated_sentences
    assert answer.passages[sentence.passage_indexes[0]].citation.kind == "page"

    # A page passage whose text may not be quoted stays home as well.
    Chunk.objects.filter(page=runbook).update(may_quote=False)
    model.requests.clear()
    again = answer_question(user=successor, question=QUESTION)
    assert any(p.citation.kind == "page" and not p.quoted for p in again.passages)
    assert "make restart-payments" not in model.sent() and "platform team" not in model.sent()
    assert not again.generated


def test_an_abstained_question_calls_nothing(runbook, successor, model) -> None:  # noqa: ANN001
    model.reply = f"{GENERATED} [1]"
    answer = answer_question(
        user=successor, question="What is the wifi password of the Berlin office?"
    )
    assert answer.abstained and not answer.generated
    assert model.connections == 0 and model.requests == []


def test_nothing_is_called_when_no_endpoint_is_configured(
    runbook,
    successor,
    model,
    settings,
    client_for,  # noqa: ANN001
) -> None:
    settings.QA_GENERATION_URL = ""
    # Not even the draft rewrites' endpoint, which is a separate decision.
    settings.DRAFT_GENERATION_URL = model.url
    model.reply = f"{GENERATED} [1]"
    answer = answer_question(user=successor, question=QUESTION)
    _api(successor).post("/api/ask", {"question": QUESTION}, format="json")
    client_for(successor).post("/ask/", {"question": QUESTION})
    assert not answer.generated and "make restart-payments" in answer.answer
    assert model.connections == 0 and model.requests == []
