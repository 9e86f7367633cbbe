"""The bots' HTTP interfaces: the Slack and Feishu/Lark event endpoints (signed by the
platforms, so CSRF-exempt), the page that connects a chat account, and unlinking one."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from qa.bots import feishu, slack
from qa.bots.linking import (
    ChatAccountTakenError,
    ConnectLinkError,
    get_chat_account_for_user,
    link_chat_account,
    read_connect_token,
    unlink_chat_account,
)
from qa.selectors import NotFoundError

logger = logging.getLogger("qa.bots")


def _not_configured(platform: str) -> JsonResponse:
    message = _("The %(platform)s bot is not configured.") % {"platform": platform}
    return JsonResponse({"error": message}, status=404)


@csrf_exempt
@require_POST
def slack_events(request: HttpRequest) -> HttpResponse:
    """Events, slash commands and interactions from Slack (bolt verifies and routes them)."""
    if not slack.slack_configured():
        return _not_configured("Slack")
    response = slack.slack_request_handler().handle(request)
    if response.status_code == 401:
        logger.warning(
            "Slack request refused: bad or stale signature (timestamp %r, from %s)",
            request.headers.get("X-Slack-Request-Timestamp", "")[:20],
            request.META.get("REMOTE_ADDR", ""),
        )
    return response


@csrf_exempt
@require_POST
def feishu_events(request: HttpRequest) -> HttpResponse:
    """Events and card callbacks from Feishu/Lark, checked, then dispatched by the SDK."""
    if not feishu.feishu_configured():
        return _not_configured("Feishu/Lark")
    try:
        feishu.read_feishu_request(body=request.body, headers=request.headers)
    except feishu.MalformedFeishuRequestError as error:
        return JsonResponse({"msg": str(error)}, status=400)
    except feishu.FeishuRequestError as error:
        logger.warning(
            "Feishu request refused: %s (from %s)", error, request.META.get("REMOTE_ADDR", "")
        )
        return JsonResponse({"msg": "invalid request"}, status=401)
    raw = feishu.dispatch_feishu_request(
        body=request.body, headers=request.headers, path=request.path
    )
    response = HttpResponse(raw.content, status=raw.status_code)
    response["Content-Type"] = raw.headers.get("Content-Type", "application/json; charset=utf-8")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def connect_account(request: HttpRequest, token: str) -> HttpResponse:
    """The connect link a bot sent: shows the chat account; POST links it to the signed-in
    person."""
    try:
        account = read_connect_token(token=token)
    except ConnectLinkError as error:
        return render(request, "qa/bots/connect_invalid.html", {"error": str(error)}, status=400)
    context = {"account": account, "token": token}
    if account.user_id is not None and account.user_id != request.user.pk:
        context["error"] = _("This chat account is already connected to another Tacit account.")
        return render(request, "qa/bots/connect.html", context, status=409)
    if request.method == "POST":
        try:
            account = link_chat_account(account=account, user=request.user)
        except ChatAccountTakenError as error:
            context["error"] = str(error)
            return render(request, "qa/bots/connect.html", context, status=409)
        context["account"] = account
        context["connected"] = True
    elif account.user_id == request.user.pk:
        context["connected"] = True
    return render(request, "qa/bots/connect.html", context)


@login_required
@require_POST
def chat_account_unlink(request: HttpRequest, account_id: int) -> HttpResponse:
    """Disconnect one of the signed-in person's chat accounts."""
    try:
        account = get_chat_account_for_user(account_id=account_id, user=request.user)
        unlink_chat_account(account=account, by=request.user)
    except NotFoundError as error:
        raise Http404(str(error)) from error
    return redirect("core:profile")
