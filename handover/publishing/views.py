"""HTML views of publishing: the preview and publish step, and the pages to pass on.

The subject previews and publishes; the successors and overseers see which pages were
published (never the drafts); the subject and successors confirm or leave out pages.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from handover.cases.selectors import SUBJECT, SUCCESSOR
from handover.errors import HandoverError
from handover.publishing import selectors, services
from handover.rights.access import get_case_for_actor, roles_for_actor, subject_or_login_required


@subject_or_login_required
@require_http_methods(["GET", "POST"])
def publish_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """GET: what would be published (subject) and what was (everyone on the case); POST: publish."""
    case = get_case_for_actor(request=request, case_id=case_id)
    roles = roles_for_actor(request=request, case=case)
    is_subject = SUBJECT in roles
    if request.method == "POST":
        if not is_subject or not request.user.is_authenticated:
            raise PermissionDenied(_("Only the person leaving can publish their handover."))
        try:
            rows = services.publish_case(case=case, by=request.user)
        except HandoverError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Published %(count)d pages into the wiki.") % {"count": len(rows)}
            )
        return redirect("handover:publish-case", case_id=case.pk)
    context = {
        "case": case,
        "is_subject": is_subject,
        "previews": selectors.preview_publication(case=case) if is_subject else [],
        "published": list(selectors.list_published_pages(case=case)),
    }
    return render(request, "handover/publish_case.html", context)


def _party_case(request: HttpRequest, case_id: int):  # noqa: ANN202
    case = get_case_for_actor(request=request, case_id=case_id)
    roles = roles_for_actor(request=request, case=case)
    if not roles & {SUBJECT, SUCCESSOR} or not request.user.is_authenticated:
        raise Http404("No such page.")
    return case, roles


@subject_or_login_required
@require_http_methods(["GET"])
def page_reassignments(request: HttpRequest, case_id: int) -> HttpResponse:
    """The subject's own wiki pages, proposed to pass to the successors."""
    case, roles = _party_case(request, case_id)
    items = services.propose_page_reassignments(case=case, by=request.user)
    context = {
        "case": case,
        "items": items,
        "is_subject": SUBJECT in roles,
        "is_successor": SUCCESSOR in roles,
    }
    return render(request, "handover/publish_pages.html", context)


@subject_or_login_required
@require_POST
def page_reassignment_action(
    request: HttpRequest, case_id: int, reassignment_id: int, action: str
) -> HttpResponse:
    """Confirm (as subject or successor) or leave out one page."""
    case, roles = _party_case(request, case_id)
    item = selectors.get_reassignment(case=case, reassignment_id=reassignment_id)
    if item is None or action not in {"confirm", "exclude"}:
        raise Http404("No such page.")
    try:
        if action == "exclude":
            services.exclude_page(case=case, reassignment=item, by=request.user)
        elif SUBJECT in roles:
            services.confirm_reassignment_as_subject(case=case, reassignment=item, by=request.user)
        else:
            services.confirm_reassignment_as_successor(
                case=case, reassignment=item, by=request.user
            )
    except HandoverError as error:
        messages.error(request, str(error))
    return redirect("handover:page-reassignments", case_id=case.pk)
