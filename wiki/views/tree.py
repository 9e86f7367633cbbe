"""HTML views of the page tree: a space's tree, branches, moving, trashing and undeleting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wiki import forms
from wiki.errors import InvalidMoveError, WikiError
from wiki.models import Page, Role
from wiki.selectors.notifications import is_watching
from wiki.selectors.ownership import list_stale_pages
from wiki.selectors.pages import (
    get_page_by_id_for_user,
    get_page_for_user,
    list_child_pages,
    list_pages,
    list_trash,
)
from wiki.selectors.rendering import page_url
from wiki.selectors.spaces import get_space_for_user
from wiki.services.tree import (
    delete_page,
    move_and_rename_page,
    undelete_page,
)
from wiki.views.common import _page, _page_or_redirect, _render, _space_context

# Pages listed per level of the tree (and per page of the top level).
TREE_PAGE_SIZE = 100


@login_required
@require_GET
def space_detail(request: HttpRequest, key: str) -> HttpResponse:
    """A space's page tree and recent changes."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    paginator = Paginator(list_child_pages(space=space, parent=None), TREE_PAGE_SIZE)
    context["tree"] = paginator.get_page(request.GET.get("page"))
    context["recent"] = list_pages(user=request.user, space=space).order_by("-updated_at")[:10]
    context["watching"] = is_watching(user=request.user, space=space)
    context["stale_count"] = list_stale_pages(user=request.user, space=space).count()
    return _render(request, "wiki/space_detail.html", context, partial="tree")


@login_required
@require_GET
def page_children(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """The pages directly under a page, for opening one branch of the tree (htmx)."""
    page = _page(request, key, path)
    context = {
        "space": page.space,
        "page": page,
        "nodes": list_child_pages(space=page.space, parent=page)[:TREE_PAGE_SIZE],
    }
    return _render(request, "wiki/page_children.html", context, partial="nodes")


@login_required
@require_GET
def space_trash(request: HttpRequest, key: str) -> HttpResponse:
    """Pages in the space's trash (editors, who may undelete them)."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    context["access"].require(Role.EDITOR)
    context["pages"] = list_trash(space=space)
    return render(request, "wiki/space_trash.html", context)


@login_required
@require_POST
def page_undelete(request: HttpRequest, key: str, page_id: int) -> HttpResponse:
    """Bring a page back from the trash."""
    space = get_space_for_user(user=request.user, key=key)
    page = get_page_by_id_for_user(user=request.user, page_id=page_id, include_deleted=True)
    if page.space_id != space.pk:
        raise Http404("No such page.")
    try:
        page = undelete_page(page=page, by=request.user)
    except WikiError as error:
        messages.error(request, str(error))
        return redirect("wiki:space-trash", key=space.key)
    messages.success(request, _("“%(title)s” is back.") % {"title": page.title})
    return redirect(page_url(page))


@login_required
@require_http_methods(["GET", "POST"])
def page_move(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Rename a page and/or move it under another parent; old URLs keep redirecting."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space, page)
    context["access"].require(Role.EDITOR)
    form = forms.MoveForm(
        request.POST or None,
        initial={"title": page.title, "parent": page.parent.path if page.parent else ""},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                page = _apply_move(request, page, form.cleaned_data)
            except WikiError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Page moved. Its old address redirects here."))
                return redirect(page_url(page))
    # Suggestions only: a large space lists its first pages, any path can be typed.
    candidates = (
        list_pages(user=request.user, space=page.space)
        .exclude(pk=page.pk)
        .exclude(path__startswith=f"{page.path}/")
        .select_related(None)
        .prefetch_related(None)
        .only("path", "title")[:200]
    )
    context.update(page=page, form=form, candidates=candidates)
    return render(request, "wiki/page_move.html", context, status=status)


def _apply_move(request: HttpRequest, page: Page, data: dict) -> Page:
    parent = None
    parent_path = data["parent"].strip().strip("/")
    if parent_path:
        try:
            parent = get_page_for_user(
                user=request.user, space_key=page.space.key, path=parent_path
            )
        except Http404 as error:
            raise InvalidMoveError(
                _("There is no page at “%(path)s” in this space.") % {"path": parent_path}
            ) from error
    return move_and_rename_page(
        page=page, by=request.user, new_parent=parent, new_title=data["title"]
    )


@login_required
@require_http_methods(["GET", "POST"])
def page_delete(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Confirm (GET) and move a page to the trash (POST)."""
    page = _page(request, key, path)
    context = _space_context(request, page.space, page)
    context["access"].require(Role.EDITOR)
    if request.method == "POST":
        try:
            delete_page(page=page, by=request.user)
        except WikiError as error:
            messages.error(request, str(error))
            return redirect(page_url(page))
        messages.success(request, _("“%(title)s” moved to the trash.") % {"title": page.title})
        return redirect("wiki:space-detail", key=page.space.key)
    context["page"] = page
    return render(request, "wiki/page_delete.html", context)
