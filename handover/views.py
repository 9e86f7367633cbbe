"""HTML views for imports, imported conversations and threads, message search, and erasure."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from handover.forms import ImportUploadForm, MessageSearchForm
from handover.imports import selectors, services
from handover.models import Source
from handover.rights import selectors as rights_selectors
from handover.rights import services as rights_services
from handover.rights.access import acting_subject, subject_or_login_required

THREADS_PER_PAGE = 50


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    """The user's imports, newest first."""
    sources = selectors.list_sources_for_user(user=request.user)
    page = Paginator(sources, 50).get_page(request.GET.get("page"))
    return render(request, "handover/import_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload an export; it is checked at once and then imported by a worker."""
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                source = services.submit_export(
                    owner=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    format=form.cleaned_data["format"] or None,
                )
            except services.ImportRejectedError as error:
                form.add_error("file", str(error))
            else:
                return redirect("handover:import-detail", source_id=source.pk)
        return render(request, "handover/import_upload.html", {"form": form}, status=400)
    return render(request, "handover/import_upload.html", {"form": ImportUploadForm()})


@login_required
@require_GET
def import_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    """An import's progress and report; htmx polls the status partial while it runs."""
    source = selectors.get_source_for_user(source_id=source_id, user=request.user)
    context = {
        "source": source,
        "conversations": list(selectors.report_conversations(source)),
    }
    template = "handover/import_detail.html"
    if request.htmx:
        template += "#status"
    return render(request, template, context)


@login_required
@require_POST
def import_cancel(request: HttpRequest, source_id: int) -> HttpResponse:
    """Ask a queued or running import to stop."""
    source = selectors.get_source_for_user(source_id=source_id, user=request.user)
    try:
        services.cancel_import(source=source, by=request.user)
    except services.InvalidTransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The import will stop after the batch it is writing."))
    return redirect("handover:import-detail", source_id=source.pk)


@login_required
@require_POST
def import_restart(request: HttpRequest, source_id: int) -> HttpResponse:
    """Import a finished, failed or cancelled export again; nothing is stored twice."""
    source = selectors.get_source_for_user(source_id=source_id, user=request.user)
    try:
        services.start_import(source=source, by=request.user)
    except services.InvalidTransitionError as error:
        messages.error(request, str(error))
    return redirect("handover:import-detail", source_id=source.pk)


def _delete_confirmation(
    request: HttpRequest, source: Source, *, error: str = "", status: int = 200
) -> HttpResponse:
    counts = rights_selectors.plan_import_erasure(source=source).counts()
    template = "handover/import_delete.html"
    if request.htmx:
        template += "#confirmation"
    return render(
        request, template, {"source": source, "counts": counts, "error": error}, status=status
    )


@login_required
@require_GET
def import_delete_confirm(request: HttpRequest, source_id: int) -> HttpResponse:
    """What deleting an import removes, with counts, and the button; htmx gets the partial."""
    source = selectors.get_source_for_user(source_id=source_id, user=request.user)
    return _delete_confirmation(request, source)


@login_required
@require_POST
def import_delete(request: HttpRequest, source_id: int) -> HttpResponse:
    """Delete an import and what it brought, then show its receipt; 409 while it runs."""
    source = selectors.get_source_for_user(source_id=source_id, user=request.user)
    try:
        receipt = rights_services.erase_import(source=source, by=request.user)
    except rights_services.ImportRunningError as error:
        return _delete_confirmation(request, source, error=str(error), status=409)
    except rights_services.ErasureNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except Source.DoesNotExist as error:
        raise Http404("No such import.") from error
    messages.success(request, _("The import was deleted. This receipt lists what was removed."))
    url = reverse("handover:receipt-detail", args=[receipt.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@subject_or_login_required
@require_GET
def receipt_list(request: HttpRequest) -> HttpResponse:
    """The user's deletion receipts, newest first (a link session: its subject's)."""
    receipts = rights_selectors.list_receipts_for_user(user=acting_subject(request))
    page = Paginator(receipts, 50).get_page(request.GET.get("page"))
    return render(request, "handover/receipt_list.html", {"page": page})


@subject_or_login_required
@require_GET
def receipt_detail(request: HttpRequest, receipt_id: int) -> HttpResponse:
    """One deletion receipt: what was removed, how many and when; its person's only."""
    receipt = rights_selectors.get_receipt_for_user(
        receipt_id=receipt_id, user=acting_subject(request)
    )
    return render(request, "handover/receipt_detail.html", {"receipt": receipt})


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    """The user's imported conversations."""
    conversations = selectors.list_conversations_for_user(user=request.user)
    return render(request, "handover/conversation_list.html", {"conversations": conversations})


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A conversation's threads, most recent activity first, a page at a time."""
    conversation = selectors.get_conversation_for_user(
        conversation_id=conversation_id, user=request.user
    )
    page, threads = selectors.page_threads(
        conversation=conversation, page_number=request.GET.get("page"), per_page=THREADS_PER_PAGE
    )
    return render(
        request,
        "handover/conversation_detail.html",
        {"conversation": conversation, "threads": threads, "page": page},
    )


@login_required
@require_GET
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    """A thread: its root message and replies, with authors, times and attachments."""
    thread = selectors.get_thread_for_user(thread_id=thread_id, user=request.user)
    return render(
        request,
        "handover/thread_detail.html",
        # Not "messages": that name belongs to Django's messages framework (base.html's notices).
        {
            "thread": thread,
            "conversation": thread.conversation,
            "thread_messages": thread.messages.all(),
        },
    )


@login_required
@require_GET
def message_search(request: HttpRequest) -> HttpResponse:
    """Full-text search over the user's imported messages; htmx gets the results partial."""
    form = MessageSearchForm(request.GET)
    hits: list[selectors.MessageHit] = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        if query:
            hits = selectors.search_messages(user=request.user, query=query)
    template = "handover/message_search.html"
    if request.htmx:
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "query": query,
            "hits": hits,
            "search_url": reverse("handover:message-search"),
        },
        status=200 if form.is_valid() else 400,
    )
