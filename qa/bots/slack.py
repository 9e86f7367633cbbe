"""The Slack bot: a slack-bolt app over HTTP that acknowledges at once and answers on the
worker.

Bolt verifies every request's signature (``X-Slack-Signature``, an HMAC-SHA256 of
``v0:<timestamp>:<body>`` under the signing secret, refused when the timestamp is more than
five minutes off) before any listener runs. Listeners only acknowledge and queue a task
with the event's plain fields; the task records the chat account, answers as the linked
Tacit user and posts the reply in the thread. In a direct message with the bot the answer
is drawn from what the asker may read; anywhere else (a channel, private or public, a group
DM) people who are not Tacit users or not members of a space read along, so it is drawn from
what every signed-in Tacit user may read.

slack-bolt and slack-sdk are imported on first use: Django starts without them.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from qa.bots.linking import record_chat_account
from qa.bots.replies import ASK_PERSON_ACTION, slack_message
from qa.bots.services import BotReply, answer_chat_question, ask_person_from_chat
from qa.models import ChatPlatform, Question
from qa.retrieval import Audience

if TYPE_CHECKING:
    from slack_bolt.adapter.django import SlackRequestHandler
    from slack_sdk import WebClient

logger = logging.getLogger("qa.bots.slack")

# Slack sends a message that mentions the bot both as ``app_mention`` and, in some
# conversations, as ``message``; and it retries what it thinks was not received. One answer
# per message: the first delivery within this many seconds wins.
SEEN_SECONDS = 60 * 60
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def slack_configured() -> bool:
    return bool(settings.SLACK_SIGNING_SECRET and settings.SLACK_BOT_TOKEN)


def web_client() -> WebClient:
    from slack_sdk import WebClient

    return WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=10)


def slack_request_handler() -> SlackRequestHandler:
    """The bolt handler for the configured app (built once per set of credentials)."""
    return _request_handler(
        settings.SLACK_SIGNING_SECRET, settings.SLACK_BOT_TOKEN, settings.SLACK_API_URL
    )


@functools.lru_cache(maxsize=4)
def _request_handler(signing_secret: str, token: str, api_url: str) -> SlackRequestHandler:
    from slack_bolt import App
    from slack_bolt.adapter.django import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(
        name="tacit",
        signing_secret=signing_secret,
        client=WebClient(token=token, base_url=api_url, timeout=10),
        # No auth.test call at start-up; bolt makes it on the first request and keeps it.
        token_verification_enabled=False,
        # Listeners run before the response, in the request: they only queue a task.
        process_before_response=True,
    )
    app.command(re.compile(r".+"))(_on_command)
    app.event("app_mention")(_on_mention)
    app.event("message")(_on_message)
    app.action(ASK_PERSON_ACTION)(_on_ask_person)
    return SlackRequestHandler(app)


# --- Listeners (in the request): acknowledge, queue --------------------------------------------


def _first_delivery(channel: str, ts: str) -> bool:
    return cache.add(f"qa.bots.slack.seen.{channel}.{ts}", True, SEEN_SECONDS)


def _queue_question(message: dict) -> None:
    from qa.bots.tasks import answer_slack_question_task

    transaction.on_commit(
        lambda: answer_slack_question_task.apply_async(
            args=[message], queue=settings.CHAT_BOT_QUEUE
        )
    )


def strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text or "").split())


def _on_command(ack, command: dict) -> None:  # noqa: ANN001 - bolt's Ack
    ack()
    _queue_question(
        {
            "kind": "command",
            "team_id": command.get("team_id", ""),
            "team_name": command.get("team_domain", ""),
            "user_id": command.get("user_id", ""),
            "user_name": command.get("user_name", ""),
            "channel_id": command.get("channel_id", ""),
            "channel_name": command.get("channel_name", ""),
            "channel_type": "",
            "thread_ts": "",
            "response_url": command.get("response_url", ""),
            "text": command.get("text", ""),
        }
    )


def _event_message(kind: str, event: dict, body: dict) -> dict:
    return {
        "kind": kind,
        "team_id": body.get("team_id") or event.get("team", ""),
        "team_name": "",
        "user_id": event.get("user", ""),
        "user_name": "",
        "channel_id": event.get("channel", ""),
        "channel_name": "",
        "channel_type": event.get("channel_type", ""),
        "thread_ts": event.get("thread_ts") or event.get("ts", ""),
        "response_url": "",
        "text": strip_mentions(event.get("text", "")),
    }


def _on_mention(ack, event: dict, body: dict) -> None:  # noqa: ANN001 - bolt's Ack
    ack()
    if event.get("bot_id") or not event.get("user"):
        return
    if _first_delivery(event.get("channel", ""), event.get("ts", "")):
        _queue_question(_event_message("mention", event, body))


def _on_message(ack, event: dict, body: dict) -> None:  # noqa: ANN001 - bolt's Ack
    """A direct message to the bot; other messages (channels, edits, bots) are ignored."""
    ack()
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    if not event.get("user"):
        return
    if _first_delivery(event.get("channel", ""), event.get("ts", "")):
        _queue_question(_event_message("direct", event, body))


def _on_ask_person(ack, body: dict, action: dict) -> None:  # noqa: ANN001 - bolt's Ack
    from qa.bots.tasks import ask_person_from_slack_task

    ack()
    message = body.get("message") or {}
    click = {
        "team_id": (body.get("team") or {}).get("id", "")
        or (body.get("user") or {}).get("team_id", ""),
        "user_id": (body.get("user") or {}).get("id", ""),
        "user_name": (body.get("user") or {}).get("username", ""),
        "channel_id": (body.get("channel") or {}).get("id", ""),
        "thread_ts": message.get("thread_ts") or message.get("ts", ""),
        "response_url": body.get("response_url", ""),
        "question_id": str(action.get("value", "")),
    }
    transaction.on_commit(
        lambda: ask_person_from_slack_task.apply_async(args=[click], queue=settings.CHAT_BOT_QUEUE)
    )


# --- On the worker: answer and post ----------------------------------------------------------


def slack_audience(message: dict) -> Audience:
    """Who reads the reply: the asker alone only in a direct message with the bot."""
    if message["kind"] == "direct" and message.get("channel_type") == "im":
        return Audience.ASKER
    if message["kind"] == "command" and message.get("channel_name") == "directmessage":
        return Audience.ASKER
    return Audience.EVERYONE


def _account(message: dict):  # noqa: ANN202
    return record_chat_account(
        platform=ChatPlatform.SLACK,
        workspace_external_id=message["team_id"],
        workspace_name=message.get("team_name", ""),
        external_user_id=message["user_id"],
        display_name=message.get("user_name", ""),
    )


def answer_slack_question(*, message: dict) -> BotReply:
    """Answer one queued Slack question and post the reply where it was asked."""
    account = _account(message)
    audience = slack_audience(message)
    reply = answer_chat_question(
        account=account,
        question=message.get("text", ""),
        audience=audience,
        surface=Question.Surface.SLACK,
    )
    post_slack_reply(message=message, reply=reply, audience=audience)
    return reply


def ask_person_from_slack(*, click: dict) -> BotReply | None:
    """The "Ask a person" button: pass the question on, if the one who pressed asked it."""
    try:
        question_id = int(click.get("question_id", ""))
    except ValueError:
        logger.warning("Slack ask-a-person click without a question id")
        return None
    reply = ask_person_from_chat(account=_account(click), question_id=question_id)
    post_slack_reply(message={**click, "kind": "click"}, reply=reply, audience=Audience.ASKER)
    return reply


def post_slack_reply(*, message: dict, reply: BotReply, audience: Audience) -> None:
    """Post ``reply`` in the thread it answers; what is for the asker alone, to them alone.

    A slash command is answered through its response URL: for the channel when the answer
    was drawn for everyone, else for the asker only (a slash command in a direct message
    may be in a conversation with another person).
    """
    payload = slack_message(reply)
    if message["kind"] == "command" and message.get("response_url"):
        from slack_sdk.webhook import WebhookClient

        shared = not reply.private and audience is Audience.EVERYONE
        response = WebhookClient(message["response_url"], timeout=10).send(
            text=payload["text"],
            blocks=payload["blocks"],
            response_type="in_channel" if shared else "ephemeral",
        )
        if response.status_code != 200:
            raise RuntimeError(f"Slack response_url answered {response.status_code}")
        return
    client = web_client()
    thread_ts = message.get("thread_ts") or None
    direct = message["kind"] == "direct"
    if reply.private and not direct:
        client.chat_postEphemeral(
            channel=message["channel_id"],
            user=message["user_id"],
            thread_ts=thread_ts,
            **payload,
        )
        return
    client.chat_postMessage(channel=message["channel_id"], thread_ts=thread_ts, **payload)
