"""HTML views for exporting a space as a zip and importing one into an empty space.

Two buttons on the space page (admins only); the work is ``wiki.space_archive``'s, the
REST twins are ``wiki.api.archive``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wiki import space_archive
from wiki.errors import WikiError
from wiki.http import space_archive_response
from wiki.selectors.spaces import get_space_for_user


@login_required
@require_GET
def space_export(request: HttpRequest, key: str) -> FileResponse:
    """Download the space as a zip of Markdown files and attachments (admins)."""
    space = get_space_for_user(user=request.user, key=key)
    archive = space_archive.export_space_archive(space=space, by=request.user)
    return space_archive_response(space, archive)


@login_required
@require_POST
def space_import(request: HttpRequest, key: str) -> HttpResponse:
    """Fill an empty space from an uploaded export zip (admins); all pages or none."""
    space = get_space_for_user(user=request.user, key=key)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a zip file exported from a Tacit space."))
        return redirect("wiki:space-detail", key=space.key)
    try:
        report = space_archive.import_space_archive(
            space=space, archive_file=upload, by=request.user
        )
    except WikiError as error:
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
