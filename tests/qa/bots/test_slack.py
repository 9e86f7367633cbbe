"""The Slack bot: signed requests only, the connect link for strangers, answers in the thread
drawn for who reads them, the Ask-a-person button, and clear replies to bad questions."""

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from core.models import AuditEvent
from qa.bots.slack import answer_slack_question
from qa.models import ChatAccount, ChatWorkspace, KnowledgeRequest, Question
from tests.qa.bots.conftest import (
    QUESTION,
    SITE,
    SLACK_TEAM,
    channel_mention,
    direct_message,
    linked_account,
    post_slack,
    slack_signature,
)

pytestmark = pytest.mark.django_db


def _blocks_text(call) -> str:  # noqa: ANN001
    return json.dumps(call.data.get("blocks"))


@pytest.fixture
def asker(successor):  # noqa: ANN001, ANN201
    """The successor (a reader of the private space), linked as Slack user U1."""
    linked_account(successor, platform="slack", workspace=SLACK_TEAM, external_id="U1")
    return successor


def test_it_accepts_only_requests_signed_with_the_signing_secret(
    slack_bot,
    client,
    caplog,  # noqa: ANN001
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "chal-123", "token": "x"})
    response = post_slack(client, body)
    assert response.status_code == 200 and b"chal-123" in response.content

    caplog.set_level(logging.WARNING, logger="qa.bots")
    bad = post_slack(client, body, signature=slack_signature(body, str(int(time.time())), "wrong"))
    assert bad.status_code == 401
    stale_ts = int(time.time()) - 6 * 60
    stale = post_slack(client, body, timestamp=stale_ts)
    assert stale.status_code == 401
    refusals = [r for r in caplog.records if r.name == "qa.bots" and "refused" in r.getMessage()]
    assert len(refusals) == 2 and str(stale_ts) in refusals[1].getMessage()
    assert slack_bot.requests == []


def test_it_is_off_unless_configured_and_takes_only_post(client, settings) -> None:  # noqa: ANN001
    settings.SLACK_SIGNING_SECRET = ""
    response = client.post("/bots/slack/events", data="{}", content_type="application/json")
    assert response.status_code == 404 and "not configured" in response.json()["error"]
    settings.SLACK_SIGNING_SECRET = "configured-now"
    settings.SLACK_BOT_TOKEN = "xoxb-x"
    assert client.get("/bots/slack/events").status_code == 405


