"""The MCP server: ``ask`` and ``search`` tools and page resources, for one person's token.

Every call authenticates its token again (a revoked token stops at once, also in a
running stdio session) and goes through the one answer service (``qa.answers``), with the
asker's own access and consent filter and the same citations as the web chat. Database
work runs in a worker thread (``sync_to_async``); within a web request, in that request's
own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections
from django.http import Http404
from django.urls import reverse
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from pydantic import BaseModel, Field

from core.links import absolute_url
from qa import answers
from qa.answers import AnswerPassage, AnswerPermissionError, Citation, QuestionError
from qa.limits import AskRateLimitedError, take_ask
from qa.mcp.services import AssistantTokenError, authenticate_assistant_token
from qa.models import Chunk
from wiki.selectors.pages import get_page_for_user
from wiki.selectors.rendering import page_url

T = TypeVar("T")

INSTRUCTIONS = (
    "Tacit is a team's consented memory: wiki pages, handover notes and answered questions. "
    "Use `ask` for a question in plain words: it answers from what the token's owner may "
    "read, citing each source, or says it does not know and passes the question to a "
    "person. Use `search` to find passages. Quote only passages marked quoted; cite the "
    "url of every source you use. Read a whole page with its `resource` URI."
)


class SourceCitation(BaseModel):
    """Where a passage comes from."""

    kind: str = Field(
        description="page, thread, entry (an answered question) or plugin (a plugin's document)"
    )
    title: str
    heading: str
    url: str = Field(description="An absolute link to the source in Tacit")
    owner: str
    date: str | None = Field(description="When the source last changed (ISO date)")
    verified: bool
    stale: bool = Field(description="True: past its review date; it may be out of date")
    resource: str | None = Field(
        default=None, description="The page's resource URI (pages only), to read all of it"
    )


class Passage(BaseModel):
    text: str = Field(description="The passage; empty when its source may not be quoted")
    quoted: bool = Field(description="False: cite the source, do not quote it")
    highlighted: list[str] = Field(description="The sentences that answer the question")
    score: float
    citation: SourceCitation


class AskResult(BaseModel):
    question: str
    answer: str
    generated: bool = Field(
        default=False,
        description=(
            "True: the answer was written by the operator's configured model from the "
            "passages, each sentence ending with the numbers of the passages it used "
            "([1] is the first); false: the passages' own sentences"
        ),
    )
    abstained: bool = Field(
        description="True: the memory holds no confident answer; a person was asked"
    )
    confidence: float
    passages: list[Passage]
    asked_people: list[str] = Field(description="Who the question was passed to, if anyone")
    request_url: str | None = Field(
        default=None, description="The knowledge request filed for the question, to follow it"
    )


class SearchResult(BaseModel):
    query: str
    results: list[Passage]


def _citation(citation: Citation, resource: str | None) -> SourceCitation:
    return SourceCitation(
        kind=citation.kind,
        title=citation.title,
        heading=citation.heading,
        url=absolute_url(citation.url),
        owner=citation.owner,
        date=citation.date,
        verified=citation.verified,
        stale=citation.stale,
        resource=resource,
    )


def _page_resources(passages: list[AnswerPassage]) -> dict[int, str]:
    """The resource URI of the page each page passage comes from, by chunk id."""
    rows = Chunk.objects.filter(
        pk__in=[p.chunk_id for p in passages], kind=Chunk.Kind.PAGE, page__isnull=False
    ).values_list("pk", "page__space__key", "page__path")
    return {pk: f"tacit://pages/{key}/{path}" for pk, key, path in rows}


def _passage(passage: AnswerPassage, resources: dict[int, str]) -> Passage:
    return Passage(
        text=passage.text,
        quoted=passage.quoted,
        highlighted=[s.text for s in passage.sentences if s.highlighted],
        score=passage.score,
        citation=_citation(passage.citation, resources.get(passage.chunk_id)),
    )


def _in_thread(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` with the database connection handling of a Django request around it."""

    def run(*args: object, **kwargs: object) -> T:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            # The thread is the request's own and ends with it: close what it opened.
            connections.close_all()

    return run


def _user_for(raw_token: str):  # noqa: ANN202 - a user
    try:
        return authenticate_assistant_token(raw_token)
    except AssistantTokenError as error:
        raise ToolError(str(error)) from error


