"""The profile page: the person, their teams and the sections apps register."""

import pytest

from core.hooks import ProfileSection, _profile_sections, profile_sections, register_profile_section

pytestmark = pytest.mark.django_db


def test_the_profile_shows_the_person_and_their_teams(team, successor, client_for) -> None:  # noqa: ANN001
    response = client_for(successor).get("/profile/")
    html = response.content.decode()
    assert response.status_code == 200
    assert successor.get_username() in html and team.name in html
    assert 'id="nav-profile"' in html


def test_the_profile_needs_a_sign_in(client_for) -> None:  # noqa: ANN001
    assert client_for(None).get("/profile/").status_code == 302


def test_sections_are_asked_per_person_and_ordered(rf, successor, teammate) -> None:  # noqa: ANN001
    saved = dict(_profile_sections)
    try:
        register_profile_section(
            "late", lambda request, user: ProfileSection("late", "Late", "x.html", order=200)
        )
        register_profile_section(
            "mine",
            lambda request, user: (
                ProfileSection("mine", "Mine", "x.html", order=1) if user == successor else None
            ),
        )
        keys = [s.key for s in profile_sections(rf.get("/"), successor)]
        assert keys.index("mine") < keys.index("late")
        assert "mine" not in [s.key for s in profile_sections(rf.get("/"), teammate)]
    finally:
        _profile_sections.clear()
        _profile_sections.update(saved)


def test_links_that_leave_the_site_are_absolute(settings) -> None:  # noqa: ANN001
    from core.links import absolute_url

    settings.TACIT_SITE_URL = "https://tacit.example.org/team"
    assert absolute_url("/wiki/p/1/#x") == "https://tacit.example.org/team/wiki/p/1/#x"
    assert absolute_url("https://elsewhere.example/a") == "https://elsewhere.example/a"
    assert absolute_url("") == ""
