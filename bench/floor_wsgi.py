"""The product's WSGI application with three trivial responses in front, for http_floor.py.

Never served by ``make run``: gunicorn loads it only when ``bench/http_floor.py`` starts it.

- ``/bench/floor/raw``: answered before Django (gunicorn, the socket and the client alone);
- ``/bench/floor/anonymous``: a two-byte ``HttpResponse`` through the whole middleware stack;
- ``/bench/floor/signed-in``: the same behind ``login_required`` (session and user loaded);
- ``/bench/floor/base``: ``base.html`` rendered for the signed-in user with nothing else.

Every other path goes to the product unchanged, so the page view is measured beside them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from django.contrib.auth.decorators import login_required  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.urls import path  # noqa: E402

from config import urls  # noqa: E402


def anonymous(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def base(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {})


# The resolver reads urlpatterns on the first request, after this.
urls.urlpatterns[:0] = [
    path("bench/floor/anonymous", anonymous),
    path("bench/floor/signed-in", signed_in),
    path("bench/floor/base", base),
]


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/bench/floor/raw":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    return django_application(environ, start_response)
