"""One view, two answers: the changed fragment for htmx, a redirect for a plain form post."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def fragment_or_redirect(
    request: HttpRequest,
    *,
    fragment: str | None,
    context: dict | None = None,
    to: str,
    notice: str = "",
) -> HttpResponse:
    """What a button that changed one thing answers.

    htmx gets ``fragment`` (a template partial, ``"page.html#part"``) rendered with
    ``context``, or an empty body when ``fragment`` is None (the element it swaps goes
    away). A page without JavaScript gets ``notice`` as a success message and a redirect
    to the URL ``to``, so reloading it does not post again.
    """
    if request.htmx:
        return render(request, fragment, context or {}) if fragment else HttpResponse("")
    if notice:
        messages.success(request, notice)
    return redirect(to)
