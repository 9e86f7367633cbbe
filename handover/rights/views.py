"""HTML views of subject rights: what Tacit holds about me, and my data exports.

Reachable with the account or through a one-time sign-in link
(:func:`handover.rights.access.subject_or_login_required`); ``acting_subject`` is
whose data they show.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from handover.models import DataExport
from handover.rights import selectors, services
from handover.rights.access import acting_subject, subject_or_login_required
from handover.rights.http import data_export_response


@subject_or_login_required
@require_GET
def rights_overview(request: HttpRequest) -> HttpResponse:
    """Every kind of data Tacit holds about the signed-in person, with counts and links."""
    context = {
        "held": selectors.list_held_data(user=acting_subject(request)),
        "latest_export": selectors.list_data_exports_for_user(user=acting_subject(request)).first(),
        "retention_days": settings.DATA_EXPORT_RETENTION_DAYS,
    }
    return render(request, "handover/rights_overview.html", context)


def _export_list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    exports = selectors.list_data_exports_for_user(user=acting_subject(request))
    page = Paginator(exports, 50).get_page(request.GET.get("page"))
    template = "handover/data_export_list.html"
    if request.htmx:
        template += "#exports"
    context = {
        "page": page,
        "error": error,
        "retention_days": settings.DATA_EXPORT_RETENTION_DAYS,
    }
    return render(request, template, context, status=status)


@subject_or_login_required
@require_http_methods(["GET", "POST"])
def data_export_list(request: HttpRequest) -> HttpResponse:
    """The person's data exports (GET), or ask for a new one (POST); 409 while one is built."""
    if request.method == "POST":
        try:
            export = services.request_data_export(user=acting_subject(request))
        except services.DataExportInProgressError as error:
            return _export_list(request, error=str(error), status=409)
        return redirect("handover:data-export-detail", export_id=export.pk)
    return _export_list(request)


@subject_or_login_required
@require_GET
def data_export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    """One export's progress, and its download once ready; htmx polls the status partial."""
    export = selectors.get_data_export_for_user(export_id=export_id, user=acting_subject(request))
    template = "handover/data_export_detail.html"
    if request.htmx:
        template += "#status"
    context = {"export": export, "retention_days": settings.DATA_EXPORT_RETENTION_DAYS}
    return render(request, template, context)


@subject_or_login_required
@require_GET
def data_export_download(request: HttpRequest, export_id: int) -> FileResponse:
    """The export's zip, as an attachment; 404 for anyone but its person, or before it is ready."""
    export = selectors.get_data_export_for_user(export_id=export_id, user=acting_subject(request))
    if export.status != DataExport.Status.READY:
        raise Http404("The export is not ready.")
    return data_export_response(export)
