"""The Feishu/Lark bot: the verification token and the encrypted, signed events, the connect
link sent to the person alone, group and one-to-one answers replied in the thread, and the
Ask-a-person card button."""

import json
import logging
import time

import pytest

from qa.models import ChatAccount, KnowledgeRequest, Question
from tests.qa.bots.conftest import (
    FEISHU_TENANT,
    FEISHU_TOKEN,
    QUESTION,
    SITE,
    feishu_message,
    linked_account,
    post_feishu,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def asker(successor):  # noqa: ANN001, ANN201
    linked_account(successor, platform="feishu", workspace=FEISHU_TENANT, external_id="ou_asker")
    return successor


def _card(call) -> str:  # noqa: ANN001
    """The card a reply or message carried, as text (its JSON content)."""
    return call.data["content"]


def test_it_accepts_only_events_with_the_token_and_a_fresh_signature(
    feishu_bot,
    client,
    caplog,
    settings,  # noqa: ANN001
) -> None:
    challenge = {"challenge": "chal-42", "token": FEISHU_TOKEN, "type": "url_verification"}
    response = post_feishu(client, challenge)
    assert response.status_code == 200 and response.json() == {"challenge": "chal-42"}

    caplog.set_level(logging.WARNING, logger="qa.bots")
    event = feishu_message("hello", event_id="ev-sig")
    assert post_feishu(client, event, signature="0" * 64).status_code == 401
    stale_ts = int(time.time()) - 6 * 60
    assert post_feishu(client, event, timestamp=stale_ts).status_code == 401
    assert post_feishu(client, feishu_message("hello", token="forged")).status_code == 401
    forged_challenge = {**challenge, "token": "forged"}
    assert post_feishu(client, forged_challenge, encrypt=False).status_code == 401
    reasons = [r.getMessage() for r in caplog.records if r.name == "qa.bots"]
    assert len(reasons) == 4
    assert "signature" in reasons[0] and "stale" in reasons[1] and "token" in reasons[2]
    malformed = client.post("/bots/feishu/events", data="nope", content_type="text/plain")
    assert malformed.status_code == 400
    assert feishu_bot.requests == []

    # Without an encrypt key, events come in plain text and only the token is checked.
    settings.FEISHU_ENCRYPT_KEY = ""
    forged = feishu_message("hello", token="forged")
    assert post_feishu(client, forged, encrypt=False).status_code == 401
    assert post_feishu(client, {"encrypt": "abc"}, encrypt=False).status_code == 401


def test_it_is_off_unless_configured(client, settings) -> None:  # noqa: ANN001
    settings.FEISHU_APP_ID = ""
    response = client.post("/bots/feishu/events", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert client.get("/bots/feishu/events").status_code == 405


def test_an_unlinked_user_in_a_group_gets_only_a_direct_connect_link(
    feishu_bot,
    client,
    runbook,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_feishu(client, feishu_message(QUESTION, open_id="ou_stranger"))
        assert response.status_code == 200
        assert feishu_bot.calls("/messages") == []
    assert feishu_bot.calls("/reply") == []
    (direct,) = feishu_bot.calls("/open-apis/im/v1/messages")
    assert direct.query == {"receive_id_type": "open_id"}
    assert direct.data["receive_id"] == "ou_stranger" and direct.data["msg_type"] == "interactive"
    assert f"{SITE}/ask/connect/" in _card(direct) and runbook.title not in _card(direct)
    assert direct.headers["authorization"] == "Bearer t-fake"
    assert not Question.objects.exists()
    assert ChatAccount.objects.get(external_user_id="ou_stranger").workspace.platform == "feishu"


def test_a_group_answer_never_cites_the_private_page_and_a_one_to_one_chat_does(
    feishu_bot,
    client,
    asker,
    runbook,
    handbook_page,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post_feishu(client, feishu_message(QUESTION)).status_code == 200
        assert feishu_bot.calls("/reply") == []
    (group_reply,) = feishu_bot.calls("/open-apis/im/v1/messages/om_question/reply")
    assert group_reply.data["msg_type"] == "interactive" and group_reply.data["reply_in_thread"]
    card = _card(group_reply)
    assert handbook_page.title in card and f"{SITE}/wiki/handbook/" in card
    assert runbook.title not in card and "/wiki/platform/" not in card
    question = Question.objects.get()
    assert (question.surface, question.audience) == ("feishu", "everyone")
    assert '"action": "tacit_ask_person"' in card and f'"question_id": {question.pk}' in card

    one_to_one = feishu_message(QUESTION, chat_type="p2p", message_id="om_p2p", event_id="ev-2")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_feishu(client, one_to_one).status_code == 200
    (p2p_reply,) = feishu_bot.calls("/open-apis/im/v1/messages/om_p2p/reply")
    assert runbook.title in _card(p2p_reply) and f"{SITE}/wiki/platform/" in _card(p2p_reply)
    assert Question.objects.order_by("-pk").first().audience == "asker"

    # Feishu delivering the same event again gets no second answer.
    with django_capture_on_commit_callbacks(execute=True):
        assert post_feishu(client, one_to_one).status_code == 200
    assert len(feishu_bot.calls("/open-apis/im/v1/messages/om_p2p/reply")) == 1


def test_a_group_message_that_does_not_mention_the_bot_is_left_alone(
    feishu_bot,
    client,
    asker,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    event = feishu_message(QUESTION)
    event["event"]["message"]["mentions"] = []
    with django_capture_on_commit_callbacks(execute=True):
        assert post_feishu(client, event).status_code == 200
    assert feishu_bot.requests == [] and not Question.objects.exists()


def test_the_card_button_asks_a_person_for_the_asker_only(
    feishu_bot,
    client,
    asker,
    teammate,
    runbook,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    linked_account(teammate, platform="feishu", workspace=FEISHU_TENANT, external_id="ou_other")
    with django_capture_on_commit_callbacks(execute=True):
        post_feishu(client, feishu_message(QUESTION, chat_type="p2p"))
    question = Question.objects.get()

    def press(open_id: str, event_id: str):  # noqa: ANN202
        action = {
            "schema": "2.0",
            "header": {
                "event_id": event_id,
                "token": FEISHU_TOKEN,
                "create_time": str(int(time.time() * 1000)),
                "event_type": "card.action.trigger",
                "tenant_key": FEISHU_TENANT,
                "app_id": "cli_test",
            },
            "event": {
                "operator": {"tenant_key": FEISHU_TENANT, "open_id": open_id},
                "token": "c-callback",
                "action": {
                    "value": {"action": "tacit_ask_person", "question_id": question.pk},
                    "tag": "button",
                },
                "context": {"open_message_id": "om_sent", "open_chat_id": "oc_chat"},
            },
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = post_feishu(client, action)
        assert response.status_code == 200
        return response.json()

    assert press("ou_other", "ev-press-1")["toast"]["type"] == "info"
    assert not KnowledgeRequest.objects.exists()
    refusal = feishu_bot.calls("/open-apis/im/v1/messages")[-1]
    assert refusal.data["receive_id"] == "ou_other"
    assert "Only the person who asked" in _card(refusal)

    press("ou_asker", "ev-press-2")
    request = KnowledgeRequest.objects.get(question=question)
    assert list(request.routed_to.all()) == [teammate]
    passed = feishu_bot.calls("/open-apis/im/v1/messages")[-1]
    assert passed.data["receive_id"] == "ou_asker" and "Teammate" in _card(passed)


def test_an_over_long_question_is_answered_with_the_limit(
    feishu_bot,
    client,
    asker,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_feishu(client, feishu_message("x" * 2100, chat_type="p2p"))
    (reply,) = feishu_bot.calls("/reply")
    assert "at most 2000 characters" in json.loads(_card(reply))["elements"][0]["content"]
    assert not Question.objects.exists()
