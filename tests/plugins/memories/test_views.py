"""Each persona against each view: who gets the page, who a 404, a 403 or the sign-in,
and the wrong method.

In these tests the teammate is the author (of the note, the story and a farewell
message), the successor the recipient of the note and a person named in the story, the
subject the person leaving (and also named in the story), the manager a team member who
is none of these; the outsider is in no team; the operator and the superuser are staff.
"""

import pytest

from plugins.memories import services
from plugins.memories.models import AppreciationNote, FarewellMessage, Story, TeamRitual

pytestmark = pytest.mark.django_db

STAFF = ["operator", "superuser"]
ALL = ["subject", "manager", "successor", "teammate", "outsider", *STAFF]


def _user(request, name: str):  # noqa: ANN001, ANN202
    return request.getfixturevalue(name)


@pytest.fixture
def message(board, teammate):  # noqa: ANN001, ANN201
    return services.write_farewell_message(board=board, author=teammate, text="Thank you!")


@pytest.fixture
def urls(note, story, board, message, ritual) -> dict:  # noqa: ANN001
    return {
        "note": note.pk,
        "story": story.pk,
        "board": board.pk,
        "message": message.pk,
        "ritual": ritual.pk,
    }


GET_PAGES = [
    "/memories/",
    "/memories/thanks/",
    "/memories/stories/",
    "/memories/stories/{story}/",
    "/memories/stories/{story}/edit/",
    "/memories/farewell/{board}/",
    "/memories/teams/platform/rituals/",
    "/memories/rituals/{ritual}/",
    "/memories/rituals/{ritual}/edit/",
]
POSTS = [
    "/memories/thanks/",
    "/memories/thanks/{note}/visibility/",
    "/memories/thanks/{note}/delete/",
    "/memories/stories/",
    "/memories/stories/{story}/edit/",
    "/memories/stories/{story}/approve/",
    "/memories/stories/{story}/decline/",
    "/memories/stories/{story}/delete/",
    "/memories/farewell/{board}/",
    "/memories/farewell/messages/{message}/keep/",
    "/memories/farewell/messages/{message}/not-kept/",
    "/memories/farewell/messages/{message}/delete/",
    "/memories/teams/platform/rituals/",
    "/memories/rituals/{ritual}/edit/",
    "/memories/rituals/{ritual}/delete/",
]


@pytest.mark.parametrize("url", GET_PAGES)
def test_anonymous_is_sent_to_sign_in(url, urls, client_for) -> None:  # noqa: ANN001
    response = client_for(None).get(url.format(**urls))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", POSTS)
