"""Notes about a person: always visible to that person, who edits or vetoes them; a veto
hides the note from everyone else at once."""

import pytest

from core.models import AuditEvent
from plugins.relationships import services
from plugins.relationships.errors import NotePermissionError

pytestmark = pytest.mark.django_db

TEXT = "Ask her about the billing migration."


def _page(client, person) -> str:  # noqa: ANN001
    return client.get(f"/people/{person.pk}/").content.decode()


def test_a_veto_hides_the_note_at_once_from_teammates_and_the_author(
    team,
    subject,
    teammate,
    successor,
    manager,
    note,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    readers = [client_for(user) for user in (teammate, successor, manager)]
    assert all(TEXT in _page(reader, subject) for reader in readers)
    response = client_for(subject).post(f"/people/notes/{note.pk}/veto/", **htmx)
    assert response.status_code == 200
    assert 'data-vetoed="true"' in response.content.decode()
    for reader in readers:
        assert TEXT not in _page(reader, subject)
    # Nor can the author (or anyone else) reach it by its address.
    assert client_for(teammate).get(f"/people/notes/{note.pk}/edit/").status_code == 404
    assert client_for(successor).post(f"/people/notes/{note.pk}/delete/").status_code == 404


def test_the_subject_still_sees_a_vetoed_note_and_can_show_it_again(
    team,
    subject,
    teammate,
    note,
    client_for,  # noqa: ANN001
) -> None:
    services.set_person_note_veto(note=note, by=subject, vetoed=True)
    page = _page(client_for(subject), subject)
    assert TEXT in page and "Vetoed: only you see it" in page
    response = client_for(subject).post(f"/people/notes/{note.pk}/restore/")
    assert response.status_code == 302
    assert TEXT in _page(client_for(teammate), subject)


def test_the_htmx_veto_answers_with_the_note_alone(team, subject, note, client_for, htmx) -> None:  # noqa: ANN001
    html = client_for(subject).post(f"/people/notes/{note.pk}/veto/", **htmx).content.decode()
    assert html.lstrip().startswith(f'<li class="person-note" id="note-{note.pk}"')
    assert "<html" not in html and "Show again" in html


def test_the_subject_can_edit_a_note_about_them(team, subject, teammate, note, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).post(
        f"/people/notes/{note.pk}/edit/", {"text": "Ask me about invoices, not billing."}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "Ask me about invoices, not billing." and note.edited_by == subject
    assert "invoices, not billing" in _page(client_for(teammate), subject)


def test_a_note_is_always_shown_to_the_person_it_is_about(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    client_for(teammate).post(f"/people/{subject.pk}/notes/", {"text": "Knows the CI"})
    assert "Knows the CI" in _page(client_for(subject), subject)


def test_notes_need_a_shared_team(team, subject, outsider) -> None:  # noqa: ANN001
    with pytest.raises(NotePermissionError):
        services.write_person_note(about=subject, author=outsider, text="Hello")
    with pytest.raises(NotePermissionError):
        services.write_person_note(about=subject, author=subject, text="Hello")


def test_an_empty_or_long_note_is_refused_and_nothing_is_saved(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(teammate)
    for text in ("   ", "x" * 1001):
        response = client.post(f"/people/{subject.pk}/notes/", {"text": text})
        assert response.status_code == 200 and 'class="field-error"' in response.content.decode()
    assert not subject.notes_about.exists()


def test_writes_are_audited_without_the_text(team, subject, teammate, note) -> None:  # noqa: ANN001
    services.edit_person_note(note=note, by=subject, text="Secret words here")
    services.set_person_note_veto(note=note, by=subject, vetoed=True)
    services.delete_person_note(note=note, by=subject)
    events = AuditEvent.objects.filter(scope=f"user:{subject.pk}").order_by("sequence")
    assert [e.action for e in events] == [
        "relationships.note_written",
        "relationships.note_edited",
        "relationships.note_vetoed",
        "relationships.note_deleted",
    ]
    for event in events:
        assert "billing" not in str(event.details) + str(event.personal)
        assert "Secret" not in str(event.details) + str(event.personal)


def test_manual_and_topic_writes_are_audited_without_the_text(subject) -> None:  # noqa: ANN001
    services.save_working_manual(user=subject, how_to_ask="Slack me", hours="", glad_to_help="")
    topic = services.add_ask_me_topic(user=subject, topic="Billing")
    services.add_ask_me_topic(user=subject, topic="billing")  # already listed: no new row
    services.remove_ask_me_topic(topic=topic, by=subject)
    events = AuditEvent.objects.filter(scope=f"user:{subject.pk}").order_by("sequence")
    assert [e.action for e in events] == [
        "relationships.manual_saved",
        "relationships.topic_added",
        "relationships.topic_removed",
    ]
    assert all(e.actor == subject for e in events)
    text = " ".join(str(e.details) + str(e.personal) for e in events)
    assert "Slack" not in text and "Billing" not in text


def _nav(client) -> str:  # noqa: ANN001
    html = client.get("/profile/").content.decode()
    start = html.index("<nav")
    return html[start : html.index("</nav>", start)]


def test_the_person_a_note_is_about_is_told_in_the_navigation_until_they_look_at_it(
    team,
    subject,
    teammate,
    manager,
    note,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    mine = client_for(subject)
    assert "People (1 new note about you)" in _nav(mine)
    assert f'href="/people/{subject.pk}/#person-notes"' in _nav(mine)
    # Nobody else is told anything, not even the author.
    assert "new note" not in _nav(client_for(teammate)) + _nav(client_for(manager))
    page = _page(mine, subject)
    assert "New to you" in page and "Keep as it is" in page
    # Only the person it is about can keep it; a GET changes nothing.
    assert client_for(teammate).post(f"/people/notes/{note.pk}/keep/").status_code == 403
    assert mine.get(f"/people/notes/{note.pk}/keep/").status_code == 405
    assert "People (1 new note about you)" in _nav(mine)
    kept = mine.post(f"/people/notes/{note.pk}/keep/", **htmx)
    assert kept.status_code == 200 and "New to you" not in kept.content.decode()
    assert "new note" not in _nav(mine)
    assert AuditEvent.objects.filter(action="relationships.note_kept").count() == 1
    # The author changes it: it is new to them again; their own edit is not.
    services.edit_person_note(note=note, by=teammate, text="Ask her about billing.")
    assert "People (1 new note about you)" in _nav(mine)
    services.edit_person_note(note=note, by=subject, text="Ask me about billing.")
    assert "new note" not in _nav(mine)


def test_a_vetoed_note_is_not_counted_as_new(team, subject, note, client_for) -> None:  # noqa: ANN001
    services.set_person_note_veto(note=note, by=subject, vetoed=True)
    assert "new note" not in _nav(client_for(subject))


def test_keeping_needs_a_sign_in(note, client) -> None:  # noqa: ANN001
    response = client.post(f"/people/notes/{note.pk}/keep/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    note.refresh_from_db()
    assert note.seen_by_subject_at is None
