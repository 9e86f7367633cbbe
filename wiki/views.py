"""HTML views for the wiki: parse input, call a selector or a service, render.

Every object comes through an access-checked selector (404 for what the user may not read);
services raise ``WikiPermissionError`` (403) when the user can read but lacks the role.
htmx requests get the matching partial of the page template, other requests the full page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.models import Team
from wiki import forms, selectors, services
from wiki.diff import diff_inline, diff_side_by_side, diff_stats
from wiki.http import attachment_file_response
from wiki.models import Page, Role, Space
from wiki.rendering import SectionNotFoundError, split_sections

User = get_user_model()
# Pages listed per level of the tree (and per page of the top level).
TREE_PAGE_SIZE = 100


# --- Helpers -----------------------------------------------------------------------------------


def _render(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the full page, or only ``partial`` of it for an htmx request."""
    name = f"{template}#{partial}" if partial and request.htmx else template
    return render(request, template_name=name, context=context, status=status)


def _space_context(request: HttpRequest, space: Space) -> dict:
    role = selectors.get_space_role(user=request.user, space=space)
    rank = {None: 0, Role.READER: 1, Role.EDITOR: 2, Role.ADMIN: 3}[role]
    return {
        "space": space,
        "role": role,
        "can_edit": rank >= 2,
        "is_admin": rank >= 3,
    }


def _require(context: dict, flag: str) -> None:
    if not context[flag]:
        raise services.WikiPermissionError(_("You do not have the role this needs."))


def _page(request: HttpRequest, key: str, path: str) -> Page:
    """The live page at ``path``, or the page that moved away from there.

    Actions posted to an old address (a form opened before a rename) reach the page
    instead of failing, so nothing typed is lost.
    """
    try:
        return selectors.get_page_for_user(user=request.user, space_key=key, path=path)
    except Http404:
        moved = selectors.find_redirect_for_user(user=request.user, space_key=key, path=path)
        if moved is None:
            raise
        return selectors.get_page_by_id_for_user(user=request.user, page_id=moved.pk)


def _page_or_redirect(request: HttpRequest, key: str, path: str) -> Page | HttpResponse:
    """The live page at ``path``; a GET of a moved page's old address is redirected."""
    if request.method != "GET":
        return _page(request, key, path)
    try:
        return selectors.get_page_for_user(user=request.user, space_key=key, path=path)
    except Http404:
        moved = selectors.find_redirect_for_user(user=request.user, space_key=key, path=path)
        if moved is None:
            raise
        suffix = request.path.split(f"/{path}/", 1)
        target = services.page_url(moved)
        if len(suffix) == 2 and suffix[1]:
            target = f"{target}{suffix[1]}"
        if request.GET:
            target = f"{target}?{request.GET.urlencode()}"
        return HttpResponseRedirect(target, status=301)


