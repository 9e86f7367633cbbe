"""HTML views of the web chat (htmx), the knowledge-request inbox and answer entries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from qa import answers
from qa.answers import AnswerPermissionError, QuestionError
from qa.forms import AnswerRequestForm, AskForm
from qa.limits import AskRateLimitedError, take_ask
from qa.models import AnswerEntry, KnowledgeRequest
from qa.selectors import (
    NotFoundError,
    get_chat_for_user,
    get_question_for_user,
    get_request_for_user,
    is_routed_to,
    list_answer_spaces_for_user,
    list_chats_for_user,
    list_questions_of_chat,
    list_requests_for_user,
)
from wiki.models import Space
from wiki.selectors.access import readable_spaces_q


def _or_404(getter, **kwargs):  # noqa: ANN001, ANN202, ANN003
    try:
        return getter(**kwargs)
    except NotFoundError as error:
        raise Http404(str(error)) from error


def _chat_context(request: HttpRequest, chat, form=None) -> dict:  # noqa: ANN001
    return {
        "chat": chat,
        "chats": list_chats_for_user(user=request.user)[:30],
        "questions": list_questions_of_chat(chat=chat) if chat else [],
        "form": form or AskForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, chat_id: int | None = None) -> HttpResponse:
    """The chat page: the conversation so far and a question box; POST asks."""
    chat = _or_404(get_chat_for_user, chat_id=chat_id, user=request.user) if chat_id else None
    if request.method == "GET":
        return render(request, "qa/ask.html", _chat_context(request, chat))
    form = AskForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            take_ask(user=request.user)
            answer = answers.answer_question(
                user=request.user,
                question=form.cleaned_data["question"],
                chat=chat,
                new_chat=chat is None,
            )
        except QuestionError as error:
            form.add_error("question", str(error))
            status = 400
        except AskRateLimitedError as error:
            form.add_error("question", str(error))
            status = 429
        else:
            question = get_question_for_user(question_id=answer.question_id, user=request.user)
            if request.htmx:
                response = render(request, "qa/ask.html#turn", {"question": question})
                if chat is None:
                    response["HX-Push-Url"] = f"/ask/chats/{answer.chat_id}/"
                return response
            return redirect("qa:chat", chat_id=answer.chat_id)
    else:
        status = 400
    if request.htmx:
        return render(request, "qa/ask.html#ask-form", {"form": form, "chat": chat}, status=status)
    return render(request, "qa/ask.html", _chat_context(request, chat, form), status=status)


@login_required
@require_POST
def feedback(request: HttpRequest, question_id: int) -> HttpResponse:
    """Helpful or not (``helpful`` = yes / no) on one answer."""
    question = _or_404(get_question_for_user, question_id=question_id, user=request.user)
    value = request.POST.get("helpful")
    if value not in ("yes", "no"):
        return HttpResponse("Say whether the answer was helpful (yes or no).", status=400)
    question = answers.record_feedback(question=question, by=request.user, helpful=value == "yes")
    if request.htmx:
        return render(request, "qa/ask.html#turn", {"question": question})
    return redirect("qa:chat", chat_id=question.chat_id) if question.chat_id else redirect("qa:ask")


@login_required
@require_POST
def ask_person(request: HttpRequest, question_id: int) -> HttpResponse:
    """Pass the question to a person (the asker only)."""
    question = _or_404(get_question_for_user, question_id=question_id, user=request.user)
    answers.ask_a_person(question=question, by=request.user)
    question = get_question_for_user(question_id=question.pk, user=request.user)
    if request.htmx:
        return render(request, "qa/ask.html#turn", {"question": question})
    return redirect("qa:chat", chat_id=question.chat_id) if question.chat_id else redirect("qa:ask")


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Questions routed to me, and those I asked that were passed on."""
    requests = list(list_requests_for_user(user=request.user)[:200])
    mine = [r for r in requests if r.question.asked_by_id == request.user.pk]
    for_me = [r for r in requests if r.question.asked_by_id != request.user.pk]
    return render(request, "qa/request_list.html", {"for_me": for_me, "mine": mine})


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request; the people it was routed to (and editors of its space) answer it."""
    knowledge_request = _or_404(get_request_for_user, request_id=request_id, user=request.user)
    spaces = list(list_answer_spaces_for_user(user=request.user))
    routed = is_routed_to(request=knowledge_request, user=request.user)
    if routed and knowledge_request.space and knowledge_request.space not in spaces:
        spaces.insert(0, knowledge_request.space)
    may_answer = knowledge_request.status == KnowledgeRequest.Status.OPEN and bool(spaces)
    may_answer = may_answer and knowledge_request.question.asked_by_id != request.user.pk
    initial = knowledge_request.space.key if knowledge_request.space else None
    form = AnswerRequestForm(spaces=spaces, initial_space=initial)
    status = 200
    if request.method == "POST":
        form = AnswerRequestForm(request.POST, spaces=spaces, initial_space=initial)
        if not may_answer:
            return HttpResponse("You cannot answer this request.", status=403)
        if form.is_valid():
            space = next(s for s in spaces if s.key == form.cleaned_data["space"])
            try:
                answers.answer_request(
                    request=knowledge_request,
                    by=request.user,
                    answer=form.cleaned_data["answer"],
                    space=space,
                )
            except AnswerPermissionError as error:
                return HttpResponse(str(error), status=403)
            except QuestionError as error:
                form.add_error(None, str(error))
                status = 400
            else:
                return redirect("qa:request-detail", request_id=knowledge_request.pk)
        else:
            status = 400
    context = {"knowledge_request": knowledge_request, "form": form, "may_answer": may_answer}
    return render(request, "qa/request_detail.html", context, status=status)


@login_required
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    """An answered question, for the readers of its space."""
    readable = Space.objects.filter(readable_spaces_q(request.user))
    entry = (
        AnswerEntry.objects.filter(pk=entry_id, space__in=readable)
        .select_related("space", "owner")
        .first()
    )
    if entry is None:
        raise Http404("No such answer.")
    return render(request, "qa/entry_detail.html", {"entry": entry})
