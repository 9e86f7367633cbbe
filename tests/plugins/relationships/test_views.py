"""Each persona against each view: who gets the page, who a 404, a 403 or the sign-in,
and the wrong method."""

import pytest

from plugins.relationships import services
from plugins.relationships.models import AskMeTopic, PersonNote

pytestmark = pytest.mark.django_db

# Everyone signed in who does not share a team with the subject: in no team at all, or
# staff; staff rights give nothing extra here.
STRANGERS = ["outsider", "operator", "superuser"]
TEAM = ["manager", "successor", "teammate", "hr"]


def _user(request, name: str):  # noqa: ANN001, ANN202
    return request.getfixturevalue(name)


@pytest.mark.parametrize("persona", ["subject", *TEAM, *STRANGERS])
def test_every_signed_in_persona_gets_the_map_and_their_own_manual(
    request,
    persona,
    team,
    client_for,  # noqa: ANN001
) -> None:
    user = _user(request, persona)
    client = client_for(user)
    assert client.get("/people/").status_code == 200
    assert client.get("/people/me/").status_code == 200
    # Each writes only their own manual and topics, whatever their role.
    assert client.post("/people/me/topics/", {"topic": "Billing"}).status_code == 302
    assert client.post("/people/me/", {"hours": "9-17"}).status_code == 302
    assert list(AskMeTopic.objects.values_list("user", flat=True)) == [user.pk]
    assert user.working_manual.hours == "9-17"


@pytest.mark.parametrize("url", ["/people/", "/people/me/", "/people/1/", "/people/notes/1/edit/"])
def test_anonymous_is_sent_to_sign_in(url, client_for) -> None:  # noqa: ANN001
    response = client_for(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/people/me/topics/",
        "/people/1/notes/",
        "/people/notes/1/veto/",
        "/people/notes/1/restore/",
        "/people/notes/1/delete/",
        "/people/me/topics/1/remove/",
    ],
)
def test_anonymous_posts_are_sent_to_sign_in(url, client_for) -> None:  # noqa: ANN001
    response = client_for(None).post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("subject", 200), *[(name, 200) for name in TEAM], *[(name, 404) for name in STRANGERS]],
)
def test_a_persons_page_is_for_their_teammates_only(
    request,
    persona,
    status,
    team,
    subject,
    note,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(_user(request, persona)).get(f"/people/{subject.pk}/")
    assert response.status_code == status
    if status == 200:
        assert "billing migration" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("teammate", 200),  # the author
        ("subject", 200),  # the person it is about
        ("successor", 403),  # reads it, may not change it
        ("manager", 403),
        ("outsider", 404),
        ("superuser", 404),
    ],
)
def test_a_note_is_edited_by_its_author_and_its_subject_only(
    request,
    persona,
    status,
    note,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(_user(request, persona))
    assert client.get(f"/people/notes/{note.pk}/edit/").status_code == status
    response = client.post(f"/people/notes/{note.pk}/edit/", {"text": "Changed."})
    assert response.status_code == (302 if status == 200 else status)
    note.refresh_from_db()
    assert (note.text == "Changed.") == (status == 200)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("subject", 302),
        ("teammate", 403),  # the author may not veto
        ("manager", 403),
        ("outsider", 404),
        ("operator", 404),
    ],
)
def test_only_the_subject_vetoes(request, persona, status, note, client_for) -> None:  # noqa: ANN001
    response = client_for(_user(request, persona)).post(f"/people/notes/{note.pk}/veto/")
    assert response.status_code == status
    note.refresh_from_db()
    assert note.is_vetoed == (status == 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("teammate", 302), ("subject", 302), ("successor", 403), ("outsider", 404)],
)
def test_a_note_is_deleted_by_its_author_or_its_subject(
    request,
    persona,
    status,
    note,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(_user(request, persona)).post(f"/people/notes/{note.pk}/delete/")
    assert response.status_code == status
    assert PersonNote.objects.filter(pk=note.pk).exists() == (status != 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("teammate", 302),
        ("manager", 302),
        ("subject", 403),  # about oneself: that is the manual
        ("outsider", 404),
        ("superuser", 404),
    ],
)
def test_teammates_write_notes_about_each_other(
    request,
    persona,
    status,
    team,
    subject,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(_user(request, persona)).post(
        f"/people/{subject.pk}/notes/", {"text": "Knows the deploy scripts."}
    )
    assert response.status_code == status
    assert PersonNote.objects.filter(about=subject).exists() == (status == 302)


def test_a_topic_is_removed_only_by_the_person_on_the_map(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    topic = services.add_ask_me_topic(user=subject, topic="Billing")
    assert client_for(teammate).post(f"/people/me/topics/{topic.pk}/remove/").status_code == 404
    assert AskMeTopic.objects.filter(pk=topic.pk).exists()
    assert client_for(subject).post(f"/people/me/topics/{topic.pk}/remove/").status_code == 302
    assert not AskMeTopic.objects.filter(pk=topic.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/people/me/topics/",
        "/people/{subject}/notes/",
        "/people/notes/{note}/veto/",
        "/people/notes/{note}/restore/",
        "/people/notes/{note}/delete/",
    ],
)
def test_writes_refuse_get(url, subject, note, client_for) -> None:  # noqa: ANN001
    url = url.format(subject=subject.pk, note=note.pk)
    assert client_for(subject).get(url).status_code == 405


@pytest.mark.parametrize("url", ["/people/", "/people/{subject}/"])
def test_pages_refuse_post(url, team, subject, client_for) -> None:  # noqa: ANN001
    assert client_for(subject).post(url.format(subject=subject.pk)).status_code == 405


def test_my_manual_is_written_by_me_and_read_by_teammates(
    team,
    subject,
    teammate,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(subject).post(
        "/people/me/",
        {"how_to_ask": "A message in #platform", "hours": "9–17 CET", "glad_to_help": "Kafka"},
    )
    assert response.status_code == 302
    page = client_for(teammate).get(f"/people/{subject.pk}/").content.decode()
    assert "A message in #platform" in page and "9–17 CET" in page and "Kafka" in page
    # There is no way to write someone else's manual: /people/me/ is always one's own.
    client_for(teammate).post("/people/me/", {"how_to_ask": "Call me"})
    assert "Call me" not in client_for(outsider).get("/people/me/").content.decode()
    assert "Call me" not in client_for(teammate).get(f"/people/{subject.pk}/").content.decode()


@pytest.mark.parametrize("url", ["/people/me/", "/people/notes/{note}/edit/"])
def test_forms_refuse_other_methods(url, subject, note, client_for) -> None:  # noqa: ANN001
    url = url.format(note=note.pk)
    assert client_for(subject).put(url).status_code == 405
    assert client_for(subject).delete(url).status_code == 405


def test_an_htmx_veto_by_anyone_else_is_refused(team, teammate, note, client_for, htmx) -> None:  # noqa: ANN001
    response = client_for(teammate).post(f"/people/notes/{note.pk}/veto/", **htmx)
    assert response.status_code == 403
    note.refresh_from_db()
    assert not note.is_vetoed


def test_a_topic_and_a_note_for_a_missing_id_are_404(subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    assert client.get("/people/999999/").status_code == 404
    assert client.post("/people/999999/notes/", {"text": "x"}).status_code == 404
    assert client.post("/people/me/topics/999999/remove/").status_code == 404
    assert client.post("/people/notes/999999/veto/").status_code == 404
