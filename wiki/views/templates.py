"""HTML view of a space's page templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wiki import forms
from wiki.errors import WikiError
from wiki.models import Role
from wiki.selectors.spaces import get_space_for_user
from wiki.selectors.templates import list_templates
from wiki.services.templates import create_template
from wiki.views.common import _space_context


@login_required
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest, key: str) -> HttpResponse:
    """The space's page templates, and a form to add one (editors)."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    form = forms.TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        context["access"].require(Role.EDITOR)
        if form.is_valid():
            try:
                create_template(space=space, by=request.user, **form.cleaned_data)
            except WikiError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Template saved."))
                return redirect("wiki:template-list", key=space.key)
        status = 400
    context.update(form=form, templates=list_templates(space=space))
    return render(request, "wiki/template_list.html", context, status=status)
