"""HTML views of spaces: the list, creating one, settings and roles, the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wiki import forms
from wiki.errors import WikiError
from wiki.models import Role, Space
from wiki.selectors.notifications import count_unread_notifications
from wiki.selectors.people import UnknownNameError, get_team_by_slug, get_user_by_username
from wiki.selectors.spaces import (
    get_space_for_user,
    list_space_audit_events,
    list_space_roles,
    list_spaces,
)
from wiki.services.spaces import create_space, set_space_role, update_space
from wiki.views.common import _space_context

User = get_user_model()


@login_required
@require_GET
def space_list(request: HttpRequest) -> HttpResponse:
    """The spaces the user may read."""
    context = {
        "spaces": list_spaces(user=request.user),
        "unread": count_unread_notifications(user=request.user),
    }
    return render(request, "wiki/space_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def space_create(request: HttpRequest) -> HttpResponse:
    """Create a space; the creator becomes its admin."""
    form = forms.SpaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            space = create_space(
                name=form.cleaned_data["name"],
                key=form.cleaned_data["key"],
                description=form.cleaned_data["description"],
                is_private=form.cleaned_data["is_private"],
                by=request.user,
            )
        except WikiError as error:
            form.add_error(None, str(error))
        else:
            return redirect("wiki:space-detail", key=space.key)
    status = 400 if request.method == "POST" else 200
    return render(request, "wiki/space_create.html", {"form": form}, status=status)


@login_required
@require_GET
def space_audit(request: HttpRequest, key: str) -> HttpResponse:
    """The space's audit log (admins only)."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    context["access"].require(Role.ADMIN)
    paginator = Paginator(list_space_audit_events(space=space), 50)
    context["events"] = paginator.get_page(request.GET.get("page"))
    return render(request, "wiki/space_audit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def space_settings(request: HttpRequest, key: str) -> HttpResponse:
    """Change the space's name, visibility and roles (admins only)."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    context["access"].require(Role.ADMIN)
    settings_form = forms.SpaceSettingsForm(
        initial={
            "name": space.name,
            "description": space.description,
            "is_private": space.is_private,
        }
    )
    role_form = forms.SpaceRoleForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "role":
            role_form = forms.SpaceRoleForm(request.POST)
            if role_form.is_valid() and _apply_role(request, space, role_form):
                return redirect("wiki:space-settings", key=space.key)
        else:
            settings_form = forms.SpaceSettingsForm(request.POST)
            if settings_form.is_valid():
                try:
                    update_space(space=space, by=request.user, **settings_form.cleaned_data)
                except WikiError as error:
                    settings_form.add_error(None, str(error))
                else:
                    messages.success(request, _("Settings saved."))
                    return redirect("wiki:space-settings", key=space.key)
        status = 400
    context.update(
        settings_form=settings_form,
        role_form=role_form,
        roles=list_space_roles(space=space),
    )
    return render(request, "wiki/space_settings.html", context, status=status)


def _apply_role(request: HttpRequest, space: Space, form: forms.SpaceRoleForm) -> bool:
    data = form.cleaned_data
    user = team = None
    try:
        if data["username"]:
            user = get_user_by_username(username=data["username"])
        else:
            team = get_team_by_slug(slug=data["team_slug"])
    except UnknownNameError as error:
        form.add_error("username" if data["username"] else "team_slug", str(error))
        return False
    role = None if data["role"] == "none" else data["role"]
    try:
        set_space_role(space=space, by=request.user, role=role, user=user, team=team)
    except WikiError as error:
        form.add_error(None, str(error))
        return False
    messages.success(request, _("Role saved."))
    return True
