"""HTML view for adding a comment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from wiki import forms
from wiki.errors import WikiError
from wiki.selectors.comments import list_comments
from wiki.selectors.rendering import page_url
from wiki.services.comments import add_comment
from wiki.views.common import _page


@login_required
@require_POST
def comment_create(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Add a comment (any reader); @username notifies that person."""
    page = _page(request, key, path)
    form = forms.CommentForm(request.POST)
    error = None
    if form.is_valid():
        try:
            add_comment(page=page, author=request.user, body=form.cleaned_data["body"])
        except WikiError as exc:
            error = str(exc)
    else:
        error = "; ".join(message for messages_ in form.errors.values() for message in messages_)
    if request.htmx:
        context = {
            "page": page,
            "comments": list_comments(page=page),
            "comment_form": form if error else forms.CommentForm(),
            "comment_error": error,
        }
        return render(
            request, "wiki/page_view.html#comments", context, status=400 if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect(f"{page_url(page)}#comments")
