"""Appreciation notes: the recipient chooses who sees them; until then only the two of
them; no count of notes per person appears anywhere."""

import json
import re

import pytest

from core.models import AuditEvent, Membership, Team
from plugins.memories import selectors, services
from plugins.memories.errors import MemoriesError, MemoriesPermissionError
from plugins.memories.models import AppreciationNote, Visibility
from tests.plugins.memories.conftest import NOTE
from wiki import services as wiki_services
from wiki.models import Role

pytestmark = pytest.mark.django_db


def _thanks(client) -> str:  # noqa: ANN001
    return client.get("/memories/thanks/").content.decode()


@pytest.fixture
def space(manager, successor):  # noqa: ANN001, ANN201
    """A private space the successor (the recipient) and the outsider read."""
    space = wiki_services.create_space(name="Billing", key="billing", by=manager)
    wiki_services.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    return space


def test_until_the_recipient_chooses_only_the_two_of_them_see_it(
    note,
    teammate,
    successor,
    manager,
    outsider,
    operator,
    superuser,
    client_for,  # noqa: ANN001
) -> None:
    assert note.visibility == Visibility.UNDECIDED
    assert NOTE in _thanks(client_for(teammate))
    assert NOTE in _thanks(client_for(successor))
    for other in (manager, outsider, operator, superuser):
        assert NOTE not in _thanks(client_for(other))


