"""The profile's "AI assistants" section: create a token (shown once) and revoke one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.hooks import ProfileSection
from core.links import absolute_url
from qa.mcp.selectors import get_assistant_token_for_user, list_assistant_tokens_for_user
from qa.mcp.services import (
    AssistantTokenInputError,
    create_assistant_token,
    revoke_assistant_token,
)
from qa.models import AssistantToken


def _client_config(token: str) -> dict:
    """What an assistant's configuration needs, for the two ways to connect."""
    return {"url": absolute_url(reverse("mcp")), "token": token}


def assistants_section(request: HttpRequest, user: AbstractBaseUser) -> ProfileSection:
    return ProfileSection(
        key="assistants",
        title=_("AI assistants"),
        template="qa/mcp/profile_section.html",
        context={
            "tokens": list(list_assistant_tokens_for_user(user=user)),
            "client": _client_config("YOUR_TOKEN"),
        },
        order=50,
    )


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create a token and show it, this once (never stored, never shown again)."""
    try:
        token, raw = create_assistant_token(user=request.user, name=request.POST.get("name", ""))
    except AssistantTokenInputError as error:
        return render(request, "qa/mcp/token_error.html", {"error": str(error)}, status=400)
    return render(
        request, "qa/mcp/token_created.html", {"token": token, "client": _client_config(raw)}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = get_assistant_token_for_user(token_id=token_id, user=request.user)
    except AssistantToken.DoesNotExist as error:
        raise Http404("No such token.") from error
    revoke_assistant_token(token=token, by=request.user)
    return redirect(reverse("core:profile") + "#profile-assistants")


def served_elsewhere(request: HttpRequest) -> HttpResponse:
    """``/mcp`` reached Django: this process serves WSGI, not the ASGI site that mounts
    the assistant server (``config.asgi``, as ``make run`` serves it)."""
    return JsonResponse(
        {
            "error": "not_served_here",
            "error_description": (
                "The assistant server is part of the ASGI application (config.asgi:application); "
                "this server runs the WSGI one. Use `make run`, or `python manage.py mcp_server` "
                "over stdio."
            ),
        },
        status=503,
    )