def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(url, urls, client_for) -> None:  # noqa: ANN001
    response = client_for(None).post(url.format(**urls), {"text": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AppreciationNote.objects.count() == Story.objects.count() == 1
    assert FarewellMessage.objects.count() == TeamRitual.objects.count() == 1


# (url, {persona: status}); a persona left out gets 404.
PAGE_ACCESS = [
    ("/memories/", dict.fromkeys(ALL, 200)),
    ("/memories/thanks/", dict.fromkeys(ALL, 200)),
    ("/memories/stories/", dict.fromkeys(ALL, 200)),
    # Named people and the author see a story before it is approved; the team does not.
    ("/memories/stories/{story}/", {"teammate": 200, "successor": 200, "subject": 200}),
    ("/memories/stories/{story}/edit/", {"teammate": 200, "successor": 403, "subject": 403}),
    (
        "/memories/farewell/{board}/",
        {"subject": 200, "manager": 200, "successor": 200, "teammate": 200},
    ),
    (
        "/memories/teams/platform/rituals/",
        {"subject": 200, "manager": 200, "successor": 200, "teammate": 200},
    ),
    (
        "/memories/rituals/{ritual}/",
        {"subject": 200, "manager": 200, "successor": 200, "teammate": 200},
    ),
    (
        "/memories/rituals/{ritual}/edit/",
        {"subject": 200, "manager": 200, "successor": 200, "teammate": 200},
    ),
]


@pytest.mark.parametrize(("url", "access"), PAGE_ACCESS)
@pytest.mark.parametrize("persona", ALL)
def test_each_persona_gets_each_page(request, persona, url, access, urls, client_for) -> None:  # noqa: ANN001
    response = client_for(_user(request, persona)).get(url.format(**urls))
    assert response.status_code == access.get(persona, 404)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("successor", 302), ("teammate", 403), ("manager", 404), ("outsider", 404)]
    + [(name, 404) for name in STAFF],
)
def test_only_the_recipient_sets_a_notes_visibility(
    request,
    persona,
    status,
    note,
    team,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(_user(request, persona)).post(
        f"/memories/thanks/{note.pk}/visibility/",
        {f"note-{note.pk}-visibility": "team", f"note-{note.pk}-team": team.pk},
    )
    assert response.status_code == status
    note.refresh_from_db()
    assert (note.visibility == "team") == (status == 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("successor", 302), ("teammate", 302), ("manager", 404), ("outsider", 404), ("operator", 404)],
)
def test_a_note_is_deleted_by_its_author_or_recipient(
    request,
    persona,
    status,
    note,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(_user(request, persona)).post(f"/memories/thanks/{note.pk}/delete/")
    assert response.status_code == status
    assert AppreciationNote.objects.exists() == (status != 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("successor", 302),  # named
        ("subject", 302),  # named
        ("teammate", 403),  # the author does not answer for others
        ("manager", 404),  # the team does not see it yet
        ("outsider", 404),
        ("superuser", 404),
    ],
)
def test_only_named_people_approve_or_decline(
    request,
    persona,
    status,
    story,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(_user(request, persona))
    for action in ("approve", "decline"):
        assert client.post(f"/memories/stories/{story.pk}/{action}/").status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("teammate", 302), ("successor", 403), ("manager", 404), ("outsider", 404), ("operator", 404)],
)
def test_only_the_author_edits_a_story(request, persona, status, story, client_for) -> None:  # noqa: ANN001
    response = client_for(_user(request, persona)).post(
        f"/memories/stories/{story.pk}/edit/", {"title": "Changed", "text": "Changed."}
    )
    assert response.status_code == status
    story.refresh_from_db()
    assert (story.title == "Changed") == (status == 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("teammate", 302),
        ("manager", 302),
        ("successor", 302),
        ("subject", 403),  # the board is for them
        ("outsider", 404),
        ("operator", 404),
        ("superuser", 404),
    ],
)
def test_the_team_writes_on_the_board(request, persona, status, board, client_for) -> None:  # noqa: ANN001
    response = client_for(_user(request, persona)).post(
        f"/memories/farewell/{board.pk}/", {"text": "Good luck!"}
    )
    assert response.status_code == status
    assert FarewellMessage.objects.filter(text="Good luck!").exists() == (status == 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("subject", 302), ("teammate", 403), ("manager", 403), ("outsider", 404), ("operator", 404)],
)
def test_only_the_subject_keeps_or_does_not_keep(
    request,
    persona,
    status,
    message,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(_user(request, persona))
    assert client.post(f"/memories/farewell/messages/{message.pk}/keep/").status_code == status
    message.refresh_from_db()
    assert message.is_kept == (status == 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("teammate", 302), ("subject", 403), ("manager", 403), ("outsider", 404), ("superuser", 404)],
)
def test_only_its_writer_deletes_a_message(request, persona, status, message, client_for) -> None:  # noqa: ANN001
    response = client_for(_user(request, persona)).post(
        f"/memories/farewell/messages/{message.pk}/delete/"
    )
    assert response.status_code == status
    assert FarewellMessage.objects.exists() == (status != 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("subject", 302),
        ("manager", 302),
        ("successor", 302),
        ("teammate", 302),
        ("outsider", 404),
        ("operator", 404),
        ("superuser", 404),
    ],
)
def test_any_member_adds_and_edits_rituals(
    request,
    persona,
    status,
    ritual,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(_user(request, persona))
    data = {"kind": "duty", "what": "On-call hand-off", "when": "Mondays at 10:00"}
    assert client.post("/memories/teams/platform/rituals/", data).status_code == status
    edit = {"kind": "ritual", "what": "Friday demo", "when": "Fridays at 15:00"}
    assert client.post(f"/memories/rituals/{ritual.pk}/edit/", edit).status_code == status
    ritual.refresh_from_db()
    assert (ritual.when == "Fridays at 15:00") == (status == 302)
    assert TeamRitual.objects.filter(kind="duty").exists() == (status == 302)
    assert client.post(f"/memories/rituals/{ritual.pk}/delete/").status_code == status
    assert TeamRitual.objects.filter(pk=ritual.pk).exists() == (status != 302)


@pytest.mark.parametrize(
    "url",
    [
        "/memories/thanks/{note}/visibility/",
        "/memories/thanks/{note}/delete/",
        "/memories/stories/{story}/approve/",
        "/memories/stories/{story}/decline/",
        "/memories/stories/{story}/delete/",
        "/memories/farewell/messages/{message}/keep/",
        "/memories/farewell/messages/{message}/not-kept/",
        "/memories/farewell/messages/{message}/delete/",
        "/memories/rituals/{ritual}/delete/",
    ],
)
def test_writes_refuse_get(url, urls, subject, client_for) -> None:  # noqa: ANN001
    assert client_for(subject).get(url.format(**urls)).status_code == 405


@pytest.mark.parametrize(
    "url",
    ["/memories/", "/memories/stories/{story}/", "/memories/rituals/{ritual}/"],
)
def test_pages_refuse_post(url, urls, subject, client_for) -> None:  # noqa: ANN001
    assert client_for(subject).post(url.format(**urls)).status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/memories/thanks/",
        "/memories/stories/",
        "/memories/stories/{story}/edit/",
        "/memories/farewell/{board}/",
        "/memories/teams/platform/rituals/",
        "/memories/rituals/{ritual}/edit/",
    ],
)
def test_forms_refuse_other_methods(url, urls, teammate, client_for) -> None:  # noqa: ANN001
    client = client_for(teammate)
    assert client.put(url.format(**urls)).status_code == 405
    assert client.delete(url.format(**urls)).status_code == 405


def test_missing_ids_are_404(subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    assert client.get("/memories/stories/999999/").status_code == 404
    assert client.get("/memories/farewell/999999/").status_code == 404
    assert client.get("/memories/rituals/999999/").status_code == 404
    assert client.get("/memories/teams/nope/rituals/").status_code == 404
    assert client.post("/memories/thanks/999999/visibility/").status_code == 404
    assert client.post("/memories/farewell/messages/999999/keep/").status_code == 404


def test_the_lists_cost_the_same_queries_for_one_item_or_eleven(
    team,
    teammate,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    """Notes received and stories named in: the lists do not query per item."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(successor)
    costs = []
    for many in (1, 10):
        for index in range(many):
            note = services.write_appreciation_note(
                author=teammate, recipient=successor, text=f"Thanks {index}"
            )
            services.set_note_visibility(note=note, by=successor, visibility="team", team=team)
            services.write_story(
                team=team, author=teammate, title=f"Story {index}", text="x", named=[successor]
            )
        found = []
        for url in ("/memories/", "/memories/thanks/", "/memories/stories/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries.captured_queries))
        costs.append(found)
    assert costs[0] == costs[1]
