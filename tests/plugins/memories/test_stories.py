"""Shared stories: shown to the team only once every named person approved; a decline
hides it at once; editing the text asks everyone again."""

import pytest

from plugins.memories import selectors, services
from plugins.memories.errors import MemoriesError, MemoriesPermissionError
from plugins.memories.models import Story, StoryPerson
from tests.plugins.memories.conftest import STORY

pytestmark = pytest.mark.django_db


def _stories(client) -> str:  # noqa: ANN001
    return client.get("/memories/stories/").content.decode()


def _detail(client, story) -> int:  # noqa: ANN001
    return client.get(f"/memories/stories/{story.pk}/").status_code


def test_the_team_sees_a_story_only_after_every_named_person_approved(
    story,
    teammate,
    successor,
    subject,
    manager,
    hr,
    client_for,  # noqa: ANN001
) -> None:
    team_clients = [client_for(manager), client_for(hr)]
    # The author and the people named see it from the start.
    for user in (teammate, successor, subject):
        assert _detail(client_for(user), story) == 200
    for client in team_clients:
        assert _detail(client, story) == 404
    services.answer_story(story=story, by=successor, approve=True)
    assert selectors.story_status(story) == "waiting"
    for client in team_clients:
        assert _detail(client, story) == 404 and "The quiet migration" not in _stories(client)
    services.answer_story(story=story, by=subject, approve=True)
    assert selectors.story_status(story) == "shown"
    for client in team_clients:
        assert _detail(client, story) == 200 and "The quiet migration" in _stories(client)


def test_a_decline_hides_it_at_once_even_after_approving(
    story,
    successor,
    subject,
    manager,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    services.answer_story(story=story, by=successor, approve=True)
    services.answer_story(story=story, by=subject, approve=True)
    assert _detail(client_for(manager), story) == 200
    response = client_for(subject).post(f"/memories/stories/{story.pk}/decline/", **htmx)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<article class="card memories-story-detail" id="story"')
    assert 'data-status="declined"' in html and "you declined" in html
    assert _detail(client_for(manager), story) == 404
    assert "The quiet migration" not in _stories(client_for(manager))
    # The others named see that someone declined, not who.
    other = client_for(successor).get(f"/memories/stories/{story.pk}/").content.decode()
    assert "someone named in it declined" in other and "you declined" not in other
    # Approving again shows it again.
    client_for(subject).post(f"/memories/stories/{story.pk}/approve/")
    assert _detail(client_for(manager), story) == 200


def test_editing_the_text_resets_every_answer(
    story,
    teammate,
    successor,
    subject,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    for person in (successor, subject):
        services.answer_story(story=story, by=person, approve=True)
    assert _detail(client_for(manager), story) == 200
    response = client_for(teammate).post(
        f"/memories/stories/{story.pk}/edit/",
        {"title": "The quiet migration", "text": STORY + " Except the pager."},
    )
    assert response.status_code == 302
    assert set(story.people.values_list("answer", flat=True)) == {StoryPerson.Answer.PENDING}
    assert _detail(client_for(manager), story) == 404
    # Saving the same text again changes nothing and asks no one.
    services.answer_story(story=story, by=successor, approve=True)
    services.edit_story(
        story=story, by=teammate, title=story.title, text=STORY + " Except the pager."
    )
    assert story.people.get(user=successor).answer == StoryPerson.Answer.APPROVED


def test_only_the_author_edits_or_deletes_and_only_named_people_answer(
    story,
    teammate,
    successor,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    with pytest.raises(MemoriesPermissionError):
        services.edit_story(story=story, by=successor, title="Mine", text="Mine")
    with pytest.raises(MemoriesPermissionError):
        services.answer_story(story=story, by=teammate, approve=True)
    with pytest.raises(MemoriesPermissionError):
        services.delete_story(story=story, by=successor)
    assert client_for(successor).get(f"/memories/stories/{story.pk}/edit/").status_code == 403
    assert client_for(successor).post(f"/memories/stories/{story.pk}/delete/").status_code == 403
    assert client_for(teammate).post(f"/memories/stories/{story.pk}/approve/").status_code == 403
    story.refresh_from_db()
    assert story.title == "The quiet migration"
    assert client_for(teammate).post(f"/memories/stories/{story.pk}/delete/").status_code == 302
    assert not Story.objects.exists()


def test_a_story_naming_no_one_is_shown_to_the_team_at_once(
    team,
    teammate,
    manager,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    story = services.write_story(team=team, author=teammate, title="Launch day", text="We did it.")
    assert _detail(client_for(manager), story) == 200
    assert _detail(client_for(outsider), story) == 404


def test_a_deactivated_named_person_keeps_it_hidden_and_leaves_the_lists(
    story,
    successor,
    subject,
    manager,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    for person in (successor, subject):
        services.answer_story(story=story, by=person, approve=True)
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    # They can no longer decline, so the team no longer sees it; nor is their name listed.
    assert _detail(client_for(manager), story) == 404
    page = client_for(teammate).get(f"/memories/stories/{story.pk}/").content.decode()
    assert f'data-person="{subject.pk}"' not in page
    assert f'value="{subject.pk}"' not in _stories(client_for(teammate))


def test_a_deactivated_author_takes_the_story_out_of_every_list(
    story,
    teammate,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    assert _detail(client_for(successor), story) == 404


def test_bad_input_is_a_clear_error_and_saves_nothing(
    team,
    teammate,
    outsider,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(teammate)
    response = client.post(
        "/memories/stories/",
        {"team": team.pk, "title": "Launch", "text": "We did it.", "named": [outsider.pk]},
    )
    assert response.status_code == 400
    assert "We did it." in response.content.decode()
    response = client.post("/memories/stories/", {"team": team.pk, "title": "", "text": "x"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not Story.objects.exists()
    with pytest.raises(MemoriesError):
        services.write_story(team=team, author=teammate, title="A", text="B", named=[outsider])
    with pytest.raises(MemoriesPermissionError):
        services.write_story(team=team, author=outsider, title="A", text="B")
    assert not Story.objects.exists()
    response = client.post(
        "/memories/stories/",
        {"team": team.pk, "title": "Launch", "text": "We did it.", "named": [successor.pk]},
    )
    assert response.status_code == 302
    assert list(Story.objects.get().people.values_list("user", flat=True)) == [successor.pk]


def test_the_author_is_never_named_in_their_own_story(team, teammate, successor) -> None:  # noqa: ANN001
    story = services.write_story(
        team=team, author=teammate, title="A", text="B", named=[teammate, successor]
    )
    assert list(story.people.values_list("user", flat=True)) == [successor.pk]
