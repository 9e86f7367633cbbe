"""The Feishu/Lark bot: events through the official lark-oapi SDK, answered on the worker.

Every request is checked before the SDK's dispatcher sees it (which checks again): the
verification token (``header.token`` of a v2 event, ``token`` of the URL challenge), and,
when an encrypt key is set, the payload is decrypted and the signature
``X-Lark-Signature = sha256(timestamp + nonce + encrypt_key + body)`` checked, with the
timestamp within five minutes (the SDK checks no timestamp, and answers a forged request
with a 500; this module answers 401 and logs it). Handlers only acknowledge and queue a
task; the task records the chat account, answers and replies in the message's thread.
A group chat is answered from what every signed-in Tacit user may read, a one-to-one
chat from what the asker may read.

lark-oapi is imported on first use (it takes seconds): Django starts without it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from qa.bots.linking import record_chat_account
from qa.bots.replies import ASK_PERSON_ACTION, feishu_card
from qa.bots.services import BotReply, ReplyKind, answer_chat_question, ask_person_from_chat
from qa.models import ChatPlatform, Question
from qa.retrieval import Audience

if TYPE_CHECKING:
    from lark_oapi import Client, EventDispatcherHandler

logger = logging.getLogger("qa.bots.feishu")

MAX_CLOCK_SKEW_SECONDS = 5 * 60
# Feishu retries an event it thinks was not received; one answer per event id.
SEEN_SECONDS = 60 * 60


class FeishuRequestError(Exception):
    """The request is not from Feishu/Lark: a wrong token, signature or timestamp."""


class MalformedFeishuRequestError(ValueError):
    """The body is not an event (not JSON, not an object)."""


def feishu_configured() -> bool:
    return bool(
        settings.FEISHU_APP_ID and settings.FEISHU_APP_SECRET and settings.FEISHU_VERIFICATION_TOKEN
    )


# --- Checking a request ----------------------------------------------------------------------


def _decrypt(encrypted: str, encrypt_key: str) -> str:
    from lark_oapi.core.utils import AESCipher

    return AESCipher(encrypt_key).decrypt_str(encrypted)


def read_feishu_request(*, body: bytes, headers: Mapping[str, str]) -> dict:
    """The event in ``body`` once its token (and signature) are right, else an error."""
    try:
        outer = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedFeishuRequestError("the body is not JSON") from error
    if not isinstance(outer, dict):
        raise MalformedFeishuRequestError("the body is not a JSON object")
    encrypt_key = settings.FEISHU_ENCRYPT_KEY
    data: Any = outer
    if "encrypt" in outer:
        if not encrypt_key:
            raise FeishuRequestError("an encrypted event, and FEISHU_ENCRYPT_KEY is not set")
        try:
            data = json.loads(_decrypt(str(outer["encrypt"]), encrypt_key))
        except Exception as error:
            raise FeishuRequestError(
                "the event cannot be decrypted with the encrypt key"
            ) from error
        if not isinstance(data, dict):
            raise MalformedFeishuRequestError("the decrypted event is not a JSON object")
    header = data.get("header") if isinstance(data.get("header"), dict) else {}
    token = header.get("token") if data.get("schema") else data.get("token")
    expected = settings.FEISHU_VERIFICATION_TOKEN
    if not isinstance(token, str) or not hmac.compare_digest(
        token.encode("utf-8"), expected.encode("utf-8")
    ):
        raise FeishuRequestError("wrong verification token")
    if data.get("type") == "url_verification" or not encrypt_key:
        return data
    timestamp = headers.get("X-Lark-Request-Timestamp", "")
    nonce = headers.get("X-Lark-Request-Nonce", "")
    signature = headers.get("X-Lark-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise FeishuRequestError(f"missing or stale timestamp {timestamp[:20]!r}")
    calculated = hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body)
    if not hmac.compare_digest(calculated.hexdigest(), signature):
        raise FeishuRequestError("wrong signature")
    return data


# --- The SDK's dispatcher (in the request): acknowledge, queue --------------------------------


def event_dispatcher() -> EventDispatcherHandler:
    return _event_dispatcher(settings.FEISHU_ENCRYPT_KEY, settings.FEISHU_VERIFICATION_TOKEN)


@functools.lru_cache(maxsize=4)
def _event_dispatcher(encrypt_key: str, verification_token: str) -> EventDispatcherHandler:
    from lark_oapi.event.dispatcher_handler import EventDispatcherHandler

    return (
        EventDispatcherHandler.builder(encrypt_key, verification_token)
        .register_p2_im_message_receive_v1(_on_message)
        .register_p2_card_action_trigger(_on_card_action)
        .build()
    )


def dispatch_feishu_request(*, body: bytes, headers: Mapping[str, str], path: str):  # noqa: ANN201
    """Hand a checked request to the SDK; its ``RawResponse``."""
    from lark_oapi.core.model import RawRequest

    raw = RawRequest()
    raw.uri = path
    raw.body = body
    raw.headers = dict(headers)
    return event_dispatcher().do(raw)


def message_text(content: str, mentions: list[str]) -> str:
    """The text of a text message, the @-mention placeholders (``@_user_1``) removed."""
    try:
        text = json.loads(content or "{}").get("text", "")
    except (ValueError, AttributeError):
        return ""
    for key in mentions:
        if key:
            text = text.replace(key, " ")
    return " ".join(str(text).split())


def _on_message(data) -> None:  # noqa: ANN001 - lark_oapi's P2ImMessageReceiveV1
    from qa.bots.tasks import answer_feishu_question_task

    event, header = data.event, data.header
    sender, msg = event.sender, event.message
    if sender is None or msg is None or sender.sender_type != "user" or sender.sender_id is None:
        return
    mentions = [mention.key for mention in (msg.mentions or [])]
    # In a group the bot answers only when mentioned (it is sent every message when it may
    # read all of them).
    if msg.chat_type != "p2p" and not mentions:
        return
    event_id = header.event_id if header is not None else None
    if event_id and not cache.add(f"qa.bots.feishu.seen.{event_id}", True, SEEN_SECONDS):
        return
    message = {
        "tenant_key": sender.tenant_key or (header.tenant_key if header else "") or "",
        "open_id": sender.sender_id.open_id or "",
        "message_id": msg.message_id or "",
        "chat_id": msg.chat_id or "",
        "chat_type": msg.chat_type or "",
        "message_type": msg.message_type or "",
        "text": message_text(msg.content, mentions) if msg.message_type == "text" else "",
    }
    transaction.on_commit(
        lambda: answer_feishu_question_task.apply_async(
            args=[message], queue=settings.CHAT_BOT_QUEUE
        )
    )


def _on_card_action(data):  # noqa: ANN001, ANN202 - lark_oapi's P2CardActionTrigger and response
    from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

    from qa.bots.tasks import ask_person_from_feishu_task

    event = data.event
    value = (event.action.value if event and event.action else None) or {}
    if (
        not isinstance(value, dict)
        or value.get("action") != ASK_PERSON_ACTION
        or not event.operator
    ):
        return P2CardActionTriggerResponse({})
    context = event.context
    click = {
        "tenant_key": event.operator.tenant_key or (data.header.tenant_key if data.header else ""),
        "open_id": event.operator.open_id or "",
        "message_id": (context.open_message_id if context else "") or "",
        "question_id": str(value.get("question_id", "")),
    }
    transaction.on_commit(
        lambda: ask_person_from_feishu_task.apply_async(args=[click], queue=settings.CHAT_BOT_QUEUE)
    )
    return P2CardActionTriggerResponse(
        {"toast": {"type": "info", "content": _("Passing your question on…")}}
    )


# --- On the worker: answer and reply ---------------------------------------------------------


def feishu_client() -> Client:
    return _client(settings.FEISHU_APP_ID, settings.FEISHU_APP_SECRET, settings.FEISHU_DOMAIN)


@functools.lru_cache(maxsize=4)
def _client(app_id: str, app_secret: str, domain: str) -> Client:
    from lark_oapi import Client

    return Client.builder().app_id(app_id).app_secret(app_secret).domain(domain).timeout(10).build()


def feishu_audience(message: dict) -> Audience:
    """A one-to-one chat with the bot reads as the asker; any other chat as everyone."""
    return Audience.ASKER if message.get("chat_type") == "p2p" else Audience.EVERYONE


def _account(message: dict):  # noqa: ANN202
    return record_chat_account(
        platform=ChatPlatform.FEISHU,
        workspace_external_id=message["tenant_key"],
        external_user_id=message["open_id"],
    )


def answer_feishu_question(*, message: dict) -> BotReply:
    """Answer one queued Feishu/Lark question and reply in its thread."""
    reply = answer_chat_question(
        account=_account(message),
        question=message.get("text", ""),
        audience=feishu_audience(message),
        surface=Question.Surface.FEISHU,
    )
    if reply.kind is ReplyKind.CONNECT and message.get("chat_type") != "p2p":
        # The connect link goes to the person alone, never into the group.
        send_feishu_direct(open_id=message["open_id"], reply=reply)
    else:
        reply_in_feishu_thread(message_id=message["message_id"], reply=reply)
    return reply


def ask_person_from_feishu(*, click: dict) -> BotReply | None:
    """The "Ask a person" card button: pass the question on; the result goes to the presser."""
    try:
        question_id = int(click.get("question_id", ""))
    except ValueError:
        logger.warning("Feishu ask-a-person click without a question id")
        return None
    reply = ask_person_from_chat(account=_account(click), question_id=question_id)
    send_feishu_direct(open_id=click["open_id"], reply=reply)
    return reply


def _check(response, what: str) -> None:  # noqa: ANN001 - lark_oapi's response
    if not response.success():
        raise RuntimeError(f"Feishu {what} failed: code {response.code}, {response.msg}")


def reply_in_feishu_thread(*, message_id: str, reply: BotReply) -> None:
    from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody

    request = (
        ReplyMessageRequest.builder()
        .message_id(message_id)
        .request_body(
            ReplyMessageRequestBody.builder()
            .msg_type("interactive")
            .content(json.dumps(feishu_card(reply), ensure_ascii=False))
            .reply_in_thread(True)
            .build()
        )
        .build()
    )
    _check(feishu_client().im.v1.message.reply(request), "reply")


def send_feishu_direct(*, open_id: str, reply: BotReply) -> None:
    from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

    request = (
        CreateMessageRequest.builder()
        .receive_id_type("open_id")
        .request_body(
            CreateMessageRequestBody.builder()
            .receive_id(open_id)
            .msg_type("interactive")
            .content(json.dumps(feishu_card(reply), ensure_ascii=False))
            .build()
        )
        .build()
    )
    _check(feishu_client().im.v1.message.create(request), "message")
