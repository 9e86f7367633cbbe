"""HTML views of a page's history: the list, diffs, old revisions, restoring one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wiki.errors import WikiError
from wiki.selectors.rendering import page_url
from wiki.selectors.revisions import (
    diff_revisions,
    get_revision_for_user,
    get_revision_pair_for_user,
    list_revisions,
)
from wiki.services.revisions import restore_revision
from wiki.views.common import _page, _page_or_redirect, _render, _revision_number, _space_context


@login_required
@require_GET
def page_history(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """All revisions of a page, newest first, with a form to compare any two."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space, page)
    paginator = Paginator(list_revisions(page=page), 50)
    context.update(page=page, revisions=paginator.get_page(request.GET.get("page")))
    return _render(request, "wiki/page_history.html", context, partial="rows")


@login_required
@require_GET
def page_diff(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """The difference between two revisions, inline or side by side (?mode=side)."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space, page)
    current_number = page.current_revision.number
    to_number = _revision_number(request.GET.get("to"), current_number)
    from_number = _revision_number(request.GET.get("from"), max((to_number or 1) - 1, 1))
    if to_number is None or from_number is None:
        return render(
            request,
            "wiki/page_diff.html",
            {**context, "page": page, "error": _("Revision numbers must be whole numbers.")},
            status=400,
        )
    old, new = get_revision_pair_for_user(
        user=request.user, page=page, old_number=from_number, new_number=to_number
    )
    mode = "side" if request.GET.get("mode") == "side" else "inline"
    diff = diff_revisions(old=old, new=new, inline=mode == "inline", side=mode == "side")
    context.update(
        page=page,
        old=old,
        new=new,
        mode=mode,
        stats=diff.stats,
        inline_html=diff.inline_html,
        rows=diff.rows,
    )
    return _render(request, "wiki/page_diff.html", context, partial="diff")


@login_required
@require_GET
def revision_view(request: HttpRequest, key: str, path: str, number: int) -> HttpResponse:
    """An old revision as it was rendered, with a restore button for editors."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space, page)
    revision = get_revision_for_user(user=request.user, page=page, number=number)
    context.update(page=page, revision=revision)
    return render(request, "wiki/revision_view.html", context)


@login_required
@require_POST
def revision_restore(request: HttpRequest, key: str, path: str, number: int) -> HttpResponse:
    """Make an old revision current again, as a new revision."""
    page = _page(request, key, path)
    revision = get_revision_for_user(user=request.user, page=page, number=number)
    try:
        new = restore_revision(page=page, revision=revision, by=request.user)
    except WikiError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Revision %(old)d restored as revision %(new)d.")
            % {"old": revision.number, "new": new.number},
        )
    return redirect(page_url(page))
