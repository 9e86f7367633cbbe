"""HTML views of watching and notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from wiki.selectors.notifications import is_watching, list_notifications
from wiki.selectors.rendering import page_url
from wiki.selectors.spaces import get_space_for_user
from wiki.services.notifications import mark_notifications_read, unwatch, watch
from wiki.views.common import _page, _render


@login_required
@require_POST
def space_watch(request: HttpRequest, key: str) -> HttpResponse:
    """Start or stop watching a space (``action`` = watch or unwatch)."""
    space = get_space_for_user(user=request.user, key=key)
    if request.POST.get("action") == "unwatch":
        unwatch(user=request.user, space=space)
    else:
        watch(user=request.user, space=space)
    return redirect("wiki:space-detail", key=space.key)


@login_required
@require_POST
def page_watch(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Start or stop watching a page (``action`` = watch or unwatch)."""
    page = _page(request, key, path)
    if request.POST.get("action") == "unwatch":
        unwatch(user=request.user, page=page)
    else:
        watch(user=request.user, page=page)
    if request.htmx:
        watching = is_watching(user=request.user, page=page)
        return render(request, "wiki/page_view.html#watch", {"page": page, "watching": watching})
    return redirect(page_url(page))


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications; POST marks them all read."""
    if request.method == "POST":
        mark_notifications_read(user=request.user)
        if not request.htmx:
            return redirect("wiki:notification-list")
    notifications = list_notifications(user=request.user)[:100]
    context = {"notifications": notifications}
    return _render(request, "wiki/notification_list.html", context, partial="list")
