"""The assistant server, exercised with the MCP SDK's own client: over streamable HTTP
against the site's ASGI application on a real socket, and over stdio against
``manage.py mcp_server``; tokens created and revoked on the profile page."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx2
import pytest
from django.conf import settings
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from qa.mcp.services import (
    AssistantTokenError,
    AssistantTokenInputError,
    authenticate_assistant_token,
    create_assistant_token,
    hash_token,
    revoke_assistant_token,
)
from qa.models import AssistantToken, Question

QUESTION = "How do I restart the payment service?"
REPO_ROOT = Path(__file__).resolve().parents[2]


# --- Tokens and the profile page -------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_is_shown_once_and_kept_only_as_a_fingerprint(successor) -> None:  # noqa: ANN001
    token, raw = create_assistant_token(user=successor, name="Claude on my laptop")
    assert raw.startswith("tacit_") and len(raw) > 40
    assert token.token_sha256 == hash_token(raw) and raw not in token.token_sha256
    assert raw.startswith(token.prefix) and len(token.prefix) < 16
    assert authenticate_assistant_token(raw) == successor
    assert AssistantToken.objects.get().last_used_at is not None


@pytest.mark.django_db
def test_tokens_fail_clearly(successor, teammate) -> None:  # noqa: ANN001
    token, raw = create_assistant_token(user=successor, name="IDE")
    with pytest.raises(AssistantTokenError, match="not a Tacit"):
        authenticate_assistant_token("tacit_" + "x" * 43)
    with pytest.raises(AssistantTokenError, match="No token"):
        authenticate_assistant_token("")
    with pytest.raises(AssistantTokenError, match="someone else"):
        revoke_assistant_token(token=token, by=teammate)
    revoke_assistant_token(token=token, by=successor)
    with pytest.raises(AssistantTokenError, match="revoked"):
        authenticate_assistant_token(raw)
    _other, other_raw = create_assistant_token(user=teammate, name="IDE")
    teammate.is_active = False
    teammate.save()
    with pytest.raises(AssistantTokenError, match="deactivated"):
        authenticate_assistant_token(other_raw)
    with pytest.raises(AssistantTokenInputError):
        create_assistant_token(user=successor, name="   ")


@pytest.mark.django_db
def test_the_profile_creates_lists_and_revokes_tokens(successor, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(successor)
    created = client.post("/ask/assistant-tokens/", {"name": "Claude"})
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    token = AssistantToken.objects.get()
    html = created.content.decode()
    raw = html.split('id="assistant-token">', 1)[1].split("<", 1)[0]
    assert hash_token(raw) == token.token_sha256 and "mcp_server" in html
    profile = client.get("/profile/").content.decode()
    assert "Claude" in profile and token.prefix in profile and raw not in profile
    # Someone else cannot revoke it; a blank name is a clear error.
    assert client_for(teammate).post(f"/ask/assistant-tokens/{token.pk}/revoke/").status_code == 404
    assert client.post("/ask/assistant-tokens/", {"name": ""}).status_code == 400
    assert client.get("/ask/assistant-tokens/").status_code == 405
    revoked = client.post(f"/ask/assistant-tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert not token.is_active
    assert "revoked" in client.get("/profile/").content.decode()


# --- Over streamable HTTP, on a real socket ----------------------------------------------------


def _over_http(url: str, token: str, work):  # noqa: ANN001, ANN202
    async def run():  # noqa: ANN202
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            return await work(client)

    return asyncio.run(run())


@pytest.mark.django_db(transaction=True)
def test_ask_and_search_over_http_cite_what_the_asker_may_read(
    runbook,
    successor,
    asgi_site,  # noqa: ANN001
) -> None:
    _token, raw = create_assistant_token(user=successor, name="Claude")

    async def work(client):  # noqa: ANN001, ANN202
        tools = {tool.name for tool in (await client.list_tools()).tools}
        asked = await client.call_tool("ask", {"question": QUESTION})
        found = await client.call_tool("search", {"query": "restart payments", "limit": 3})
        templates = await client.list_resource_templates()
        uri = asked.structured_content["passages"][0]["citation"]["resource"]
        page = await client.read_resource(uri)
        return tools, asked, found, templates, page

    tools, asked, found, templates, page = _over_http(asgi_site, raw, work)
    assert {"ask", "search"} <= tools
    assert not asked.is_error
    answer = asked.structured_content
    assert not answer["abstained"] and "make restart-payments" in answer["answer"]
    assert answer["generated"] is False  # no endpoint configured: extractive
    citation = answer["passages"][0]["citation"]
    assert citation["title"] == runbook.title
    assert citation["url"].startswith(settings.TACIT_SITE_URL) and "#restarting" in citation["url"]
    assert citation["resource"] == f"tacit://pages/{runbook.space.key}/{runbook.path}"
    results = found.structured_content["results"]
    assert results and results[0]["citation"]["title"] == runbook.title
    assert [t.uri_template for t in templates.resource_templates] == [
        "tacit://pages/{space_key}/{+path}"
    ]
    assert "make restart-payments" in page.contents[0].text
    question = Question.objects.get()
    assert (question.surface, question.asked_by) == ("mcp", successor)


@pytest.mark.django_db(transaction=True)
def test_an_outsiders_token_finds_nothing_private(runbook, outsider, asgi_site) -> None:  # noqa: ANN001
    _token, raw = create_assistant_token(user=outsider, name="Claude")
    uri = f"tacit://pages/{runbook.space.key}/{runbook.path}"

    async def work(client):  # noqa: ANN001, ANN202
        asked = await client.call_tool("ask", {"question": QUESTION})
        found = await client.call_tool("search", {"query": "restart the payment service"})
        try:
            await client.read_resource(uri)
        except Exception as error:  # noqa: BLE001 - the SDK's error for a refused read
            refused = str(error)
        else:
            refused = ""
        return asked, found, refused

    asked, found, refused = _over_http(asgi_site, raw, work)
    assert asked.structured_content["abstained"] and not asked.structured_content["passages"]
    assert "restart-payments" not in str(asked.content)
    assert found.structured_content["results"] == []
    assert "No page" in refused


@pytest.mark.django_db(transaction=True)
def test_a_revoked_or_unknown_token_is_refused_with_401(successor, asgi_site) -> None:  # noqa: ANN001
    token, raw = create_assistant_token(user=successor, name="Claude")
    revoke_assistant_token(token=token, by=successor)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    for bearer, reason in ((raw, "revoked"), ("tacit_nope", "not a Tacit"), (None, "No token")):
        auth = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        response = httpx2.post(f"{asgi_site}/mcp", json=body, headers={**headers, **auth})
        assert response.status_code == 401
        assert reason in response.json()["error_description"]
        assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')

    async def work(client):  # noqa: ANN001, ANN202
        return await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK's own error for a 401
        _over_http(asgi_site, raw, work)
    # The rest of the site is Django, on the same application.
    assert httpx2.get(f"{asgi_site}/healthz").status_code in (200, 503)


# --- Over stdio ------------------------------------------------------------------------------


def _stdio(token: str) -> StdioServerParameters:
    env = {
        **os.environ,
        "TACIT_DB_NAME": settings.DATABASES["default"]["NAME"],
        "TACIT_MCP_TOKEN": token,
    }
    return StdioServerParameters(
        command=sys.executable, args=["manage.py", "mcp_server"], env=env, cwd=str(REPO_ROOT)
    )


@pytest.mark.django_db(transaction=True)
def test_ask_over_stdio_and_a_token_revoked_mid_session(runbook, successor) -> None:  # noqa: ANN001
    token, raw = create_assistant_token(user=successor, name="Desktop")

    async def run():  # noqa: ANN202
        async with Client(_stdio(raw), read_timeout_seconds=120) as client:
            asked = await client.call_tool("ask", {"question": QUESTION})
            too_long = await client.call_tool("ask", {"question": "x" * 2500})
            await asyncio.to_thread(revoke_assistant_token, token=token, by=successor)
            after = await client.call_tool("search", {"query": "restart"})
            return asked, too_long, after

    asked, too_long, after = asyncio.run(run())
    assert not asked.is_error
    assert asked.structured_content["passages"][0]["citation"]["title"] == runbook.title
    assert too_long.is_error and "at most 2000 characters" in too_long.content[0].text
    assert after.is_error and "revoked" in after.content[0].text


@pytest.mark.django_db(transaction=True)
def test_the_stdio_server_refuses_to_start_without_a_valid_token() -> None:
    import subprocess

    env = {**os.environ, "TACIT_DB_NAME": settings.DATABASES["default"]["NAME"]}
    env.pop("TACIT_MCP_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "mcp_server", "--token", "tacit_unknown"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "not a Tacit assistant token" in result.stderr
    assert result.stdout == ""
