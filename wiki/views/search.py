"""HTML view of the wiki search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.views.decorators.http import require_GET

from wiki import forms
from wiki.selectors.search import SearchHit, search_pages
from wiki.selectors.spaces import get_space_for_user, list_spaces
from wiki.views.common import _render


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search over what the user may read, filtered by space and tag."""
    form = forms.SearchForm(request.GET or None)
    hits: list[SearchHit] = []
    space = None
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        if form.cleaned_data["space"]:
            space = get_space_for_user(user=request.user, key=form.cleaned_data["space"])
        hits = search_pages(
            user=request.user, query=query, space=space, tag=form.cleaned_data["tag"] or None
        )
    context = {
        "form": form,
        "hits": hits,
        "query": query,
        "space": space,
        "spaces": list_spaces(user=request.user),
    }
    return _render(request, "wiki/search.html", context, partial="results")