def test_an_unlinked_user_gets_only_a_connect_link(
    slack_bot,
    client,
    runbook,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_slack(client, channel_mention(QUESTION, user="U9"))
        assert response.status_code == 200
        assert slack_bot.calls("chat.postEphemeral") == []
    (ephemeral,) = slack_bot.calls("chat.postEphemeral")
    assert ephemeral.data["user"] == "U9" and ephemeral.data["channel"] == "C1"
    assert ephemeral.data["thread_ts"] == "1700000000.000100"
    assert f"{SITE}/ask/connect/" in _blocks_text(ephemeral)
    assert runbook.title not in ephemeral.text and "restart" not in ephemeral.text.lower()
    assert slack_bot.calls("chat.postMessage") == []
    assert not Question.objects.exists()
    account = ChatAccount.objects.get(external_user_id="U9")
    assert account.user is None
    assert ChatWorkspace.objects.get(pk=account.workspace_id).external_id == SLACK_TEAM


def test_a_channel_answer_never_cites_the_private_page_and_a_direct_message_does(
    slack_bot,
    client,
    asker,
    runbook,
    handbook_page,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert post_slack(client, channel_mention(QUESTION)).status_code == 200
        # Acknowledged before anything was answered or posted.
        assert slack_bot.calls("chat.postMessage") == []
    (channel_reply,) = slack_bot.calls("chat.postMessage")
    assert channel_reply.data["channel"] == "C1"
    assert channel_reply.data["thread_ts"] == "1700000000.000100"
    blocks = _blocks_text(channel_reply)
    assert handbook_page.title in blocks and f"{SITE}/wiki/handbook/" in blocks
    assert runbook.title not in blocks and "/wiki/platform/" not in blocks
    question = Question.objects.get()
    assert (question.surface, question.audience, question.asked_by) == ("slack", "everyone", asker)
    assert '"action_id": "tacit_ask_person"' in blocks and f'"value": "{question.pk}"' in blocks

    with django_capture_on_commit_callbacks(execute=True):
        assert post_slack(client, direct_message(QUESTION)).status_code == 200
    dm_reply = slack_bot.calls("chat.postMessage")[1]
    assert dm_reply.data["channel"] == "D1"
    blocks = _blocks_text(dm_reply)
    assert runbook.title in blocks and f"{SITE}/wiki/platform/" in blocks
    assert Question.objects.order_by("-pk").first().audience == "asker"


def test_the_same_message_delivered_twice_is_answered_once(
    slack_bot,
    client,
    asker,
    runbook,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_slack(client, direct_message(QUESTION))
        post_slack(client, direct_message(QUESTION))
    assert len(slack_bot.calls("chat.postMessage")) == 1
    assert Question.objects.count() == 1


def test_a_slash_command_answers_through_its_response_url(
    slack_bot,
    client,
    asker,
    runbook,
    handbook_page,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    form = {
        "command": "/tacit",
        "text": QUESTION,
        "team_id": SLACK_TEAM,
        "team_domain": "acme",
        "channel_id": "C1",
        "channel_name": "general",
        "user_id": "U1",
        "user_name": "successor",
        "response_url": f"{slack_bot.url}/hooks/commands/1",
        "trigger_id": "1.2.3",
    }
    body = urlencode(form)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_slack(client, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
    (answer,) = slack_bot.calls("/hooks/commands/1")
    assert answer.data["response_type"] == "in_channel"
    assert handbook_page.title in answer.text and runbook.title not in answer.text
    assert ChatWorkspace.objects.get(external_id=SLACK_TEAM).name == "acme"


def test_ask_a_person_files_a_request_for_the_asker_only(
    slack_bot,
    client,
    asker,
    teammate,
    runbook,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    linked_account(teammate, platform="slack", workspace=SLACK_TEAM, external_id="U2")
    with django_capture_on_commit_callbacks(execute=True):
        post_slack(client, direct_message(QUESTION))
    question = Question.objects.get()
    assert not question.abstained

    def click(user: str) -> None:
        payload = {
            "type": "block_actions",
            "team": {"id": SLACK_TEAM, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": SLACK_TEAM},
            "channel": {"id": "D1", "name": "directmessage"},
            "container": {"type": "message", "message_ts": "1700000000.000200"},
            "message": {"ts": "1700000000.000200", "thread_ts": "1700000001.000100"},
            "response_url": f"{slack_bot.url}/hooks/actions/1",
            "trigger_id": "1.2.3",
            "actions": [
                {
                    "type": "button",
                    "action_id": "tacit_ask_person",
                    "block_id": "b1",
                    "value": str(question.pk),
                    "action_ts": "1700000002.1",
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        with django_capture_on_commit_callbacks(execute=True):
            response = post_slack(client, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200

    click("U2")
    assert not KnowledgeRequest.objects.exists()
    refusal = slack_bot.calls("chat.postEphemeral")[-1]
    assert refusal.data["user"] == "U2" and "Only the person who asked" in refusal.text

    click("U1")
    request = KnowledgeRequest.objects.get(question=question)
    assert AuditEvent.objects.filter(action="qa.request_filed").count() == 1
    passed = slack_bot.calls("chat.postEphemeral")[-1]
    assert passed.data["user"] == "U1" and passed.data["thread_ts"] == "1700000001.000100"
    assert "Teammate" in passed.text
    assert list(request.routed_to.all()) == [teammate]


def _ask(text: str, *, kind: str = "direct", user: str = "U1") -> dict:
    message = {
        "kind": kind,
        "team_id": SLACK_TEAM,
        "team_name": "",
        "user_id": user,
        "user_name": "",
        "channel_id": "D1" if kind == "direct" else "C1",
        "channel_name": "",
        "channel_type": "im" if kind == "direct" else "",
        "thread_ts": "1700000001.000100",
        "response_url": "",
        "text": text,
    }
    answer_slack_question(message=message)
    return message


def test_bad_questions_get_a_clear_reply_and_ask_nothing(slack_bot, asker) -> None:  # noqa: ANN001
    _ask("x" * 2100)
    _ask("   ")
    too_long, empty = slack_bot.calls("chat.postMessage")
    assert "at most 2000 characters" in too_long.text
    assert "Ask me a question" in empty.text
    assert not Question.objects.exists()


def test_a_refused_question_is_told_so_in_the_thread(slack_bot, asker, settings) -> None:  # noqa: ANN001
    settings.QA_ASKS_PER_USER_MINUTE = 1
    _ask(QUESTION, kind="mention")
    _ask(QUESTION, kind="mention")
    assert Question.objects.count() == 1
    (refusal,) = slack_bot.calls("chat.postEphemeral")
    assert refusal.data["thread_ts"] == "1700000001.000100" and refusal.data["user"] == "U1"
    assert "too many questions" in refusal.text


def test_a_deactivated_person_is_treated_as_unlinked(slack_bot, asker, runbook) -> None:  # noqa: ANN001
    asker.is_active = False
    asker.save(update_fields=["is_active"])
    _ask(QUESTION)
    (reply,) = slack_bot.calls("chat.postMessage")
    assert "/ask/connect/" in reply.text and runbook.title not in reply.text
    assert not Question.objects.exists()


def test_connect_links_count_against_the_workspace_limit(slack_bot, settings) -> None:  # noqa: ANN001
    settings.QA_ASKS_PER_WORKSPACE_MINUTE = 1
    _ask(QUESTION, user="U8")
    _ask(QUESTION, user="U9")
    first, second = slack_bot.calls("chat.postMessage")
    assert "/ask/connect/" in first.text
    assert "/ask/connect/" not in second.text and "This workspace has asked too many" in second.text
