"""HTML views of ownership and freshness: stale lists, verification, page settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wiki import forms
from wiki.errors import WikiError
from wiki.models import Role
from wiki.selectors.ownership import list_stale_pages
from wiki.selectors.people import UnknownNameError, get_user_by_username, list_users_by_username
from wiki.selectors.rendering import page_url
from wiki.selectors.spaces import get_space_for_user
from wiki.services.ownership import (
    mark_verified,
    update_page_settings,
)
from wiki.views.common import _page, _render, _space_context

User = get_user_model()


@login_required
@require_GET
def space_stale(request: HttpRequest, key: str) -> HttpResponse:
    """Pages of the space past their review-by date."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    owner = None
    if request.GET.get("owner"):
        try:
            owner = get_user_by_username(username=request.GET["owner"])
        except UnknownNameError as error:
            raise Http404("No such owner.") from error
    context["pages"] = list_stale_pages(user=request.user, space=space, owner=owner)
    context["owner"] = owner
    if owner is not None:
        context["heading"] = _("Pages of %(owner)s to review in %(space)s") % {
            "owner": owner.get_username(),
            "space": space.name,
        }
    else:
        context["heading"] = _("Pages to review in %(space)s") % {"space": space.name}
    return _render(request, "wiki/stale_list.html", context, partial="rows")


@login_required
@require_GET
def stale_mine(request: HttpRequest) -> HttpResponse:
    """Pages the user owns that are past their review-by date, in every space."""
    context = {
        "pages": list_stale_pages(user=request.user, owner=request.user),
        "heading": _("My pages to review"),
        "space": None,
    }
    return _render(request, "wiki/stale_list.html", context, partial="rows")


@login_required
@require_POST
def page_verify(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """An owner (or admin) confirms the page is still right."""
    page = _page(request, key, path)
    mark_verified(page=page, by=request.user)
    messages.success(request, _("Marked as verified."))
    return redirect(page_url(page))


@login_required
@require_http_methods(["GET", "POST"])
def page_settings(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Owners, review-by date and tags of a page (editors)."""
    page = _page(request, key, path)
    context = _space_context(request, page.space, page)
    context["access"].require(Role.EDITOR)
    initial = {
        "owners": ", ".join(page.owners.order_by("username").values_list("username", flat=True)),
        "review_by": page.review_by,
        "tags": ", ".join(page.tags.values_list("name", flat=True)),
    }
    form = forms.PageSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            names = [name.strip() for name in data["owners"].split(",") if name.strip()]
            try:
                owners = list_users_by_username(usernames=names)
            except UnknownNameError as error:
                form.add_error("owners", str(error))
            else:
                try:
                    update_page_settings(
                        page=page,
                        by=request.user,
                        owners=owners,
                        review_by=data["review_by"],
                        tags=data["tags"].split(","),
                    )
                except WikiError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("Page settings saved."))
                    return redirect(page_url(page))
    context.update(page=page, form=form)
    return render(request, "wiki/page_settings.html", context, status=status)
