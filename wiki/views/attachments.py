"""HTML views of attachments: upload, download, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wiki import forms
from wiki.errors import WikiError
from wiki.http import attachment_file_response
from wiki.models import Role
from wiki.selectors.attachments import get_attachment_for_user
from wiki.selectors.rendering import page_url
from wiki.services.attachments import delete_attachment, upload_attachment
from wiki.views.common import _page, _space_context


@login_required
@require_POST
def attachment_upload(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Upload a file to a page (editors); too big, empty or disallowed files are refused."""
    page = _page(request, key, path)
    context = _space_context(request, page.space, page)
    context["access"].require(Role.EDITOR)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = upload_attachment(
                page=page, by=request.user, upload=form.cleaned_data["file"]
            )
        except WikiError as error:
            form.add_error("file", str(error))
        else:
            messages.success(request, _("Uploaded “%(name)s”.") % {"name": attachment.name})
            return redirect(f"{page_url(page)}#attachments")
    context.update(page=page, attachment_form=form)
    return render(request, "wiki/attachment_upload.html", context, status=400)


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve an attachment: images inline, everything else as a download, never sniffed."""
    attachment = get_attachment_for_user(user=request.user, attachment_id=attachment_id)
    return attachment_file_response(attachment)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Remove an attachment (editors)."""
    attachment = get_attachment_for_user(user=request.user, attachment_id=attachment_id)
    page = attachment.page
    delete_attachment(attachment=attachment, by=request.user)
    messages.success(request, _("Attachment removed."))
    return redirect(f"{page_url(page)}#attachments")
