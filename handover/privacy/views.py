"""HTML views of the privacy room, for the subject only: what was redacted, what was left
out as a private topic, and which people of their imports are themself."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handover.cases import services as case_services
from handover.cases.selectors import get_own_case_for_subject
from handover.errors import HandoverError
from handover.models import HandoverCase, PreparedMessage
from handover.privacy import selectors, services
from handover.privacy.out_of_scope import TOPIC_LABELS
from handover.privacy.redaction import KIND_LABELS


def _subject_case(request: HttpRequest, case_id: int) -> HandoverCase:
    return get_own_case_for_subject(case_id=case_id, user=request.user)


def _with_topic_label(prepared: PreparedMessage) -> PreparedMessage:
    prepared.topic_label = TOPIC_LABELS.get(
        prepared.out_of_scope_topic, prepared.out_of_scope_topic
    )
    return prepared


class _AddRedactionForm(forms.Form):
    message = forms.IntegerField(min_value=1)
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)


@login_required
@require_GET
def privacy_review(request: HttpRequest, case_id: int) -> HttpResponse:
    """The masked redactions grouped by kind, and the messages left out of scope."""
    case = _subject_case(request, case_id)
    shared = Paginator(selectors.list_prepared_messages(case=case), 50).get_page(
        request.GET.get("page")
    )
    groups = [
        {
            "kind": group.kind,
            "label": KIND_LABELS.get(group.kind, group.kind),
            "rows": group.redactions,
        }
        for group in selectors.list_redaction_groups(case=case)
    ]
    context = {
        "case": case,
        "groups": groups,
        "out_of_scope": [
            _with_topic_label(prepared) for prepared in selectors.list_out_of_scope(case=case)[:500]
        ],
        "shared": shared,
        "prepared_count": shared.paginator.count,
    }
    return render(request, "handover/privacy_review.html", context)


@login_required
@require_POST
def redaction_release(request: HttpRequest, case_id: int, redaction_id: int) -> HttpResponse:
    """Release a false positive: the text is shown again in drafts and answers."""
    case = _subject_case(request, case_id)
    redaction = selectors.get_redaction_in_case(case=case, redaction_id=redaction_id)
    services.release_redaction(redaction=redaction, by=request.user)
    messages.success(request, _("Released: that text is no longer redacted."))
    return redirect("handover:privacy-review", case_id=case.pk)


@login_required
@require_POST
def redaction_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """Redact text the detectors missed, selected in one of the subject's messages."""
    case = _subject_case(request, case_id)
    form = _AddRedactionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Select the text to redact inside a message."))
        return redirect("handover:privacy-review", case_id=case.pk)
    message = selectors.get_subject_message(case=case, message_id=form.cleaned_data["message"])
    try:
        services.add_redaction(
            case=case,
            message=message,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            by=request.user,
        )
    except HandoverError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Redacted."))
    return redirect("handover:privacy-review", case_id=case.pk)


@login_required
@require_POST
def out_of_scope_include(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    """Include a message that was wrongly caught as a private topic (or leave it out again)."""
    case = _subject_case(request, case_id)
    prepared = selectors.get_prepared_message(case=case, message_id=message_id)
    if prepared is None or not prepared.out_of_scope_topic:
        raise Http404("No such message.")
    include = request.POST.get("include", "1") == "1"
    services.include_out_of_scope_message(prepared=prepared, by=request.user, include=include)
    messages.success(request, _("Included.") if include else _("Left out again."))
    return redirect("handover:privacy-review", case_id=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def subject_people(request: HttpRequest, case_id: int) -> HttpResponse:
    """Say which people of your imports are you; everyone else is shown under a pseudonym."""
    case = _subject_case(request, case_id)
    people = list(selectors.list_subject_people_choices(case=case)[:2000])
    if request.method == "POST":
        ids = [int(value) for value in request.POST.getlist("people") if value.isdigit()]
        try:
            case_services.set_subject_people(case=case, by=request.user, person_ids=ids)
        except HandoverError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved. Your messages are being prepared again."))
            return redirect("handover:case-detail", case_id=case.pk)
    chosen = set(case.subject_people.values_list("pk", flat=True))
    return render(
        request,
        "handover/subject_people.html",
        {"case": case, "people": people, "chosen": chosen},
    )


@login_required
@require_GET
def privacy_message(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    """One of the subject's messages as imported beside what drafts and indexes get of it.

    Selecting text in the original and choosing "Redact" adds a redaction (a small
    script fills in the character positions; the form works without it too).
    """
    case = _subject_case(request, case_id)
    message = selectors.get_subject_message(case=case, message_id=message_id)
    context = {
        "case": case,
        "message": message,
        "prepared": selectors.get_prepared_message(case=case, message_id=message.pk),
        "redactions": selectors.list_message_redactions(case=case, message=message),
    }
    return render(request, "handover/privacy_message.html", context)
