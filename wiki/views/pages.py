"""HTML views of pages: create, view, edit (whole or one section), live preview."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wiki import forms
from wiki.diff import diff_side_by_side
from wiki.errors import ConflictError, TextTooLongError, WikiError
from wiki.models import Page, Role
from wiki.rendering import SectionNotFoundError, split_sections
from wiki.selectors.attachments import list_attachments
from wiki.selectors.comments import list_comments
from wiki.selectors.ownership import can_verify_page
from wiki.selectors.pages import (
    get_page_by_id_for_user,
    readable_backlinks,
)
from wiki.selectors.presence import list_editors_present
from wiki.selectors.rendering import (
    PageHrefs,
    page_action_hrefs,
    page_url,
    render_body,
    section_edit_hrefs,
)
from wiki.selectors.revisions import get_revision_for_user
from wiki.selectors.spaces import get_space_for_user
from wiki.selectors.templates import get_template_for_user, list_templates
from wiki.services.pages import create_page
from wiki.services.presence import leave_presence
from wiki.services.revisions import edit_section, publish_revision
from wiki.services.templates import fill_template
from wiki.views.common import _page_or_redirect, _render, _revision_number, _space_context


@login_required
@require_http_methods(["GET", "POST"])
def page_create(request: HttpRequest, key: str) -> HttpResponse:
    """Create a page; red links arrive here with ?title=..., and ?parent=<id> nests it."""
    space = get_space_for_user(user=request.user, key=key)
    context = _space_context(request, space)
    context["access"].require(Role.EDITOR)
    initial = {
        "title": request.GET.get("title", ""),
        "parent": _revision_number(request.GET.get("parent")),
        "template": _revision_number(request.GET.get("template")),
    }
    template = None
    if initial["template"]:
        template = get_template_for_user(
            user=request.user, template_id=initial["template"], space=space
        )
        initial["body"] = fill_template(template=template, title=initial["title"])
    form = forms.PageCreateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            parent = None
            if data["parent"]:
                parent = get_page_by_id_for_user(user=request.user, page_id=data["parent"])
            try:
                page = create_page(
                    space=space,
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    parent=parent,
                    summary=data["summary"],
                )
            except WikiError as error:
                form.add_error("title", str(error))
            else:
                return redirect(page_url(page))
    context.update(
        form=form,
        mode="create",
        template_choice=template,
        templates=list_templates(space=space),
    )
    return render(request, "wiki/page_form.html", context, status=status)


@dataclass(frozen=True)
class PageRef:
    """A page the page view links to: its title and address."""

    title: str
    href: str


@dataclass(frozen=True)
class TocEntry:
    """A heading of the contents; ``edit_href`` its section's editor, for editors only."""

    level: int
    anchor: str
    text: str
    edit_href: str | None


@login_required
@require_GET
def page_view(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """A page: its rendered text, contents, backlinks, owners, freshness, files and comments."""
    # One lookup brings the role, the watch, tags, owners, ancestors, children, backlinks
    # and whether there are files and comments; lists a page does not have are not queried.
    page = _page_or_redirect(request, key, path, view_state=True)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space, page)
    revision = page.current_revision
    owners = page.owner_list
    hrefs, space_key = PageHrefs(), page.space.key
    section_href = section_edit_hrefs(page) if context["can_edit"] else None
    context.update(
        page=page,
        revision=revision,
        actions=page_action_hrefs(page, hrefs),
        ancestors=[PageRef(title, hrefs(space_key, at)) for title, at in page.ancestor_rows],
        children=[PageRef(title, hrefs(space_key, at)) for title, at in page.child_rows],
        backlinks=[
            PageRef(title, hrefs(source_key, at))
            for title, at, source_key in readable_backlinks(user=request.user, page=page)
        ],
        toc=[
            TocEntry(
                level=heading["level"],
                anchor=heading["anchor"],
                text=heading["text"],
                edit_href=section_href(heading["section"])
                if section_href and heading.get("section")
                else None,
            )
            for heading in revision.toc or ()
        ],
        owners=owners,
        tag_names=page.tag_names,
        attachments=list_attachments(page=page) if page.has_attachments else [],
        comments=list_comments(page=page) if page.has_comments else [],
        is_stale=page.is_stale,
        can_verify=can_verify_page(
            user=request.user,
            page=page,
            role=context["role"],
            owner_ids={owner.pk for owner in owners},
        ),
        watching=page.viewer_watching,
        comment_form=forms.CommentForm(),
        attachment_form=forms.AttachmentForm(),
    )
    return _render(request, "wiki/page_view.html", context, partial="content")


def _edit_context(request: HttpRequest, page: Page, form: forms.PageEditForm) -> dict:
    context = _space_context(request, page.space, page)
    context.update(
        page=page,
        form=form,
        mode="edit",
        others_editing=list_editors_present(page=page, exclude=request.user),
    )
    return context


@login_required
@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Edit a page; a stale save merges, or shows both texts when the changes overlap."""
    page = _page_or_redirect(request, key, path)
    if isinstance(page, HttpResponse):
        return page
    context = _space_context(request, page.space, page)
    context["access"].require(Role.EDITOR)
    current = page.current_revision
    if request.method == "GET":
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
        base = get_revision_for_user(user=request.user, page=page, number=data["base"])
    except Http404:
        form.add_error(None, _("The revision you started from does not exist."))
        return render(request, template, context, status=400)
    try:
        if section is None:
            result = publish_revision(
                page=page,
                author=request.user,
                body=data["body"],
                base_revision=base,
                summary=data["summary"],
            )
        else:
            result = edit_section(
                page=page,
                author=request.user,
                index=section,
                text=data["body"],
                base_revision=base,
                summary=data["summary"],
            )
    except ConflictError as conflict:
        return _conflict(request, page, form, conflict)
    except SectionNotFoundError:
        form.add_error(None, _("That section no longer exists; edit the whole page instead."))
        return render(request, template, context, status=400)
    except WikiError as error:
        form.add_error(None, str(error))
        return render(request, template, context, status=400)
    leave_presence(page=page, user=request.user)
    if result.status == "merged":
        messages.warning(request, result.notice)
    elif result.status == "unchanged":
        messages.info(request, result.notice or _("No changes to save."))
    else:
        messages.success(request, _("Saved."))
    return redirect(page_url(page))


def _conflict(
    request: HttpRequest,
    page: Page,
    form: forms.PageEditForm,
    conflict: ConflictError,
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
    context = _space_context(request, page.space, page)
    context["access"].require(Role.EDITOR)
    current = page.current_revision
    if request.method == "POST":
        return _save_edit(request, page, forms.SectionEditForm(request.POST), section=index)
    sections = {section.index: section for section in split_sections(current.body)}
    if index not in sections:
        raise Http404("No such section.")
    form = forms.SectionEditForm(initial={"body": sections[index].text, "base": current.number})
    context = _edit_context(request, page, form)
    context.update(section=index, section_title=sections[index].title)
    return render(request, "wiki/page_form.html", context)


@login_required
@require_POST
def page_preview(request: HttpRequest, key: str) -> HttpResponse:
    """Render posted Markdown as it would appear in the space (for the live preview)."""
    space = get_space_for_user(user=request.user, key=key)
    try:
        rendered, _targets = render_body(
            space=space, body=request.POST.get("body", ""), viewer=request.user
        )
    except TextTooLongError as error:
        context = {"space": space, "preview_error": str(error), "toc": []}
        return _render(request, "wiki/page_preview.html", context, partial="preview")
    context = {"space": space, "preview_html": rendered.html, "toc": rendered.toc}
    return _render(request, "wiki/page_preview.html", context, partial="preview")
