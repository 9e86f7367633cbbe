"""The bots' test parts: a local stand-in for Slack's and Feishu's APIs that records what the
bots send, the bots configured against it, real request signing, a public page indexed
beside the private ``runbook``, and chat accounts linked to personas."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from Crypto.Cipher import AES

from qa.bots.linking import link_chat_account, record_chat_account
from qa.models import ChatAccount

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TEAM = "T0TEAM"
FEISHU_TOKEN = "feishu-verification-token"
FEISHU_ENCRYPT_KEY = "feishu-encrypt-key"
FEISHU_TENANT = "tenant-1"
SITE = "https://tacit.example.org"
QUESTION = "How do I restart the payment service?"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def data(self) -> dict:
        """The body as JSON, or as a form (one value per field)."""
        if not self.body:
            return {}
        if self.headers.get("content-type", "").startswith("application/json"):
            return json.loads(self.body)
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class FakeApi:
    """A local HTTP server for Slack's Web API, response URLs and Feishu's open API.

    Records every request; answers Slack-style ``{"ok": true}`` under ``/api/`` and
    ``/hooks/``, Feishu-style ``{"code": 0}`` under ``/open-apis/`` (a tenant access token
    for the token endpoint).
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                api.requests.append(
                    Recorded(
                        method="POST",
                        path=parts.path,
                        query={k: v[0] for k, v in parse_qs(parts.query).items()},
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                answer = api.answer(parts.path)
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @staticmethod
    def answer(path: str) -> dict:
        if path.endswith("/auth.test"):
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": SLACK_TEAM}
        if path.startswith("/api/"):
            return {"ok": True, "channel": "C1", "ts": "1700000000.000200"}
        if path.endswith("/tenant_access_token/internal"):
            return {"code": 0, "msg": "ok", "tenant_access_token": "t-fake", "expire": 7200}
        if path.startswith("/open-apis/"):
            return {"code": 0, "msg": "success", "data": {"message_id": "om_sent"}}
        return {"ok": True}

    def calls(self, path_end: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(path_end)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Queued tasks run in the test process when their transaction commits (the tests capture
    on-commit callbacks); one test goes through a real worker instead."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False
        app.conf.task_eager_propagates = False


@pytest.fixture
def slack_bot(settings, fake_api, eager_tasks):  # noqa: ANN001, ANN201
    settings.SLACK_SIGNING_SECRET = SLACK_SECRET
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_API_URL = f"{fake_api.url}/api/"
    settings.TACIT_SITE_URL = SITE
    return fake_api


@pytest.fixture
def feishu_bot(settings, fake_api, eager_tasks):  # noqa: ANN001, ANN201
    settings.FEISHU_APP_ID = "cli_test"
    settings.FEISHU_APP_SECRET = "feishu-app-secret"
    settings.FEISHU_VERIFICATION_TOKEN = FEISHU_TOKEN
    settings.FEISHU_ENCRYPT_KEY = FEISHU_ENCRYPT_KEY
    settings.FEISHU_DOMAIN = fake_api.url
    settings.TACIT_SITE_URL = SITE
    return fake_api


def linked_account(user, *, platform: str, workspace: str, external_id: str) -> ChatAccount:  # noqa: ANN001
    account = record_chat_account(
        platform=platform, workspace_external_id=workspace, external_user_id=external_id
    )
    return link_chat_account(account=account, user=user)


# --- Slack requests, signed as Slack signs them ------------------------------------------------


def slack_signature(body: str, timestamp: str, secret: str = SLACK_SECRET) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + digest.hexdigest()


def post_slack(
    client,  # noqa: ANN001
    body: str,
    *,
    content_type: str = "application/json",
    timestamp: int | None = None,
    signature: str | None = None,
):  # noqa: ANN201
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        "/bots/slack/events",
        data=body,
        content_type=content_type,
        HTTP_X_SLACK_REQUEST_TIMESTAMP=ts,
        HTTP_X_SLACK_SIGNATURE=signature or slack_signature(body, ts),
    )


def slack_event(event: dict, event_id: str = "Ev1") -> str:
    return json.dumps(
        {
            "token": "unused",
            "team_id": SLACK_TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )


def channel_mention(text: str, *, user: str = "U1", ts: str = "1700000000.000100") -> str:
    return slack_event(
        {
            "type": "app_mention",
            "user": user,
            "text": f"<@UBOT> {text}",
            "ts": ts,
            "channel": "C1",
            "event_ts": ts,
        }
    )


def direct_message(text: str, *, user: str = "U1", ts: str = "1700000001.000100") -> str:
    return slack_event(
        {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": "D1",
            "event_ts": ts,
        },
        event_id=f"Ev{ts}",
    )


# --- Feishu requests, encrypted and signed as Feishu does it -----------------------------------


def feishu_encrypt(plaintext: str, key: str = FEISHU_ENCRYPT_KEY) -> str:
    """AES-256-CBC under sha256(key), a random IV first, PKCS#7 padding, base64."""
    data = plaintext.encode()
    pad = 16 - len(data) % 16
    data += bytes([pad]) * pad
    iv = os.urandom(16)
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(data)).decode()


def feishu_signature(timestamp: str, nonce: str, body: bytes, key: str = FEISHU_ENCRYPT_KEY) -> str:
    return hashlib.sha256((timestamp + nonce + key).encode() + body).hexdigest()


def post_feishu(
    client,  # noqa: ANN001
    event: dict,
    *,
    encrypt: bool = True,
    timestamp: int | None = None,
    signature: str | None = None,
):  # noqa: ANN201
    body = json.dumps({"encrypt": feishu_encrypt(json.dumps(event))} if encrypt else event).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = "n0nce"
    return client.post(
        "/bots/feishu/events",
        data=body,
        content_type="application/json",
        HTTP_X_LARK_REQUEST_TIMESTAMP=ts,
        HTTP_X_LARK_REQUEST_NONCE=nonce,
        HTTP_X_LARK_SIGNATURE=signature or feishu_signature(ts, nonce, body),
    )


def feishu_message(
    text: str,
    *,
    chat_type: str = "group",
    open_id: str = "ou_asker",
    message_id: str = "om_question",
    event_id: str = "ev-1",
    token: str = FEISHU_TOKEN,
) -> dict:
    bot = {"key": "@_user_1", "id": {"open_id": "ou_bot"}, "name": "Tacit"}
    mentions = [bot] if chat_type == "group" else []
    prefix = "@_user_1 " if mentions else ""
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": token,
            "create_time": str(int(time.time() * 1000)),
            "event_type": "im.message.receive_v1",
            "tenant_key": FEISHU_TENANT,
            "app_id": "cli_test",
        },
        "event": {
            "sender": {
                "sender_id": {"open_id": open_id, "user_id": "u1", "union_id": "on_1"},
                "sender_type": "user",
                "tenant_key": FEISHU_TENANT,
            },
            "message": {
                "message_id": message_id,
                "chat_id": "oc_chat",
                "chat_type": chat_type,
                "message_type": "text",
                "content": json.dumps({"text": prefix + text}),
                "mentions": mentions,
            },
        },
    }
