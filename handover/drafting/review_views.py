"""HTML views of the draft's review, the citation view and the interview.

Every change is a POST that works without JavaScript (then it redirects back to the
page); an htmx request gets the changed section's partial instead. Refusals of the
services show as a message (full page) or a 400 partial (htmx); a user without a role
in the case gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handover.cases.selectors import get_case_for_user, is_subject_of
from handover.drafting import forms, generation, interview, review
from handover.drafting import review_selectors as selectors
from handover.errors import CasePermissionError, HandoverError
from handover.models import DraftSection, Thread

TEMPLATE = "handover/draft_review.html"


def _form_error(form) -> str:  # noqa: ANN001
    return "; ".join(message for errors in form.errors.values() for message in errors)


def _section_response(
    request: HttpRequest, section: DraftSection, error: str | None = None
) -> HttpResponse:
    """The section's partial (htmx) or a redirect back to it on the review page."""
    if request.htmx:
        draft = selectors.get_draft_for_user(
            case=section.case, user=request.user, section_id=section.pk
        )
        context = {
            "draft": draft,
            "case": section.case,
            "item": draft.sections[0] if draft.sections else None,
            "section_error": error,
        }
        response = render(request, f"{TEMPLATE}#section", context, status=400 if error else 200)
        # The numbers change with the section: htmx swaps them in out of band.
        numbers = render(request, f"{TEMPLATE}#completeness", {**context, "oob": True})
        response.content = response.content + numbers.content
        return response
    if error:
        messages.error(request, error)
    url = reverse("handover:draft-review", kwargs={"case_id": section.case_id})
    return redirect(f"{url}#section-{section.pk}")


def _apply(request: HttpRequest, section: DraftSection, form, action) -> HttpResponse:  # noqa: ANN001
    """Validate ``form``, call ``action(cleaned_data)``, answer with the section."""
    if not form.is_valid():
        return _section_response(request, section, _form_error(form))
    try:
        action(form.cleaned_data)
    except CasePermissionError:
        raise
    except HandoverError as error:
        return _section_response(request, section, str(error))
    return _section_response(request, section)


@login_required
@require_GET
def draft_review(request: HttpRequest, case_id: int) -> HttpResponse:
    """The draft as the viewer's role sees it: the subject reviews, successors read."""
    case = get_case_for_user(case_id=case_id, user=request.user)
    draft = selectors.get_draft_for_user(case=case, user=request.user)
    return render(request, TEMPLATE, {"case": case, "draft": draft})


@login_required
@require_GET
def draft_completeness(request: HttpRequest, case_id: int) -> HttpResponse:
    """The completeness numbers alone (the case page loads them), for every role."""
    case = get_case_for_user(case_id=case_id, user=request.user)
    draft = selectors.get_draft_for_user(case=case, user=request.user)
    return render(request, f"{TEMPLATE}#completeness", {"case": case, "draft": draft})


@login_required
@require_POST
def sentence_edit(request: HttpRequest, sentence_id: int) -> HttpResponse:
    sentence = selectors.get_sentence_for_user(sentence_id=sentence_id, user=request.user)
    return _apply(
        request,
        sentence.section,
        forms.SentenceEditForm(request.POST),
        lambda data: review.edit_sentence(sentence=sentence, by=request.user, text=data["text"]),
    )


@login_required
@require_POST
def sentence_status(request: HttpRequest, sentence_id: int) -> HttpResponse:
    sentence = selectors.get_sentence_for_user(sentence_id=sentence_id, user=request.user)
    return _apply(
        request,
        sentence.section,
        forms.SentenceStatusForm(request.POST),
        lambda data: review.set_sentence_status(
            sentence=sentence, by=request.user, status=data["status"]
        ),
    )


@login_required
@require_POST
def section_status(request: HttpRequest, section_id: int) -> HttpResponse:
    section = selectors.get_section_for_user(section_id=section_id, user=request.user)
    return _apply(
        request,
        section,
        forms.SectionStatusForm(request.POST),
        lambda data: review.set_section_status(
            section=section, by=request.user, status=data["status"]
        ),
    )


@login_required
@require_POST
def section_rename(request: HttpRequest, section_id: int) -> HttpResponse:
    section = selectors.get_section_for_user(section_id=section_id, user=request.user)
    return _apply(
        request,
        section,
        forms.SectionTitleForm(request.POST),
        lambda data: review.rename_section(section=section, by=request.user, title=data["title"]),
    )