def _ask(raw_token: str, question: str) -> AskResult:
    user = _user_for(raw_token)
    try:
        take_ask(user=user)
        answer = answers.answer_question(user=user, question=question, surface="mcp")
    except (QuestionError, AskRateLimitedError, AnswerPermissionError) as error:
        raise ToolError(str(error)) from error
    resources = _page_resources(answer.passages)
    return AskResult(
        question=answer.question,
        answer=answer.answer,
        generated=answer.generated,
        abstained=answer.abstained,
        confidence=answer.confidence,
        passages=[_passage(p, resources) for p in answer.passages],
        asked_people=[person.name for person in answer.routed_to],
        request_url=absolute_url(reverse("qa:request-detail", args=[answer.request_id]))
        if answer.request_id
        else None,
    )


def _search(raw_token: str, query: str, limit: int) -> SearchResult:
    user = _user_for(raw_token)
    try:
        take_ask(user=user)
        found = answers.search_passages(user=user, query=query, limit=limit)
    except (QuestionError, AskRateLimitedError, AnswerPermissionError) as error:
        raise ToolError(str(error)) from error
    resources = _page_resources(found)
    return SearchResult(query=query, results=[_passage(p, resources) for p in found])


def _read_page(raw_token: str, space_key: str, path: str) -> str:
    try:
        user = authenticate_assistant_token(raw_token)
    except AssistantTokenError as error:
        raise ResourceNotFoundError(str(error)) from error
    try:
        page = get_page_for_user(user=user, space_key=space_key, path=path)
    except Http404 as error:
        raise ResourceNotFoundError(f"No page {space_key}/{path} that you may read.") from error
    revision = page.current_revision
    body = revision.body if revision is not None else ""
    return f"# {page.title}\n\nSource: {absolute_url(page_url(page))}\n\n{body}"


def build_server(*, stdio_token: str | None = None) -> MCPServer:
    """The server with its tools; ``stdio_token`` is the token of a stdio session (over
    HTTP each request's bearer token is used instead)."""

    def current_token() -> str:
        access = get_access_token()
        if access is not None:
            return access.token
        if stdio_token is not None:
            return stdio_token
        raise ToolError("No token: this server needs a Tacit assistant token.")

    def call(fn: Callable[..., T], *args: object) -> T:
        return sync_to_async(_in_thread(fn), thread_sensitive=True)(current_token(), *args)

    from qa.mcp.asgi import token_verifier

    server = MCPServer(
        name="tacit",
        title="Tacit team memory",
        instructions=INSTRUCTIONS,
        website_url=settings.TACIT_SITE_URL,
        token_verifier=None if stdio_token is not None else token_verifier(),
        auth=None if stdio_token is not None else _auth_settings(),
    )

    @server.tool(
        name="ask",
        title="Ask the team memory",
        description=(
            "Answer a question from the team's memory, with a citation for every passage, "
            "or abstain and pass the question to a person who may know."
        ),
    )
    async def ask(
        question: Annotated[
            str, Field(description="The question, in plain words (at most 2,000 characters)")
        ],
    ) -> AskResult:
        return await call(_ask, question)

    @server.tool(
        name="search",
        title="Search the team memory",
        description="Passages that match the query, best first, each with its citation.",
    )
    async def search(
        query: Annotated[str, Field(description="What to look for, in plain words")],
        limit: Annotated[int, Field(ge=1, le=20, description="How many passages")] = 5,
    ) -> SearchResult:
        return await call(_search, query, limit)

    @server.resource(
        "tacit://pages/{space_key}/{+path}",
        name="page",
        title="A wiki page",
        description="A page's Markdown, if the token's owner may read it.",
        mime_type="text/markdown",
    )
    async def page(space_key: str, path: str) -> str:
        return await call(_read_page, space_key, path)

    return server


def _auth_settings():  # noqa: ANN202 - mcp.server.auth.settings.AuthSettings
    from mcp.server.auth.settings import AuthSettings

    return AuthSettings(
        issuer_url=settings.TACIT_SITE_URL,
        resource_server_url=f"{settings.TACIT_SITE_URL}/mcp",
        required_scopes=[],
        # Tacit's tokens are its own (not OAuth tokens for several resources).
        validate_token_resource=False,
    )
