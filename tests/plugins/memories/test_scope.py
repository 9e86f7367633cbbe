"""Every form says what does not belong in it, and warns before saving something that
touches health, family, money, mood or personality; "Save anyway" saves it."""

import pytest

from plugins.memories.models import AppreciationNote, FarewellMessage, Story, TeamRitual

pytestmark = pytest.mark.django_db

HINT = "Health, family, money, mood and personality labels do not belong here."
WARNING = "This seems to touch something that does not belong here"
OUT_OF_SCOPE = "Thanks for covering while you were on sick leave, you are so introverted."


@pytest.fixture
def forms(team, successor, board):  # noqa: ANN001
    return [
        ("/memories/thanks/", {"recipient": successor.pk, "text": OUT_OF_SCOPE}, AppreciationNote),
        (
            "/memories/stories/",
            {"team": team.pk, "title": "Cover", "text": OUT_OF_SCOPE},
            Story,
        ),
        (f"/memories/farewell/{board.pk}/", {"text": OUT_OF_SCOPE}, FarewellMessage),
        (
            "/memories/teams/platform/rituals/",
            {"kind": "ritual", "what": "Demo", "when": "Fridays", "why": OUT_OF_SCOPE},
            TeamRitual,
        ),
    ]


def test_every_form_says_what_does_not_belong(forms, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(teammate)
    for url, _data, _model in forms:
        assert HINT in client.get(url).content.decode(), url


def test_it_warns_before_saving_and_saves_only_when_confirmed(forms, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(teammate)
    for url, data, model in forms:
        response = client.post(url, data)
        assert response.status_code == 400, url
        html = response.content.decode()
        assert WARNING in html and "Save anyway" in html, url
        assert "Health" in html and "Mood or personality labels" in html, url
        assert OUT_OF_SCOPE in html  # nothing written is lost
        assert not model.objects.exists()
        response = client.post(url, {**data, "confirm_out_of_scope": "1"})
        assert response.status_code == 302, url
        assert model.objects.count() == 1


def test_the_story_edit_form_warns_too(story, teammate, client_for) -> None:  # noqa: ANN001
    response = client_for(teammate).post(
        f"/memories/stories/{story.pk}/edit/", {"title": "x", "text": "She was in a bad mood."}
    )
    assert response.status_code == 400 and WARNING in response.content.decode()
    story.refresh_from_db()
    assert story.title == "The quiet migration"
