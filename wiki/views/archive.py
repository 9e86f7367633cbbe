"""HTML views for exporting a space as a zip and importing one into an empty space.

Two buttons on the space page (admins only), kept apart from ``wiki.views`` so the
export/import feature lives in one place with ``wiki.space_archive`` and ``wiki.api``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wiki import selectors, services, space_archive


@login_required
@require_GET
def space_export(request: HttpRequest, key: str) -> FileResponse:
    """Download the space as a zip of Markdown files and attachments (admins)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    archive = space_archive.export_space_archive(space=space, by=request.user)
    response = FileResponse(
        archive, as_attachment=True, filename=f"{space.key}.zip", content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def space_import(request: HttpRequest, key: str) -> HttpResponse:
    """Fill an empty space from an uploaded export zip (admins); all pages or none."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a zip file exported from a Tacit space."))
        return redirect("wiki:space-detail", key=space.key)
    try:
        report = space_archive.import_space_archive(
            space=space, archive_file=upload, by=request.user
        )
    except services.WikiError as error:
        messages.error(request, str(error))
        return redirect("wiki:space-detail", key=space.key)
    messages.success(
        request,
        _("Imported %(pages)d pages and %(files)d attachments.")
        % {"pages": report.pages, "files": report.attachments},
    )
    for line in report.skipped[:20]:
        messages.warning(request, line)
    return redirect("wiki:space-detail", key=space.key)
