"""Pages of drafting: the progress partial on the case page, and the subject's topic page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from handover.cases.selectors import get_case_for_user, get_own_case_for_subject, is_subject_of
from handover.drafting import runs, selectors, topics
from handover.errors import HandoverError


def _progress(request: HttpRequest, case) -> HttpResponse:  # noqa: ANN001
    run = selectors.latest_run(case=case)
    context = {
        "case": case,
        "run": run,
        "is_subject": is_subject_of(case=case, user=request.user),
        "has_draft": selectors.current_run(case=case) is not None,
    }
    return render(request, "handover/draft_progress.html", context)


@login_required
@require_GET
def draft_progress(request: HttpRequest, case_id: int) -> HttpResponse:
    """The latest drafting's state and percent (the subject also gets its actions)."""
    case = get_case_for_user(case_id=case_id, user=request.user)
    return _progress(request, case)


@login_required
@require_POST
def draft_start(request: HttpRequest, case_id: int) -> HttpResponse:
    """Draft (again): the subject only."""
    case = get_own_case_for_subject(case_id=case_id, user=request.user)
    try:
        runs.start_draft_run(case=case, by=request.user)
    except HandoverError as error:
        messages.error(request, str(error))
    if request.htmx:
        return _progress(request, case)
    return redirect("handover:case-detail", case_id=case.pk)


@login_required
@require_POST
def draft_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_own_run_for_subject(run_id=run_id, user=request.user)
    try:
        runs.cancel_draft_run(run=run, by=request.user)
    except HandoverError as error:
        messages.error(request, str(error))
    if request.htmx:
        return _progress(request, run.case)
    return redirect("handover:case-detail", case_id=run.case_id)


@login_required
@require_GET
def draft_topics(request: HttpRequest, case_id: int) -> HttpResponse:
    """The current draft's topics and threads, to rename, merge and move (the subject only)."""
    case = get_own_case_for_subject(case_id=case_id, user=request.user)
    run = selectors.current_run(case=case)
    context = {
        "case": case,
        "run": run,
        "topics": list(selectors.list_topics(run=run)) if run is not None else [],
    }
    return render(request, "handover/draft_topics.html", context)


def _int_list(values: list[str]) -> list[int] | None:
    try:
        ids = [int(value) for value in values]
    except (TypeError, ValueError):
        return None
    return ids if all(0 < value < 2**62 for value in ids) else None


@login_required
@require_POST
def draft_topics_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    """One edit of the topic page: ``action`` rename, merge or move."""
    case = get_own_case_for_subject(case_id=case_id, user=request.user)
    run = selectors.current_run(case=case)
    back = redirect("handover:draft-topics", case_id=case.pk)
    if run is None:
        return back
    action = request.POST.get("action", "")
    try:
        if action == "rename":
            found = selectors.find_topics(
                run=run, topic_ids=_int_list([request.POST.get("topic", "")]) or []
            )
            if not found:
                raise topics.TopicEditError(_("No such topic."))
            topics.rename_topic(
                topic=found[0], title=request.POST.get("title", ""), by=request.user
            )
        elif action == "merge":
            ids = _int_list(request.POST.getlist("topics")) or []
            found = selectors.find_topics(run=run, topic_ids=ids)
            if found is None:
                raise topics.TopicEditError(_("No such topic."))
            topics.merge_topics(topics=found, by=request.user)
        elif action == "move":
            ids = _int_list(request.POST.getlist("threads")) or []
            threads = selectors.find_threads(run=run, thread_ids=ids)
            if threads is None:
                raise topics.TopicEditError(_("No such thread."))
            target = request.POST.get("to_topic", "")
            to_topic = None
            if target:
                found = selectors.find_topics(run=run, topic_ids=_int_list([target]) or [])
                if not found:
                    raise topics.TopicEditError(_("No such topic."))
                to_topic = found[0]
            topics.move_threads(
                threads=threads,
                by=request.user,
                to_topic=to_topic,
                title=request.POST.get("title", ""),
            )
        else:
            raise topics.TopicEditError(_("Unknown action."))
    except HandoverError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved. Changed sections are being written again."))
    return back
