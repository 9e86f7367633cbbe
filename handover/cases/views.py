"""HTML views of handover cases: the list, opening one, and each role's timeline page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.selectors import list_audit_events
from handover.cases import selectors, services
from handover.cases.forms import CaseOpenForm, PersonalEmailForm
from handover.errors import HandoverError
from handover.rights.access import get_case_for_actor, roles_for_actor, subject_or_login_required

# The audit actions an overseer may see on the timeline: states, never choices.
OVERSEER_ACTIONS = ("case.opened", "case.state_changed", "case.updated")

# What each audit action of a case means, in words (unknown actions show their name).
ACTION_LABELS = {
    "case.opened": gettext_lazy("The handover was opened"),
    "case.state_changed": gettext_lazy("The state changed"),
    "case.updated": gettext_lazy("The handover's details changed"),
    "case.personal_email_set": gettext_lazy("A personal e-mail address was registered"),
    "case.subject_people_set": gettext_lazy("You said which people are you"),
    "case.key_destroyed": gettext_lazy("The pseudonym key was destroyed"),
    "consent.recorded": gettext_lazy("You recorded your choices"),
    "consent.withdrawn": gettext_lazy("You withdrew consent"),
    "consent.purged": gettext_lazy("Copies were deleted after a withdrawal"),
    "privacy.redaction_released": gettext_lazy("You released a redaction"),
    "privacy.redaction_added": gettext_lazy("You added a redaction"),
    "privacy.topic_included": gettext_lazy("You included a message left out as private"),
    "privacy.topic_excluded": gettext_lazy("You left a message out as private again"),
}


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The handovers the user takes part in."""
    cases = selectors.list_cases_for_user(user=request.user)
    return render(request, "handover/case_list.html", {"cases": cases})


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest) -> HttpResponse:
    """Open a handover: the person leaving themself, or a manager or HR person of the team."""
    form = CaseOpenForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.open_case(
                    subject=data["subject"],
                    team=data["team"],
                    by=request.user,
                    last_day=data["last_day"],
                    successors=data["successors"],
                    space=data["space"],
                    language=data["language"],
                )
            except HandoverError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The handover is opened."))
                return redirect("handover:case-detail", case_id=case.pk)
        return render(request, "handover/case_open.html", {"form": form}, status=400)
    return render(request, "handover/case_open.html", {"form": form})


def _timeline(case, roles) -> list[dict]:  # noqa: ANN001
    """The case's audit rows: all of them for the subject, state changes for everyone else."""
    events = list_audit_events(scope=f"case:{case.pk}")
    if selectors.SUBJECT not in roles:
        events = events.filter(action__in=OVERSEER_ACTIONS)
    timeline = []
    for event in events[:200]:
        label = str(ACTION_LABELS.get(event.action, event.action))
        if event.action == "case.state_changed":
            label = _("Now “%(state)s”") % {
                "state": case.State(event.details.get("to", case.state)).label
            }
        timeline.append({"at": event.created_at, "label": label, "action": event.action})
    return timeline


@subject_or_login_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """A case's checklist and timeline as the viewer's role sees them.

    A link session sees its own cases as their subject (``request.subject_access``); the
    template leaves out the steps that need the account.
    """
    case = get_case_for_actor(request=request, case_id=case_id)
    roles = roles_for_actor(request=request, case=case)
    context = {
        "case": case,
        "roles": roles,
        "is_subject": selectors.SUBJECT in roles,
        "may_close": bool(roles & services.MAY_MOVE_TO[case.State.CLOSED])
        and not case.is_finished
        and request.subject_access is None,
        "checklist": selectors.build_checklist(case=case, roles=roles),
        "timeline": _timeline(case, roles),
        "after_last_day": selectors.is_after_last_day(case),
        "email_form": PersonalEmailForm(initial={"personal_email": case.personal_email})
        if selectors.SUBJECT in roles
        else None,
    }
    template = "handover/case_detail.html"
    if request.htmx:
        template += "#checklist"
    return render(request, template, context)


@login_required
@require_POST
def case_transition(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """Move the case on (start drafting, submit for review, publish, close)."""
    service = services.STEPS.get(action)
    if service is None:
        raise Http404("No such step.")
    case = selectors.get_case_for_user(case_id=case_id, user=request.user)
    try:
        service(case=case, by=request.user)
    except HandoverError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The handover is now “%(state)s”.") % {"state": case.get_state_display()}
        )
    return redirect("handover:case-detail", case_id=case.pk)


@login_required
@require_POST
def case_personal_email(request: HttpRequest, case_id: int) -> HttpResponse:
    """The subject registers (or clears) their personal address."""
    case = selectors.get_case_for_user(case_id=case_id, user=request.user)
    form = PersonalEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address."))
        return redirect("handover:case-detail", case_id=case.pk)
    try:
        services.set_personal_email(
            case=case, by=request.user, email=form.cleaned_data["personal_email"]
        )
    except HandoverError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your personal e-mail address is saved."))
    return redirect("handover:case-detail", case_id=case.pk)