def test_the_recipient_shares_it_with_a_team_they_share(
    note,
    team,
    teammate,
    successor,
    manager,
    hr,
    outsider,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    response = client_for(successor).post(
        f"/memories/thanks/{note.pk}/visibility/",
        {f"note-{note.pk}-visibility": "team", f"note-{note.pk}-team": team.pk},
        **htmx,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="memories-note" id="note-{note.pk}"')
    assert 'data-visibility="team"' in html and "Shared with the team Platform" in html
    assert NOTE in _thanks(client_for(manager)) and NOTE in _thanks(client_for(hr))
    assert NOTE not in _thanks(client_for(outsider))
    # Back to private: hidden from the team again at once.
    client_for(successor).post(
        f"/memories/thanks/{note.pk}/visibility/", {f"note-{note.pk}-visibility": "private"}
    )
    assert NOTE not in _thanks(client_for(manager))
    assert NOTE in _thanks(client_for(teammate))


def test_the_recipient_shares_it_with_the_readers_of_a_space(
    note,
    space,
    successor,
    manager,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    wiki_services.set_space_role(space=space, by=manager, role=Role.READER, user=outsider)
    services.set_note_visibility(note=note, by=successor, visibility=Visibility.SPACE, space=space)
    # The outsider reads the space; the manager, who created it, is its admin.
    assert NOTE in _thanks(client_for(outsider))
    assert NOTE in _thanks(client_for(manager))


def test_a_space_panel_lists_the_notes_shared_with_its_readers(
    note,
    space,
    successor,
    outsider,
    manager,
    client_for,
    settings,  # noqa: ANN001
) -> None:
    settings.PLUGIN_PANEL_TIMEOUT = 0
    services.set_note_visibility(note=note, by=successor, visibility=Visibility.SPACE, space=space)
    wiki_services.set_space_role(space=space, by=manager, role=Role.READER, user=outsider)
    html = client_for(outsider).get(f"/wiki/{space.key}/").content.decode()
    assert "Thanks shared here" in html and NOTE in html


def test_only_the_recipient_chooses(note, team, teammate, manager, outsider) -> None:  # noqa: ANN001
    with pytest.raises(MemoriesPermissionError):
        services.set_note_visibility(note=note, by=teammate, visibility="team", team=team)
    note.refresh_from_db()
    assert note.visibility == Visibility.UNDECIDED


def test_a_team_the_author_is_not_in_is_refused_and_nothing_changes(
    note,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    other = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=other, user=successor)
    with pytest.raises(MemoriesError):
        services.set_note_visibility(note=note, by=successor, visibility="team", team=other)
    response = client_for(successor).post(
        f"/memories/thanks/{note.pk}/visibility/",
        {f"note-{note.pk}-visibility": "team", f"note-{note.pk}-team": other.pk},
    )
    assert response.status_code == 400
    assert "Choose one from the list." in response.content.decode()
    note.refresh_from_db()
    assert note.visibility == Visibility.UNDECIDED and note.team is None


def test_team_or_space_visibility_without_its_choice_is_a_clear_error(
    note,
    successor,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    client = client_for(successor)
    url = f"/memories/thanks/{note.pk}/visibility/"
    html = client.post(url, {f"note-{note.pk}-visibility": "team"}, **htmx).content.decode()
    assert "Choose the team that may see it." in html
    response = client.post(url, {f"note-{note.pk}-visibility": "space"})
    assert response.status_code == 400
    assert "Choose the wiki space whose readers may see it." in response.content.decode()
    response = client.post(url, {f"note-{note.pk}-visibility": "everyone"})
    assert response.status_code == 400
    note.refresh_from_db()
    assert note.visibility == Visibility.UNDECIDED


def test_writing_a_note_checks_the_recipient_and_the_text(
    team,
    teammate,
    outsider,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    client = client_for(teammate)
    response = client.post("/memories/thanks/", {"recipient": outsider.pk, "text": "Thanks!"})
    assert response.status_code == 400
    assert "Choose someone in one of your teams." in response.content.decode()
    response = client.post("/memories/thanks/", {"recipient": successor.pk, "text": "  "})
    assert response.status_code == 400
    long = "x" * 2001
    response = client.post("/memories/thanks/", {"recipient": successor.pk, "text": long})
    assert response.status_code == 400 and long in response.content.decode()
    assert not AppreciationNote.objects.exists()
    with pytest.raises(MemoriesError):
        services.write_appreciation_note(author=teammate, recipient=teammate, text="Me")
    with pytest.raises(MemoriesPermissionError):
        services.write_appreciation_note(author=teammate, recipient=outsider, text="Hi")
    response = client.post("/memories/thanks/", {"recipient": successor.pk, "text": "Thanks!"})
    assert response.status_code == 302
    assert AppreciationNote.objects.get().recipient == successor


def test_a_deactivated_author_or_recipient_disappears_at_once(
    note,
    team,
    teammate,
    successor,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    services.set_note_visibility(note=note, by=successor, visibility="team", team=team)
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    assert NOTE not in _thanks(client_for(successor))
    assert NOTE not in _thanks(client_for(manager))
    # Nor is a deactivated colleague offered as someone to thank.
    form = client_for(successor).get("/memories/thanks/").content.decode()
    assert f'value="{teammate.pk}"' not in form
    teammate.is_active = True
    teammate.save(update_fields=["is_active"])
    successor.is_active = False
    successor.save(update_fields=["is_active"])
    assert NOTE not in _thanks(client_for(teammate))


def test_author_and_recipient_delete_and_no_one_else(
    note,
    team,
    successor,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    services.set_note_visibility(note=note, by=successor, visibility="team", team=team)
    assert client_for(manager).post(f"/memories/thanks/{note.pk}/delete/").status_code == 403
    assert client_for(successor).post(f"/memories/thanks/{note.pk}/delete/").status_code == 302
    assert not AppreciationNote.objects.exists()


def _visible_text(html: str) -> str:
    html = re.sub(r"<time[^>]*>.*?</time>", " ", html, flags=re.S)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_no_count_of_notes_per_person_appears_anywhere(
    team,
    teammate,
    successor,
    manager,
    subject,
    client_for,  # noqa: ANN001
) -> None:
    """37 notes to one person: the number shows nowhere (page, panel, export, audit)."""
    for _ in range(37):
        note = services.write_appreciation_note(
            author=teammate, recipient=successor, text="Thank you for the reviews."
        )
        services.set_note_visibility(note=note, by=successor, visibility="team", team=team)
    pages = [
        client_for(user).get(url).content.decode()
        for user in (teammate, successor, manager)
        for url in ("/memories/", "/memories/thanks/", "/profile/")
    ]
    for html in pages:
        text = _visible_text(html)
        assert not re.search(r"\b37\b", text)
        assert not re.search(r"\b(leaderboard|points?|top \d|most thanked)\b", text, re.I)
    rows = selectors.person_export_rows(user_id=successor.pk)
    assert "37" not in json.dumps([sorted(row) for row in rows])
    assert all("count" not in key and "total" not in key for row in rows for key in row)
    for event in AuditEvent.objects.filter(action__startswith="memories."):
        assert set(event.details) <= {"visibility", "team_id", "space_id", "by_recipient"}
        assert 37 not in event.details.values()