@login_required
@require_POST
def section_comment(request: HttpRequest, section_id: int) -> HttpResponse:
    section = selectors.get_section_for_user(section_id=section_id, user=request.user)
    return _apply(
        request,
        section,
        forms.CommentForm(request.POST),
        lambda data: review.add_section_comment(
            section=section, by=request.user, body=data["body"]
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def section_rewrite(request: HttpRequest, section_id: int) -> HttpResponse:
    """The subject asks the configured model to rewrite a section (POST); GET polls it.

    The rewrite runs on the worker: the section shows that it is waiting or running, and
    its partial polls this URL until it shows the outcome.
    """
    section = selectors.get_section_for_user(section_id=section_id, user=request.user)
    if not is_subject_of(case=section.case, user=request.user):
        raise PermissionDenied(_("Only the person leaving can have a section rewritten."))
    if request.method == "GET":
        return _section_response(request, section)
    try:
        generation.request_section_rewrite(section=section, by=request.user)
    except CasePermissionError:
        raise
    except HandoverError as error:
        return _section_response(request, section, str(error))
    if not request.htmx:
        messages.info(
            request,
            _("The configured model is rewriting the section; reload the page in a moment."),
        )
    return _section_response(request, section)


def _thread_of_case(case, thread_id: int) -> Thread:  # noqa: ANN001
    thread = Thread.objects.filter(pk=thread_id, conversation__owner_id=case.subject_id).first()
    if thread is None:
        raise Http404("No such thread.")
    return thread


@login_required
@require_http_methods(["GET", "POST"])
def thread_withdraw(request: HttpRequest, case_id: int, thread_id: int) -> HttpResponse:
    """Confirm (GET), then take a thread out of every grant and out of the draft (POST)."""
    case = get_case_for_user(case_id=case_id, user=request.user)
    draft = selectors.get_draft_for_user(case=case, user=request.user)
    if not draft.may_edit:
        raise Http404("No such page.")
    thread = _thread_of_case(case, thread_id)
    if request.method == "GET":
        label = selectors.thread_labels(case=case, thread_ids={thread.pk}).get(thread.pk, "")
        return render(
            request,
            "handover/draft_review.html#withdraw-confirm",
            {"case": case, "thread": thread, "label": label},
        )
    section_id = request.POST.get("section", "")
    # Every section citing the thread changes: htmx swaps the others in out of band.
    affected = set(
        DraftSection.objects.filter(
            case=case, sentences__citations__message__thread_id=thread.pk
        ).values_list("pk", flat=True)
    )
    error = None
    try:
        review.withdraw_thread_from_draft(case=case, thread=thread, by=request.user)
    except CasePermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except HandoverError as exc:
        error = str(exc)
    if request.htmx and section_id.isdigit():
        section = DraftSection.objects.filter(pk=int(section_id), case=case).first()
        if section is not None:
            section.case = case
            response = _section_response(request, section, error)
            for other_id in sorted(affected - {section.pk}):
                other = selectors.get_draft_for_user(
                    case=case, user=request.user, section_id=other_id
                )
                if other.sections:
                    context = {"draft": other, "case": case, "item": other.sections[0]}
                    partial = render(
                        request, f"{TEMPLATE}#section", {**context, "oob_section": True}
                    )
                    response.content = response.content + partial.content
            return response
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("The thread is out of your draft and out of everything you shared."),
        )
    return redirect("handover:draft-review", case_id=case.pk)


@login_required
@require_GET
def draft_source(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    """A cited message in its thread, as the read path serves it, or "Source withheld"."""
    source = selectors.get_source_for_user(
        case_id=case_id, message_id=message_id, user=request.user
    )
    return render(request, "handover/draft_source.html", {"source": source, "case": source.case})


@login_required
@require_http_methods(["GET", "POST"])
def interview_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """The interview: the subject answers; successors read and add questions."""
    view = selectors.get_interview_for_user(case_id=case_id, user=request.user)
    question_form = forms.QuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if question_form.is_valid():
            try:
                interview.add_interview_question(
                    case=view.case, by=request.user, text=question_form.cleaned_data["text"]
                )
            except CasePermissionError:
                raise
            except HandoverError as error:
                question_form.add_error("text", str(error))
            else:
                messages.success(request, _("Your question is added."))
                return redirect("handover:interview", case_id=view.case.pk)
        status = 400
    return render(
        request,
        "handover/interview.html",
        {"case": view.case, "interview": view, "question_form": question_form},
        status=status,
    )


@login_required
@require_POST
def interview_answer(request: HttpRequest, question_id: int) -> HttpResponse:
    """The subject saves (or clears) their answer to one prompt."""
    question = selectors.get_question_for_user(question_id=question_id, user=request.user)
    form = forms.AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
    else:
        try:
            interview.answer_interview_question(
                question=question, by=request.user, text=form.cleaned_data["answer"]
            )
        except CasePermissionError:
            raise
        except HandoverError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your answer is saved."))
    url = reverse("handover:interview", kwargs={"case_id": question.case_id})
    return redirect(f"{url}#question-{question.pk}")
