"""HTML views of the sign-in by link: ask for a link, use it, the subject's own pages, sign out.

The pages a link session reaches are the ones decorated with
:func:`handover.rights.access.subject_or_login_required`: these, the case page, the consent
form and withdrawal page, and the deletion receipts. Everything else stays behind
``login_required``.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handover.cases.selectors import list_cases_for_subject
from handover.rights import access
from handover.rights.forms import AccessLinkRequestForm


def _link_url_for(request: HttpRequest) -> Callable[[str], str]:
    return lambda token: request.build_absolute_uri(reverse("handover:access-use", args=[token]))


@require_http_methods(["GET", "POST"])
def access_request(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link by the personal address; the answer never says if it is known."""
    form = AccessLinkRequestForm(request.POST or None)
    if request.method == "POST":
        if not access.allow_link_request(client_ip=request.META.get("REMOTE_ADDR") or ""):
            context = {"form": form, "limited": True}
            return render(request, "handover/access_request.html", context, status=429)
        if form.is_valid():
            access.request_access_link(
                email=form.cleaned_data["email"], url_for=_link_url_for(request)
            )
            context = {"minutes": settings.SUBJECT_LINK_MINUTES}
            return render(request, "handover/access_sent.html", context)
        return render(request, "handover/access_request.html", {"form": form}, status=400)
    return render(request, "handover/access_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def access_use(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners fetch links); POST uses the link and signs in."""
    try:
        if request.method == "POST":
            link = access.use_access_link(token=token)
        else:
            access.get_usable_link(token=token)
            return render(request, "handover/access_use.html", {"token": token})
    except access.AccessLinkUnknownError as error:
        return render(request, "handover/access_invalid.html", {"error": error}, status=400)
    except access.AccessLinkSpentError as error:
        return render(request, "handover/access_invalid.html", {"error": error}, status=410)
    access.open_subject_session(request, link=link)
    messages.success(request, _("You are signed in to your own handovers."))
    return redirect("handover:access-home")


@access.subject_or_login_required
@require_GET
def access_home(request: HttpRequest) -> HttpResponse:
    """The handovers in which the acting person is the one leaving, whatever their state."""
    cases = list_cases_for_subject(user=access.acting_subject(request))
    return render(request, "handover/access_home.html", {"cases": cases})


@require_POST
def access_sign_out(request: HttpRequest) -> HttpResponse:
    """End a link session (an account's session is ended by logging out, not here)."""
    if not request.user.is_authenticated:
        access.end_subject_session(request)
        messages.success(request, _("You are signed out."))
    return redirect("handover:access-request")
