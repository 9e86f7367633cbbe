"""Login, the base layout, teams, the language switcher and the API root and schema."""

import pytest
from django.test import Client

from core.models import AuditEvent, Team

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_logs_in_and_out(client: Client, teammate) -> None:  # noqa: ANN001
    from tests.conftest import PASSWORD

    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'<label for="id_username">' in page.content
    response = client.post("/accounts/login/", {"username": "teammate", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"htmx" in home.content  # served locally from django-htmx's static files
    assert b"/static/css/tacit.css" in home.content
    assert b"hx-headers" in home.content and b"X-CSRFToken" in home.content
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_a_wrong_password_gets_a_clear_error(client: Client, teammate) -> None:  # noqa: ANN001
    response = client.post("/accounts/login/", {"username": "teammate", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_team_pages_show_only_own_teams(client_for, team, teammate, outsider) -> None:  # noqa: ANN001
    assert client_for(teammate).get("/teams/platform/").status_code == 200
    assert client_for(outsider).get("/teams/platform/").status_code == 404
    assert b"Platform" not in client_for(outsider).get("/teams/").content
    assert client_for(None).get("/teams/platform/").status_code == 302
    assert client_for(teammate).post("/teams/platform/").status_code == 405


def test_the_language_switcher_shows_simplified_chinese(client_for, teammate) -> None:  # noqa: ANN001
    client = client_for(teammate)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    home = client.get("/")
    assert '<html lang="zh-hans">' in home.content.decode()
    assert "你的团队" in home.content.decode()


def test_static_files_are_served_with_nosniff(client: Client) -> None:
    response = client.get("/static/css/tacit.css")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"


def test_api_root_schema_and_docs(client_for, teammate, team) -> None:  # noqa: ANN001
    client = client_for(teammate)
    assert client.get("/api/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/teams/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    teams = client.get("/api/teams/").json()
    assert [t["slug"] for t in teams] == ["platform"]


def test_api_token_authentication(client: Client, teammate, team) -> None:  # noqa: ANN001
    from tests.conftest import PASSWORD

    bad = client.post("/api/auth/token/", {"username": "teammate", "password": "x"})
    assert bad.status_code == 400
    assert not AuditEvent.objects.filter(action="auth.token_issued").exists()
    missing = client.post("/api/auth/token/", {"username": "teammate"})
    assert missing.status_code == 400 and "password" in missing.json()
    token = client.post("/api/auth/token/", {"username": "teammate", "password": PASSWORD})
    assert token.status_code == 200
    issued = AuditEvent.objects.get(action="auth.token_issued")
    assert issued.actor == teammate and issued.target_id == str(teammate.pk)
    again = client.post("/api/auth/token/", {"username": "teammate", "password": PASSWORD})
    assert again.json()["token"] == token.json()["token"]
    anonymous = Client()
    refused = anonymous.get("/api/me/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    me = anonymous.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert me.status_code == 200 and me.json()["username"] == "teammate"


def test_seed_demo_is_idempotent() -> None:
    from django.contrib.auth import get_user_model

    from core.services import seed_demo_workspace

    first = seed_demo_workspace()
    users, teams = get_user_model().objects.count(), Team.objects.count()
    second = seed_demo_workspace()
    assert first.created and not second.created
    assert (get_user_model().objects.count(), Team.objects.count()) == (users, teams)
