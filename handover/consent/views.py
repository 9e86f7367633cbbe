"""HTML views of the consent ledger, for the subject only: choose, narrow, withdraw.

Anyone else who may see the case (manager, HR, successor) gets 404 here: these pages
are where the choices are, and they never see them.
"""

from collections.abc import Iterable
from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from handover.cases.selectors import is_subject_of
from handover.consent import purposes as consent_purposes
from handover.consent import selectors, services, terms
from handover.consent.forms import ConsentForm, ThreadScopeForm, WithdrawForm
from handover.errors import HandoverError
from handover.models import ConsentGrant, HandoverCase
from handover.rights.access import acting_subject, get_case_for_actor, subject_or_login_required


def _subject_case(request: HttpRequest, case_id: int) -> tuple[HandoverCase, AbstractBaseUser]:
    """The case if whoever acts (an account, or a link session) is its subject; and them."""
    case = get_case_for_actor(request=request, case_id=case_id)
    subject = acting_subject(request)
    if not is_subject_of(case=case, user=subject):
        raise Http404("No such page.")
    return case, subject


def _end_of_day(day) -> datetime | None:  # noqa: ANN001
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def _titled(grants: Iterable[ConsentGrant], language: str) -> list[ConsentGrant]:
    """The grants with ``purpose_title``: a plugin's purpose titled in its own words."""
    titles = {choice.value: choice.title for choice in consent_purposes.choices(language)}
    found = list(grants)
    for grant in found:
        grant.purpose_title = titles.get(grant.purpose, grant.purpose)
    return found


@subject_or_login_required
@require_http_methods(["GET", "POST"])
def consent_form(request: HttpRequest, case_id: int) -> HttpResponse:
    """Tick the conversations to share and each purpose separately; all off by default."""
    case, subject = _subject_case(request, case_id)
    groups = selectors.list_scope_choices(case=case, user=subject)
    conversation_ids = [c.pk for group in groups for c in group.conversations]
    source_conversations = {
        group.source.pk: [c.pk for c in group.conversations] for group in groups if group.source
    }
    choices = selectors.current_choices(case=case, user=subject)
    language = get_language()
    status = 200
    if request.method == "POST":
        form = ConsentForm(
            request.POST,
            conversation_ids=conversation_ids,
            source_conversations=source_conversations,
        )
        if form.is_valid():
            try:
                services.record_consent(
                    case=case,
                    by=subject,
                    purposes=form.cleaned_data["purposes"],
                    conversation_ids=form.chosen_conversations(),
                    excluded_thread_ids=selectors.threads_within(
                        choices.excluded_thread_ids, form.chosen_conversations()
                    ),
                    language=language,
                    expires_at=_end_of_day(form.cleaned_data["expires_on"]),
                )
            except HandoverError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Your choices are saved."))
                return redirect("handover:consent-form", case_id=case.pk)
        status = 400
    else:
        form = ConsentForm(
            conversation_ids=conversation_ids,
            source_conversations=source_conversations,
            initial={
                "purposes": sorted(choices.purposes),
                "conversations": sorted(choices.conversation_ids),
            },
        )
    context = {
        "case": case,
        "form": form,
        "groups": groups,
        "choices": choices,
        "preamble": terms.preamble(language),
        "purposes": consent_purposes.choices(language),
        "ledger": _titled(
            selectors.list_grants_for_subject(case=case, user=subject)[:50], language
        ),
        "purges": selectors.list_purge_jobs_for_subject(case=case, user=subject)[:20],
    }
    return render(request, "handover/consent_form.html", context, status=status)


@subject_or_login_required
@require_http_methods(["GET", "POST"])
def consent_threads(request: HttpRequest, case_id: int, conversation_id: int) -> HttpResponse:
    """Untick single threads of a shared conversation."""
    case, subject = _subject_case(request, case_id)
    threads = list(
        selectors.list_threads_for_scope(case=case, user=subject, conversation_id=conversation_id)[
            :500
        ]
    )
    if not threads:
        raise Http404("No such conversation.")
    choices = selectors.current_choices(case=case, user=subject)
    if conversation_id not in choices.conversation_ids:
        messages.error(request, _("Share the conversation first; then you can leave out threads."))
        return redirect("handover:consent-form", case_id=case.pk)
    if request.method == "POST":
        form = ThreadScopeForm(request.POST, thread_ids=[t.pk for t in threads])
        if form.is_valid():
            here = {t.pk for t in threads}
            excluded = (set(choices.excluded_thread_ids) - here) | set(
                form.cleaned_data["excluded"]
            )
            try:
                services.record_consent(
                    case=case,
                    by=subject,
                    purposes=choices.purposes,
                    conversation_ids=choices.conversation_ids,
                    excluded_thread_ids=excluded,
                    language=get_language(),
                    expires_at=choices.expires_at,
                )
            except HandoverError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Your choices are saved."))
            return redirect("handover:consent-form", case_id=case.pk)
        messages.error(request, _("Choose threads of this conversation."))
    context = {"case": case, "threads": threads, "excluded": choices.excluded_thread_ids}
    return render(request, "handover/consent_threads.html", context)


@subject_or_login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    """Withdraw everything, one purpose or one conversation; serving stops at once."""
    case, subject = _subject_case(request, case_id)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            what = form.cleaned_data["what"]
            try:
                if what == "everything":
                    job = services.withdraw_everything(case=case, by=subject)
                elif what == "purpose" and form.cleaned_data["purpose"]:
                    job = services.withdraw_consent(
                        case=case, by=subject, purposes=[form.cleaned_data["purpose"]]
                    )
                elif what == "conversation" and form.cleaned_data["conversation"]:
                    job = services.withdraw_consent(
                        case=case,
                        by=subject,
                        conversation_ids=[form.cleaned_data["conversation"]],
                    )
                else:
                    job = None
            except HandoverError as error:
                messages.error(request, str(error))
                return redirect("handover:consent-form", case_id=case.pk)
            if job is None:
                messages.info(request, _("There was nothing live to withdraw."))
            else:
                messages.success(
                    request,
                    _(
                        "Withdrawn. Nothing of it is used from now on; the copies are being "
                        "deleted and you will get a receipt."
                    ),
                )
            return redirect("handover:consent-form", case_id=case.pk)
        messages.error(request, _("Choose what to withdraw."))
        return redirect("handover:consent-form", case_id=case.pk)
    return render(request, "handover/consent_withdraw.html", {"case": case})


@login_required
@require_http_methods(["GET", "POST"])
def naming_consent(request: HttpRequest) -> HttpResponse:
    """Handovers in which you appear as someone else's colleague: agree to be named, or not."""
    from handover.privacy.selectors import list_cases_naming_user

    cases = list_cases_naming_user(user=request.user)
    if request.method == "POST":
        by_id = {case.pk: case for case in cases}
        case_id = request.POST.get("case", "")
        case = by_id.get(int(case_id)) if case_id.isdigit() else None
        if case is None:
            raise Http404("No such handover.")
        if request.POST.get("agree") == "1":
            services.grant_naming_consent(case=case, by=request.user, language=get_language())
            messages.success(request, _("You may now be named in this handover."))
        else:
            services.withdraw_naming_consent(case=case, by=request.user)
            messages.success(request, _("You are shown under a pseudonym again."))
        return redirect("handover:naming-consent")
    live = selectors.live_naming_case_ids(user=request.user)
    context = {
        "cases": [{"case": case, "agreed": case.pk in live} for case in cases],
        "terms": terms.naming_terms(get_language()).text,
    }
    return render(request, "handover/naming_consent.html", context)
