"""The assistant server over streamable HTTP, mounted at ``/mcp`` by ``config.asgi``.

Stateless: each POST is answered on its own, so any web worker can take any request. A
request without a valid token is refused with 401 and a sentence saying why (no token, not
a Tacit token, revoked, owner deactivated) before the MCP app sees it; the MCP SDK's own
bearer check then runs as well. Each request's database work runs in a thread of its own,
as Django does for its views.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from urllib.parse import urlsplit

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from qa.mcp.services import AssistantTokenError, authenticate_assistant_token

logger = logging.getLogger(__name__)

MOUNT = "/mcp"


class TacitTokenVerifier:
    """The MCP SDK's token verifier: a Tacit assistant token, active, of an active person."""

    async def verify_token(self, token: str):  # noqa: ANN201 - mcp AccessToken | None
        from mcp.server.auth.provider import AccessToken

        try:
            user = await sync_to_async(_authenticate, thread_sensitive=True)(token)
        except AssistantTokenError:
            return None
        return AccessToken(token=token, client_id=f"tacit-user-{user.pk}", scopes=[])


def _authenticate(token: str):  # noqa: ANN202 - a user
    close_old_connections()
    try:
        return authenticate_assistant_token(token)
    finally:
        connections.close_all()


def token_verifier() -> TacitTokenVerifier:
    return TacitTokenVerifier()


def _transport_security():  # noqa: ANN202 - mcp TransportSecuritySettings
    """DNS-rebinding protection on the site's own hosts and origins (Django's settings)."""
    from mcp.server.transport_security import TransportSecuritySettings

    if "*" in settings.ALLOWED_HOSTS:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts: list[str] = []
    for host in settings.ALLOWED_HOSTS:
        host = host.lstrip(".")
        hosts += [host, f"{host}:*"]
    site = urlsplit(settings.TACIT_SITE_URL)
    hosts.append(site.netloc)
    origins = [f"{site.scheme}://{site.netloc}", *settings.CSRF_TRUSTED_ORIGINS]
    for host in ("localhost", "127.0.0.1", "[::1]"):
        if host in settings.ALLOWED_HOSTS:
            origins.append(f"http://{host}:*")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


@lru_cache(maxsize=1)
def _mcp_app():  # noqa: ANN202 - a Starlette app
    from qa.mcp.server import build_server

    return build_server().streamable_http_app(
        streamable_http_path=MOUNT,
        stateless_http=True,
        json_response=True,
        transport_security=_transport_security(),
    )


def _bearer(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _sep, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


async def _refuse(send, message: str) -> None:  # noqa: ANN001
    body = json.dumps({"error": "invalid_token", "error_description": message}).encode()
    quoted = message.replace("\\", "\\\\").replace('"', '\\"')
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (
                    b"www-authenticate",
                    f'Bearer error="invalid_token", error_description="{quoted}"'.encode(
                        "ascii", "replace"
                    ),
                ),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def mcp_application(scope: dict, receive, send) -> None:  # noqa: ANN001
    """The ASGI app behind ``/mcp`` (and the lifespan the MCP session manager needs)."""
    app = _mcp_app()
    if scope["type"] != "http":
        await app(scope, receive, send)
        return
    try:
        await sync_to_async(_authenticate, thread_sensitive=False)(_bearer(scope) or "")
    except AssistantTokenError as error:
        logger.info("MCP request refused: %s", error)
        await _refuse(send, str(error))
        return
    async with ThreadSensitiveContext():
        await app(scope, receive, send)