def _revision_number(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return None


# --- Spaces ------------------------------------------------------------------------------------


@login_required
@require_GET
def space_list(request: HttpRequest) -> HttpResponse:
    """The spaces the user may read."""
    context = {
        "spaces": selectors.list_spaces(user=request.user),
        "unread": selectors.count_unread_notifications(user=request.user),
    }
    return render(request, "wiki/space_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def space_create(request: HttpRequest) -> HttpResponse:
    """Create a space; the creator becomes its admin."""
    form = forms.SpaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            space = services.create_space(
                name=form.cleaned_data["name"],
                key=form.cleaned_data["key"],
                description=form.cleaned_data["description"],
                is_private=form.cleaned_data["is_private"],
                by=request.user,
            )
        except services.WikiError as error:
            form.add_error(None, str(error))
        else:
            return redirect("wiki:space-detail", key=space.key)
    status = 400 if request.method == "POST" else 200
    return render(request, "wiki/space_create.html", {"form": form}, status=status)


@login_required
@require_GET
def space_detail(request: HttpRequest, key: str) -> HttpResponse:
    """A space's page tree and recent changes."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    paginator = Paginator(selectors.list_child_pages(space=space, parent=None), TREE_PAGE_SIZE)
    context["tree"] = paginator.get_page(request.GET.get("page"))
    context["recent"] = selectors.list_pages(user=request.user, space=space).order_by(
        "-updated_at"
    )[:10]
    context["watching"] = selectors.is_watching(user=request.user, space=space)
    context["stale_count"] = selectors.list_stale_pages(user=request.user, space=space).count()
    return _render(request, "wiki/space_detail.html", context, partial="tree")


@login_required
@require_GET
def page_children(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """The pages directly under a page, for opening one branch of the tree (htmx)."""
    page = _page(request, key, path)
    context = {
        "space": page.space,
        "page": page,
        "nodes": selectors.list_child_pages(space=page.space, parent=page)[:TREE_PAGE_SIZE],
    }
    return _render(request, "wiki/page_children.html", context, partial="nodes")


@login_required
@require_POST
def space_watch(request: HttpRequest, key: str) -> HttpResponse:
    """Start or stop watching a space (``action`` = watch or unwatch)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    if request.POST.get("action") == "unwatch":
        services.unwatch(user=request.user, space=space)
    else:
        services.watch(user=request.user, space=space)
    return redirect("wiki:space-detail", key=space.key)


@login_required
@require_GET
def space_trash(request: HttpRequest, key: str) -> HttpResponse:
    """Pages in the space's trash (editors, who may undelete them)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    _require(context, "can_edit")
    context["pages"] = selectors.list_trash(space=space)
    return render(request, "wiki/space_trash.html", context)


@login_required
@require_POST
def page_undelete(request: HttpRequest, key: str, page_id: int) -> HttpResponse:
    """Bring a page back from the trash."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    page = selectors.get_page_by_id_for_user(
        user=request.user, page_id=page_id, include_deleted=True
    )
    if page.space_id != space.pk:
        raise Http404("No such page.")
    try:
        page = services.undelete_page(page=page, by=request.user)
    except services.WikiError as error:
        messages.error(request, str(error))
        return redirect("wiki:space-trash", key=space.key)
    messages.success(request, _("“%(title)s” is back.") % {"title": page.title})
    return redirect(services.page_url(page))


@login_required
@require_GET
def space_stale(request: HttpRequest, key: str) -> HttpResponse:
    """Pages of the space past their review-by date."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    owner = None
    if request.GET.get("owner"):
        owner = User.objects.filter(username=request.GET["owner"]).first()
        if owner is None:
            raise Http404("No such owner.")
    context["pages"] = selectors.list_stale_pages(user=request.user, space=space, owner=owner)
    context["owner"] = owner
    if owner is not None:
        context["heading"] = _("Pages of %(owner)s to review in %(space)s") % {
            "owner": owner.get_username(),
            "space": space.name,
        }
    else:
        context["heading"] = _("Pages to review in %(space)s") % {"space": space.name}
    return _render(request, "wiki/stale_list.html", context, partial="rows")


@login_required
@require_GET
def stale_mine(request: HttpRequest) -> HttpResponse:
    """Pages the user owns that are past their review-by date, in every space."""
    context = {
        "pages": selectors.list_stale_pages(user=request.user, owner=request.user),
        "heading": _("My pages to review"),
        "space": None,
    }
    return _render(request, "wiki/stale_list.html", context, partial="rows")


@login_required
@require_GET
def space_audit(request: HttpRequest, key: str) -> HttpResponse:
    """The space's audit log (admins only)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    _require(context, "is_admin")
    paginator = Paginator(selectors.list_space_audit_events(space=space), 50)
    context["events"] = paginator.get_page(request.GET.get("page"))
    return render(request, "wiki/space_audit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def space_settings(request: HttpRequest, key: str) -> HttpResponse:
    """Change the space's name, visibility and roles (admins only)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    _require(context, "is_admin")
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
                    services.update_space(
                        space=space, by=request.user, **settings_form.cleaned_data
                    )
                except services.WikiError as error:
                    settings_form.add_error(None, str(error))
                else:
                    messages.success(request, _("Settings saved."))
                    return redirect("wiki:space-settings", key=space.key)
        status = 400
    context.update(
        settings_form=settings_form,
        role_form=role_form,
        roles=selectors.list_space_roles(space=space),
    )
    return render(request, "wiki/space_settings.html", context, status=status)


def _apply_role(request: HttpRequest, space: Space, form: forms.SpaceRoleForm) -> bool:
    data = form.cleaned_data
    user = team = None
    if data["username"]:
        user = User.objects.filter(username=data["username"]).first()
        if user is None:
            form.add_error("username", _("No user has that username."))
            return False
    else:
        team = Team.objects.filter(slug=data["team_slug"]).first()
        if team is None:
            form.add_error("team_slug", _("No team has that slug."))
            return False
    role = None if data["role"] == "none" else data["role"]
    try:
        services.set_space_role(space=space, by=request.user, role=role, user=user, team=team)
    except services.WikiError as error:
        form.add_error(None, str(error))
        return False
    messages.success(request, _("Role saved."))
    return True


@login_required
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest, key: str) -> HttpResponse:
    """The space's page templates, and a form to add one (editors)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    form = forms.TemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _require(context, "can_edit")
        if form.is_valid():
            try:
                services.create_template(space=space, by=request.user, **form.cleaned_data)
            except services.WikiError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Template saved."))
                return redirect("wiki:template-list", key=space.key)
        status = 400
    context.update(form=form, templates=selectors.list_templates(space=space))
    return render(request, "wiki/template_list.html", context, status=status)


# --- Pages -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def page_create(request: HttpRequest, key: str) -> HttpResponse:
    """Create a page; red links arrive here with ?title=..., and ?parent=<id> nests it."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    _require(context, "can_edit")
    initial = {
        "title": request.GET.get("title", ""),
        "parent": _revision_number(request.GET.get("parent")),
        "template": _revision_number(request.GET.get("template")),
    }
    template = None
    if initial["template"]:
        template = selectors.get_template_for_user(
            user=request.user, template_id=initial["template"], space=space
        )
        initial["body"] = services.fill_template(template=template, title=initial["title"])
    form = forms.PageCreateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            parent = None
            if data["parent"]:
                parent = selectors.get_page_by_id_for_user(
                    user=request.user, page_id=data["parent"]
                )
            try:
                page = services.create_page(
                    space=space,
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    parent=parent,
                    summary=data["summary"],
                )
            except services.WikiError as error:
                form.add_error("title", str(error))
            else:
                return redirect(services.page_url(page))
    context.update(
        form=form,
        mode="create",
        template_choice=template,
        templates=selectors.list_templates(space=space),
    )
    return render(request, "wiki/page_form.html", context, status=status)


@login_required
@require_GET
def page_view(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """A page: its rendered text, contents, backlinks, owners, freshness, files and comments."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    revision = page.current_revision
    owners = list(page.owners.order_by("username"))
    today = timezone.localdate()
    context.update(
        page=page,
        revision=revision,
        ancestors=selectors.list_ancestors(page=page),
        backlinks=selectors.list_backlinks(user=request.user, page=page),
        owners=owners,
        tags=list(page.tags.all()),
        attachments=selectors.list_attachments(page=page),
        comments=selectors.list_comments(page=page),
        children=selectors.list_children(page=page),
        is_stale=page.review_by is not None and page.review_by <= today,
        can_verify=selectors.can_verify_page(
            user=request.user,
            page=page,
            role=context["role"],
            owner_ids={owner.pk for owner in owners},
        ),
        watching=selectors.is_watching(user=request.user, page=page),
        comment_form=forms.CommentForm(),
        attachment_form=forms.AttachmentForm(),
    )
    return _render(request, "wiki/page_view.html", context, partial="content")


def _edit_context(request: HttpRequest, page: Page, form: forms.PageEditForm) -> dict:
    context = _space_context(request, page.space)
    context.update(
        page=page,
        form=form,
        mode="edit",
        others_editing=selectors.list_editors_present(page=page, exclude=request.user),
    )
    return context


@login_required
@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Edit a page; a stale save merges, or shows both texts when the changes overlap."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    _require(context, "can_edit")
    current = page.current_revision
    if request.method == "GET":
        services.touch_presence(page=page, user=request.user)
        form = forms.PageEditForm(initial={"body": current.body, "base": current.number})
        return render(request, "wiki/page_form.html", _edit_context(request, page, form))
    form = forms.PageEditForm(request.POST)
    return _save_edit(request, page, form, section=None)


def _save_edit(
    request: HttpRequest,
    page: Page,
    form: forms.PageEditForm,
    *,
    section: int | None,
) -> HttpResponse:
    """Publish the edit in ``form``; render the form again with a clear error on failure."""
    template = "wiki/page_form.html"
    context = _edit_context(request, page, form)
    context["section"] = section
    if not form.is_valid():
        return render(request, template, context, status=400)
    data = form.cleaned_data
    try:
        base = selectors.get_revision_for_user(user=request.user, page=page, number=data["base"])
    except Http404:
        form.add_error(None, _("The revision you started from does not exist."))
        return render(request, template, context, status=400)
    try:
        if section is None:
            result = services.publish_revision(
                page=page,
                author=request.user,
                body=data["body"],
                base_revision=base,
                summary=data["summary"],
            )
        else:
            result = services.edit_section(
                page=page,
                author=request.user,
                index=section,
                text=data["body"],
                base_revision=base,
                summary=data["summary"],
            )
    except services.ConflictError as conflict:
        return _conflict(request, page, form, conflict)
    except SectionNotFoundError:
        form.add_error(None, _("That section no longer exists; edit the whole page instead."))
        return render(request, template, context, status=400)
    except services.WikiError as error:
        form.add_error(None, str(error))
        return render(request, template, context, status=400)
    services.leave_presence(page=page, user=request.user)
    if result.status == "merged":
        messages.warning(request, result.notice)
    elif result.status == "unchanged":
        messages.info(request, result.notice or _("No changes to save."))
    else:
        messages.success(request, _("Saved."))
    return redirect(services.page_url(page))


def _conflict(
    request: HttpRequest,
    page: Page,
    form: forms.PageEditForm,
    conflict: services.ConflictError,
) -> HttpResponse:
    """Show both texts; the editor holds the merge with markers, based on the current text."""
    current = conflict.current_revision
    resolve_form = forms.PageEditForm(
        initial={
            "body": conflict.merge.with_markers,
            "base": current.number,
            "summary": form.cleaned_data.get("summary", ""),
            "resolving": True,
        }
    )
    context = _edit_context(request, page, resolve_form)
    context.update(
        mode="conflict",
        yours=conflict.submitted,
        current=current,
        conflict_message=str(conflict),
        conflict_rows=diff_side_by_side(current.body, conflict.submitted),
    )
    return render(request, "wiki/page_form.html", context, status=409)


@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, key: str, path: str, index: int) -> HttpResponse:
    """Edit one section of a page (as numbered by ``split_sections``)."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    _require(context, "can_edit")
    current = page.current_revision
    if request.method == "POST":
        return _save_edit(request, page, forms.SectionEditForm(request.POST), section=index)
    sections = {section.index: section for section in split_sections(current.body)}
    if index not in sections:
        raise Http404("No such section.")
    services.touch_presence(page=page, user=request.user)
    form = forms.SectionEditForm(initial={"body": sections[index].text, "base": current.number})
    context = _edit_context(request, page, form)
    context.update(section=index, section_title=sections[index].title)
    return render(request, "wiki/page_form.html", context)


@login_required
@require_POST
def page_preview(request: HttpRequest, key: str) -> HttpResponse:
    """Render posted Markdown as it would appear in the space (for the live preview)."""
    space = selectors.get_space_for_user(user=request.user, key=key)
    try:
        rendered, _targets = services.render_body(
            space=space, body=request.POST.get("body", ""), viewer=request.user
        )
    except services.TextTooLongError as error:
        context = {"space": space, "preview_error": str(error), "toc": []}
        return _render(request, "wiki/page_preview.html", context, partial="preview")
    context = {"space": space, "preview_html": rendered.html, "toc": rendered.toc}
    return _render(request, "wiki/page_preview.html", context, partial="preview")


@login_required
@require_POST
def page_presence(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Note the user is editing, and list who else is (polled by the editor)."""
    page = _page(request, key, path)
    _require(_space_context(request, page.space), "can_edit")
    services.touch_presence(page=page, user=request.user)
    others = selectors.list_editors_present(page=page, exclude=request.user)
    context = {"page": page, "others_editing": others}
    return _render(request, "wiki/page_presence.html", context, partial="presence")


@login_required
@require_GET
def page_history(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """All revisions of a page, newest first, with a form to compare any two."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    paginator = Paginator(selectors.list_revisions(page=page), 50)
    context.update(page=page, revisions=paginator.get_page(request.GET.get("page")))
    return _render(request, "wiki/page_history.html", context, partial="rows")


@login_required
@require_GET
def page_diff(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """The difference between two revisions, inline or side by side (?mode=side)."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    current_number = page.current_revision.number
    to_number = _revision_number(request.GET.get("to"), current_number)
    from_number = _revision_number(request.GET.get("from"), max((to_number or 1) - 1, 1))
    if to_number is None or from_number is None:
        return render(
            request,
            "wiki/page_diff.html",
            {**context, "page": page, "error": _("Revision numbers must be whole numbers.")},
            status=400,
        )
    old = selectors.get_revision_for_user(user=request.user, page=page, number=from_number)
    new = selectors.get_revision_for_user(user=request.user, page=page, number=to_number)
    mode = "side" if request.GET.get("mode") == "side" else "inline"
    context.update(
        page=page,
        old=old,
        new=new,
        mode=mode,
        stats=diff_stats(old.body, new.body),
        inline_html=diff_inline(old.body, new.body) if mode == "inline" else "",
        rows=diff_side_by_side(old.body, new.body) if mode == "side" else [],
    )
    return _render(request, "wiki/page_diff.html", context, partial="diff")


@login_required
@require_GET
def revision_view(request: HttpRequest, key: str, path: str, number: int) -> HttpResponse:
    """An old revision as it was rendered, with a restore button for editors."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    revision = selectors.get_revision_for_user(user=request.user, page=page, number=number)
    context.update(page=page, revision=revision)
    return render(request, "wiki/revision_view.html", context)


@login_required
@require_POST
def revision_restore(request: HttpRequest, key: str, path: str, number: int) -> HttpResponse:
    """Make an old revision current again, as a new revision."""
    page = _page(request, key, path)
    revision = selectors.get_revision_for_user(user=request.user, page=page, number=number)
    try:
        new = services.restore_revision(page=page, revision=revision, by=request.user)
    except services.WikiError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Revision %(old)d restored as revision %(new)d.")
            % {"old": revision.number, "new": new.number},
        )
    return redirect(services.page_url(page))


@login_required
@require_http_methods(["GET", "POST"])
def page_move(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Rename a page and/or move it under another parent; old URLs keep redirecting."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space)
    _require(context, "can_edit")
    form = forms.MoveForm(
        request.POST or None,
        initial={"title": page.title, "parent": page.parent.path if page.parent else ""},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                page = _apply_move(request, page, form.cleaned_data)
            except services.WikiError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Page moved. Its old address redirects here."))
                return redirect(services.page_url(page))
    # Suggestions only: a large space lists its first pages, any path can be typed.
    candidates = (
        selectors.list_pages(user=request.user, space=page.space)
        .exclude(pk=page.pk)
        .exclude(path__startswith=f"{page.path}/")
        .select_related(None)
        .prefetch_related(None)
        .only("path", "title")[:200]
    )
    context.update(page=page, form=form, candidates=candidates)
    return render(request, "wiki/page_move.html", context, status=status)


def _apply_move(request: HttpRequest, page: Page, data: dict) -> Page:
    parent = None
    parent_path = data["parent"].strip().strip("/")
    if parent_path:
        try:
            parent = selectors.get_page_for_user(
                user=request.user, space_key=page.space.key, path=parent_path
            )
        except Http404 as error:
            raise services.InvalidMoveError(
                _("There is no page at “%(path)s” in this space.") % {"path": parent_path}
            ) from error
    # One form, two use cases: either both happen or neither does.
    with transaction.atomic():
        page = services.move_page(page=page, by=request.user, new_parent=parent)
        page = services.rename_page(page=page, by=request.user, new_title=data["title"])
    return page


@login_required
@require_http_methods(["GET", "POST"])
def page_delete(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Confirm (GET) and move a page to the trash (POST)."""
    page = _page(request, key, path)
    context = _space_context(request, page.space)
    _require(context, "can_edit")
    if request.method == "POST":
        try:
            services.delete_page(page=page, by=request.user)
        except services.WikiError as error:
            messages.error(request, str(error))
            return redirect(services.page_url(page))
        messages.success(request, _("“%(title)s” moved to the trash.") % {"title": page.title})
        return redirect("wiki:space-detail", key=page.space.key)
    context["page"] = page
    return render(request, "wiki/page_delete.html", context)


@login_required
@require_POST
def page_verify(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """An owner (or admin) confirms the page is still right."""
    page = _page(request, key, path)
    services.mark_verified(page=page, by=request.user)
    messages.success(request, _("Marked as verified."))
    return redirect(services.page_url(page))


@login_required
@require_POST
def page_watch(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Start or stop watching a page (``action`` = watch or unwatch)."""
    page = _page(request, key, path)
    if request.POST.get("action") == "unwatch":
        services.unwatch(user=request.user, page=page)
    else:
        services.watch(user=request.user, page=page)
    if request.htmx:
        watching = selectors.is_watching(user=request.user, page=page)
        return render(request, "wiki/page_view.html#watch", {"page": page, "watching": watching})
    return redirect(services.page_url(page))


@login_required
@require_http_methods(["GET", "POST"])
def page_settings(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Owners, review-by date and tags of a page (editors)."""
    page = _page(request, key, path)
    context = _space_context(request, page.space)
    _require(context, "can_edit")
    initial = {
        "owners": ", ".join(page.owners.order_by("username").values_list("username", flat=True)),
        "review_by": page.review_by,
        "tags": ", ".join(page.tags.values_list("name", flat=True)),
    }
    form = forms.PageSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            names = [name.strip() for name in data["owners"].split(",") if name.strip()]
            owners = list(User.objects.filter(username__in=names))
            missing = sorted(set(names) - {owner.username for owner in owners})
            if missing:
                form.add_error(
                    "owners", _("Unknown usernames: %(names)s") % {"names": ", ".join(missing)}
                )
            else:
                try:
                    with transaction.atomic():
                        services.set_page_owners(page=page, by=request.user, owners=owners)
                        services.set_review_by(
                            page=page, by=request.user, review_by=data["review_by"]
                        )
                        services.set_page_tags(
                            page=page, by=request.user, names=data["tags"].split(",")
                        )
                except services.WikiError as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("Page settings saved."))
                    return redirect(services.page_url(page))
    context.update(page=page, form=form)
    return render(request, "wiki/page_settings.html", context, status=status)


# --- Comments and attachments ------------------------------------------------------------------


@login_required
@require_POST
def comment_create(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Add a comment (any reader); @username notifies that person."""
    page = _page(request, key, path)
    form = forms.CommentForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.add_comment(page=page, author=request.user, body=form.cleaned_data["body"])
        except services.WikiError as exc:
            error = str(exc)
    else:
        error = "; ".join(message for messages_ in form.errors.values() for message in messages_)
    if request.htmx:
        context = {
            "page": page,
            "comments": selectors.list_comments(page=page),
            "comment_form": form if error else forms.CommentForm(),
            "comment_error": error,
        }
        return render(
            request, "wiki/page_view.html#comments", context, status=400 if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect(f"{services.page_url(page)}#comments")


@login_required
@require_POST
def attachment_upload(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Upload a file to a page (editors); too big, empty or disallowed files are refused."""
    page = _page(request, key, path)
    context = _space_context(request, page.space)
    _require(context, "can_edit")
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.upload_attachment(
                page=page, by=request.user, upload=form.cleaned_data["file"]
            )
        except services.WikiError as error:
            form.add_error("file", str(error))
        else:
            messages.success(request, _("Uploaded “%(name)s”.") % {"name": attachment.name})
            return redirect(f"{services.page_url(page)}#attachments")
    context.update(page=page, attachment_form=form)
    return render(request, "wiki/attachment_upload.html", context, status=400)


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve an attachment: images inline, everything else as a download, never sniffed."""
    attachment = selectors.get_attachment_for_user(user=request.user, attachment_id=attachment_id)
    return attachment_file_response(attachment)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Remove an attachment (editors)."""
    attachment = selectors.get_attachment_for_user(user=request.user, attachment_id=attachment_id)
    page = attachment.page
    services.delete_attachment(attachment=attachment, by=request.user)
    messages.success(request, _("Attachment removed."))
    return redirect(f"{services.page_url(page)}#attachments")


# --- Search and notifications ------------------------------------------------------------------


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search over what the user may read, filtered by space and tag."""
    form = forms.SearchForm(request.GET or None)
    hits: list[selectors.SearchHit] = []
    space = None
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        if form.cleaned_data["space"]:
            space = selectors.get_space_for_user(user=request.user, key=form.cleaned_data["space"])
        hits = selectors.search_pages(
            user=request.user, query=query, space=space, tag=form.cleaned_data["tag"] or None
        )
    context = {
        "form": form,
        "hits": hits,
        "query": query,
        "space": space,
        "spaces": selectors.list_spaces(user=request.user),
    }
    return _render(request, "wiki/search.html", context, partial="results")


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications; POST marks them all read."""
    if request.method == "POST":
        services.mark_notifications_read(user=request.user)
        if not request.htmx:
            return redirect("wiki:notification-list")
    notifications = selectors.list_notifications(user=request.user)[:100]
    context = {"notifications": notifications}
    return _render(request, "wiki/notification_list.html", context, partial="list")
