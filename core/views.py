"""HTML views for the home page and teams, and the JSON health endpoint."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import health, selectors
from core.hooks import profile_sections


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Each part's state as JSON: 200 when all are well, 503 naming the failing ones."""
    checks = health.run_checks()
    failing = [name for name, check in checks.items() if not check.ok]
    body = {
        "status": "ok" if not failing else "failing",
        "failing": failing,
        "checks": {name: {"ok": c.ok, **c.details} for name, c in checks.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    teams = selectors.list_teams_for_user(user=request.user)
    return render(request, "core/home.html", {"teams": teams})


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    teams = selectors.list_teams_for_user(user=request.user)
    return render(request, "core/team_list.html", {"teams": teams})


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.get_team_for_user(slug=slug, user=request.user)
    memberships = selectors.list_team_memberships(team=team)
    return render(request, "core/team_detail.html", {"team": team, "memberships": memberships})


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own page: who they are, their teams, and what apps add."""
    teams = selectors.list_teams_for_user(user=request.user)
    return render(
        request,
        "core/profile.html",
        {"teams": teams, "sections": profile_sections(request, request.user)},
    )
