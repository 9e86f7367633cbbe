"""Health, family, money, mood and personality labels do not belong in a manual, a topic
or a note: each form says so, and warns before saving one, in English and Chinese."""

import pytest
from django.utils import translation

from plugins.relationships.models import AskMeTopic, PersonNote, WorkingManual
from plugins.relationships.scope import out_of_scope_labels, personality_labels

pytestmark = pytest.mark.django_db

HINT = "Health, family, money, mood and personality labels do not belong here."


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("She is off sick this week", "Health"),
        ("他最近在住院", "Health"),
        ("Leaves early for the school run", "Family"),
        ("家里有事，下午不在", "Family"),
        ("Knows everyone's salary", "Pay and compensation"),
        ("他的年终奖很高", "Pay and compensation"),
        ("Very moody in the mornings", "Mood or personality labels"),
        ("An introvert, do not call him", "Mood or personality labels"),
        ("他性格内向", "Mood or personality labels"),
        ("脾气不好，早上别找他", "Mood or personality labels"),
    ],
)
def test_out_of_scope_texts_are_named(text: str, label: str) -> None:
    with translation.override("en"):
        assert label in out_of_scope_labels(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ask about the billing migration",
        "账单迁移和发布流程",
        "Health checks of the payment service",
        "Performance regression in the search index",
        "Child processes of the worker",
    ],
)
def test_work_texts_are_in_scope(text: str) -> None:
    assert out_of_scope_labels(text) == []


def test_personality_labels_are_found_as_written() -> None:
    assert personality_labels("an INTJ and an introvert; 情绪化") == ["INTJ", "introvert", "情绪化"]
    assert personality_labels("intj in lower case is not a label") == []


@pytest.mark.parametrize(
    ("url", "forms"),
    [("/people/me/", 2), ("/people/{subject}/", 1), ("/people/notes/{note}/edit/", 1)],
)
def test_every_form_says_what_does_not_belong_there(
    url,
    forms,
    subject,
    teammate,
    note,
    client_for,  # noqa: ANN001
) -> None:
    html = client_for(teammate).get(url.format(subject=subject.pk, note=note.pk)).content.decode()
    assert html.count(HINT) == forms  # /people/me/: the manual and the topic forms


def test_a_note_out_of_scope_is_saved_only_once_confirmed(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(teammate)
    url = f"/people/{subject.pk}/notes/"
    response = client.post(url, {"text": "Often off sick on Mondays"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="message warning scope-warning"' in html and "Health" in html
    assert 'name="confirm_out_of_scope"' in html and "Save anyway" in html
    assert not PersonNote.objects.exists()
    response = client.post(url, {"text": "Often off sick on Mondays", "confirm_out_of_scope": "1"})
    assert response.status_code == 302
    assert PersonNote.objects.get().text == "Often off sick on Mondays"


def test_a_chinese_note_about_mood_is_warned_about(team, subject, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(teammate)
    response = client.post(
        f"/people/{subject.pk}/notes/", {"text": "他脾气不好"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Mood or personality labels" in response.content.decode()
    assert not PersonNote.objects.exists()


def test_a_manual_out_of_scope_is_saved_only_once_confirmed(subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    data = {"how_to_ask": "Slack", "hours": "我下午要接孩子", "glad_to_help": ""}
    html = client.post("/people/me/", data).content.decode()
    assert "Family" in html and "Save anyway" in html
    assert not WorkingManual.objects.exists()
    # The warning keeps what was written, to change or to confirm.
    assert "我下午要接孩子" in html
    assert client.post("/people/me/", {**data, "confirm_out_of_scope": "1"}).status_code == 302
    assert WorkingManual.objects.get(user=subject).hours == "我下午要接孩子"


def test_a_topic_out_of_scope_is_saved_only_once_confirmed(subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    html = client.post("/people/me/topics/", {"topic": "salary bands"}).content.decode()
    assert "Pay and compensation" in html
    assert not AskMeTopic.objects.exists()
    client.post("/people/me/topics/", {"topic": "salary bands", "confirm_out_of_scope": "1"})
    assert AskMeTopic.objects.get(user=subject).topic == "salary bands"


def test_an_edit_out_of_scope_is_warned_about_too(team, subject, note, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    html = client.post(f"/people/notes/{note.pk}/edit/", {"text": "绩效一般"}).content.decode()
    assert "Performance review" in html
    note.refresh_from_db()
    assert note.text == "Ask her about the billing migration."


def test_a_form_in_scope_saves_at_once(subject, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).post("/people/me/topics/", {"topic": "发布流程"})
    assert response.status_code == 302 and AskMeTopic.objects.get().topic == "发布流程"
