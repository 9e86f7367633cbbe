"""HTML views of the rhythms plugin: the viewer's teams, a team's rhythms, its agreements."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from plugins.rhythms import selectors, services
from plugins.rhythms.forms import WorkingAgreementForm
from plugins.rhythms.svg import heatmap_svg, legend_svg


@login_required
@require_GET
def rhythms_home(request: HttpRequest) -> HttpResponse:
    """The teams whose rhythms the viewer may see (those they are a member of)."""
    teams = selectors.list_teams_for_member(user=request.user)
    return render(request, "plugins/rhythms/home.html", {"teams": teams})


def _heatmap_context(heatmap: selectors.Heatmap, title: str) -> dict:
    return {
        "key": heatmap.key,
        "title": title,
        "svg": heatmap_svg(heatmap, title=title),
        "legend": legend_svg(heatmap.key),
        "shown": heatmap.shown,
        "rows": heatmap.rows,
        # The table lists hours down and weekdays across: the same figures as the SVG.
        "table": [(hour, [row.cells[hour] for row in heatmap.rows]) for hour in range(24)],
    }


def _page_context(request: HttpRequest, team, form: WorkingAgreementForm | None) -> dict:  # noqa: ANN001
    rhythms = selectors.get_team_rhythms(team=team)
    return {
        "team": team,
        "agreement": selectors.get_working_agreement(team=team),
        "form": form,
        "rhythms": rhythms,
        "heatmaps": [
            _heatmap_context(rhythms.messages, _("Messages by weekday and hour")),
            _heatmap_context(rhythms.wiki, _("Wiki edits by weekday and hour")),
        ],
    }


@login_required
@require_GET
def team_rhythms(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's rhythms: its working agreements first, then the aggregates (the same for
    every member)."""
    team = selectors.get_team_for_member(slug=slug, user=request.user)
    return render(request, "plugins/rhythms/team_rhythms.html", _page_context(request, team, None))


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit the team's working agreements: the form (GET), saving it (POST).

    htmx gets the agreements section back (the form again with its errors); a page without
    JavaScript gets the whole page with the form, or a redirect once saved.
    """
    team = selectors.get_team_for_member(slug=slug, user=request.user)
    agreement = selectors.get_working_agreement(team=team)
    if request.method == "GET":
        form = WorkingAgreementForm(initial={"text": agreement.text if agreement else ""})
    else:
        form = WorkingAgreementForm(request.POST)
        if form.is_valid():
            agreement = services.save_working_agreement(
                team=team, by=request.user, text=form.cleaned_data["text"]
            )
            if request.htmx:
                context = {"team": team, "agreement": agreement, "form": None, "saved": True}
                return render(request, "plugins/rhythms/team_rhythms.html#agreements", context)
            messages.success(request, _("The working agreements are saved."))
            return redirect("rhythms:team", slug=team.slug)
    if request.htmx:
        context = {"team": team, "agreement": agreement, "form": form}
        return render(request, "plugins/rhythms/team_rhythms.html#agreements", context)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "plugins/rhythms/team_rhythms.html",
        _page_context(request, team, form),
        status=status,
    )
