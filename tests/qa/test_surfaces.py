"""The web chat, the request inbox and POST /api/ask, for each persona."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from qa.models import KnowledgeRequest, Question

pytestmark = pytest.mark.django_db

QUESTION = "How do I restart the payment service?"


def _api(user) -> APIClient:  # noqa: ANN001
    client = APIClient()
    if user is not None:
        token, _new = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_chat_page_asks_and_keeps_the_history(runbook, successor, client_for) -> None:  # noqa: ANN001
    client = client_for(successor)
    assert client.get("/ask/").status_code == 200
    response = client.post("/ask/", {"question": QUESTION}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>" in html and "Payment service runbook" in html and "#restarting" in html
    chat_id = Question.objects.get().chat_id
    assert response["HX-Push-Url"] == f"/ask/chats/{chat_id}/"
    page = client.get(f"/ask/chats/{chat_id}/").content.decode()
    assert QUESTION in page and "Helpful" in page


def test_chats_are_their_askers_alone(runbook, successor, teammate, client_for) -> None:  # noqa: ANN001
    client_for(successor).post("/ask/", {"question": QUESTION})
    question = Question.objects.get()
    other = client_for(teammate)
    assert other.get(f"/ask/chats/{question.chat_id}/").status_code == 404
    assert (
        other.post(f"/ask/questions/{question.pk}/feedback/", {"helpful": "no"}).status_code == 404
    )
    assert other.post(f"/ask/questions/{question.pk}/ask-person/").status_code == 404
    assert client_for(None).get("/ask/").status_code == 302


def test_a_bad_question_is_a_clear_error(successor, client_for) -> None:  # noqa: ANN001
    response = client_for(successor).post("/ask/", {"question": "x" * 5000})
    assert response.status_code == 400 and "at most" in response.content.decode()
    assert not Question.objects.exists()


def test_feedback_and_ask_a_person_from_the_chat(runbook, successor, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(successor)
    client.post("/ask/", {"question": QUESTION})
    question = Question.objects.get()
    assert (
        client.post(f"/ask/questions/{question.pk}/feedback/", {"helpful": "maybe"}).status_code
        == 400
    )
    response = client.post(
        f"/ask/questions/{question.pk}/feedback/", {"helpful": "no"}, HTTP_HX_REQUEST="true"
    )
    assert "flagged for review" in response.content.decode()
    response = client.post(f"/ask/questions/{question.pk}/ask-person/", HTTP_HX_REQUEST="true")
    request = KnowledgeRequest.objects.get()
    assert f"/ask/requests/{request.pk}/" in response.content.decode()
    # The owner sees it in their inbox and answers it; the asker sees the answer.
    owner = client_for(teammate)
    assert QUESTION in owner.get("/ask/requests/").content.decode()
    assert (
        owner.post(f"/ask/requests/{request.pk}/", {"answer": "", "space": "platform"}).status_code
        == 400
    )
    response = owner.post(
        f"/ask/requests/{request.pk}/", {"answer": "Use the ops host.", "space": "platform"}
    )
    assert response.status_code == 302
    assert "Use the ops host." in client.get(f"/ask/requests/{request.pk}/").content.decode()
    entry = KnowledgeRequest.objects.get().entry
    assert client.get(f"/ask/entries/{entry.pk}/").status_code == 200


def test_requests_and_entries_are_hidden_from_outsiders(
    runbook, successor, outsider, client_for
) -> None:  # noqa: ANN001
    client_for(successor).post("/ask/", {"question": "What is the wifi password in Berlin?"})
    request = KnowledgeRequest.objects.get()
    outside = client_for(outsider)
    assert outside.get(f"/ask/requests/{request.pk}/").status_code == 404
    assert (
        outside.post(
            f"/ask/requests/{request.pk}/", {"answer": "x", "space": "platform"}
        ).status_code
        == 404
    )
    assert "wifi" not in outside.get("/ask/requests/").content.decode()
    # The asker cannot answer their own question.
    response = client_for(successor).post(
        f"/ask/requests/{request.pk}/", {"answer": "x", "space": "platform"}
    )
    assert response.status_code == 403


def test_the_api_answers_in_the_documented_shape(runbook, successor, outsider) -> None:  # noqa: ANN001
    response = _api(successor).post("/api/ask", {"question": QUESTION}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "passages", "citations", "confidence", "abstained", "request_id"}
    assert body["citations"][0]["title"] == "Payment service runbook" and not body["abstained"]

    outside = _api(outsider).post("/api/ask", {"question": QUESTION}, format="json").json()
    assert outside["abstained"] and outside["citations"] == []

    assert _api(None).post("/api/ask", {"question": QUESTION}, format="json").status_code == 401
    assert _api(successor).post("/api/ask", {"question": ""}, format="json").status_code == 400
    assert (
        _api(successor)
        .post("/api/ask", {"question": QUESTION, "chat_id": 999}, format="json")
        .status_code
        == 404
    )


def test_the_api_routes_and_answers_requests(runbook, successor, teammate, outsider) -> None:  # noqa: ANN001
    asked = (
        _api(successor)
        .post("/api/ask", {"question": "What is the wifi password in Berlin?"}, format="json")
        .json()
    )
    assert asked["abstained"] and asked["routed_to"][0]["user_id"] == teammate.pk
    request_id = asked["request_id"]
    owner = _api(teammate)
    listed = owner.get("/api/ask/requests/").json()
    assert [row["id"] for row in listed["results"]] == [request_id]
    assert _api(outsider).get("/api/ask/requests/").json()["results"] == []
    assert (
        _api(outsider)
        .post(f"/api/ask/requests/{request_id}/answer/", {"answer": "x"}, format="json")
        .status_code
        == 404
    )
    response = owner.post(
        f"/api/ask/requests/{request_id}/answer/", {"answer": "Ask reception."}, format="json"
    )
    assert response.status_code == 201 and response.json()["space"] == "platform"
    again = owner.post(
        f"/api/ask/requests/{request_id}/answer/", {"answer": "again"}, format="json"
    )
    assert again.status_code == 409
    feedback = _api(successor).post(
        f"/api/ask/questions/{asked['question_id']}/feedback/", {"helpful": True}, format="json"
    )
    assert feedback.json() == {"question_id": asked["question_id"], "feedback": "helpful"}
