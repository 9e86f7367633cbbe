"""Helpers the wiki HTML views share: htmx-aware rendering, role context, page lookup."""

from __future__ import annotations

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render

from wiki.models import Page, Role, Space
from wiki.selectors.access import get_space_access
from wiki.selectors.pages import resolve_page_for_user
from wiki.selectors.rendering import page_url


def _render(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the full page, or only ``partial`` of it for an htmx request."""
    name = f"{template}#{partial}" if partial and request.htmx else template
    return render(request, template_name=name, context=context, status=status)


def _space_context(request: HttpRequest, space: Space, page: Page | None = None) -> dict:
    """The space, the user's role in it and what that role allows, for templates and checks.

    A ``page`` the user's own lookup found already carries the role (no query).
    """
    access = get_space_access(user=request.user, space=space, page=page)
    return {
        "space": space,
        "access": access,
        "role": access.role,
        "can_edit": access.has(Role.EDITOR),
        "is_admin": access.has(Role.ADMIN),
    }


def _page(request: HttpRequest, key: str, path: str) -> Page:
    """The live page at ``path``, or the page that moved away from there.

    Actions posted to an old address (a form opened before a rename) reach the page
    instead of failing, so nothing typed is lost.
    """
    return resolve_page_for_user(user=request.user, space_key=key, path=path).page


def _page_or_redirect(
    request: HttpRequest, key: str, path: str, *, view_state: bool = False
) -> Page | HttpResponse:
    """The live page at ``path``; a GET of a moved page's old address is redirected.

    ``view_state``: the page view's lookup, see ``get_page_for_user``.
    """
    lookup = resolve_page_for_user(
        user=request.user, space_key=key, path=path, view_state=view_state
    )
    if not lookup.moved or request.method != "GET":
        return lookup.page
    suffix = request.path.split(f"/{path}/", 1)
    target = page_url(lookup.page)
    if len(suffix) == 2 and suffix[1]:
        target = f"{target}{suffix[1]}"
    if request.GET:
        target = f"{target}?{request.GET.urlencode()}"
    return HttpResponseRedirect(target, status=301)


def _revision_number(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return None
