"""Team rituals: what, when, why and who keeps it going; any member adds or changes them;
keepers are members; a deactivated keeper leaves every list at once."""

import pytest

from core.models import Membership, Team
from plugins.memories import services
from plugins.memories.errors import MemoriesError, MemoriesPermissionError
from plugins.memories.models import TeamRitual
from wiki import services as wiki_services
from wiki.models import Role

pytestmark = pytest.mark.django_db


def _rituals(client) -> str:  # noqa: ANN001
    return client.get("/memories/teams/platform/rituals/").content.decode()


def test_a_member_adds_a_ritual_with_keepers_and_the_team_reads_it(
    team,
    manager,
    subject,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    response = client_for(manager).post(
        "/memories/teams/platform/rituals/",
        {
            "kind": "ritual",
            "what": "Friday demo",
            "when": "Every Friday at 16:00",
            "why": "So everyone sees what shipped.",
            "keepers": [subject.pk, successor.pk],
        },
    )
    assert response.status_code == 302
    ritual = TeamRitual.objects.get()
    assert set(ritual.keepers.values_list("pk", flat=True)) == {subject.pk, successor.pk}
    assert ritual.created_by == manager
    page = _rituals(client_for(successor))
    assert "Friday demo" in page and "Every Friday at 16:00" in page and "Subject" in page


def test_keepers_must_be_members_of_the_team(team, manager, outsider, client_for) -> None:  # noqa: ANN001
    response = client_for(manager).post(
        "/memories/teams/platform/rituals/",
        {"kind": "ritual", "what": "Demo", "when": "Fridays", "keepers": [outsider.pk]},
    )
    assert response.status_code == 400 and "Demo" in response.content.decode()
    with pytest.raises(MemoriesError):
        services.save_team_ritual(
            team=team, by=manager, kind="ritual", what="Demo", when="Fridays", keepers=[outsider]
        )
    assert not TeamRitual.objects.exists()


def test_bad_input_is_a_clear_error_and_nothing_is_lost(team, manager, client_for) -> None:  # noqa: ANN001
    client = client_for(manager)
    response = client.post(
        "/memories/teams/platform/rituals/", {"kind": "ritual", "what": "", "when": "Fridays"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and 'value="Fridays"' in html
    response = client.post(
        "/memories/teams/platform/rituals/", {"kind": "party", "what": "Demo", "when": "Fridays"}
    )
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()
    with pytest.raises(MemoriesError):
        services.save_team_ritual(
            team=team, by=manager, kind="ritual", what="x", when="y", why="z" * 1001
        )
    assert not TeamRitual.objects.exists()


def test_rituals_belong_to_the_team_and_outsiders_change_nothing(team, outsider, ritual) -> None:  # noqa: ANN001
    with pytest.raises(MemoriesPermissionError):
        services.save_team_ritual(team=team, by=outsider, kind="ritual", what="x", when="y")
    other = Team.objects.create(name="Design", slug="design")
    Membership.objects.create(team=other, user=outsider)
    with pytest.raises(MemoriesPermissionError):
        services.save_team_ritual(
            team=other, by=outsider, ritual=ritual, kind="ritual", what="x", when="y"
        )
    with pytest.raises(MemoriesPermissionError):
        services.delete_team_ritual(ritual=ritual, by=outsider)
    ritual.refresh_from_db()
    assert ritual.what == "Friday demo"


def test_a_deactivated_keeper_leaves_every_list_at_once_but_is_not_dropped_by_an_edit(
    team,
    ritual,
    subject,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    page = _rituals(client_for(manager))
    assert "Friday demo" in page and "No one keeps it going yet." in page
    assert f'value="{subject.pk}"' not in page  # not offered as a keeper
    client_for(manager).post(
        f"/memories/rituals/{ritual.pk}/edit/",
        {"kind": "ritual", "what": "Friday demo", "when": "Fridays at 15:00"},
    )
    assert list(ritual.keepers.values_list("pk", flat=True)) == [subject.pk]


def test_a_ritual_with_a_space_is_readable_by_its_readers(
    team,
    teammate,
    manager,
    successor,
    outsider,
    operator,
    ritual,
    client_for,  # noqa: ANN001
) -> None:
    space = wiki_services.create_space(name="Handbook", key="handbook", by=manager)
    wiki_services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=teammate)
    wiki_services.set_space_role(space=space, by=manager, role=Role.READER, user=outsider)
    url = f"/memories/rituals/{ritual.pk}/"
    assert client_for(outsider).get(url).status_code == 404
    response = client_for(teammate).post(
        f"/memories/rituals/{ritual.pk}/edit/",
        {"kind": "ritual", "what": "Friday demo", "when": "Fridays", "space": space.pk},
    )
    assert response.status_code == 302
    page = client_for(outsider).get(url)
    assert page.status_code == 200 and "Friday demo" in page.content.decode()
    # Reading is not changing: the space's readers do not edit the team's rituals.
    assert client_for(outsider).get(f"/memories/rituals/{ritual.pk}/edit/").status_code == 404
    assert client_for(operator).get(url).status_code == 404
    # Another member keeps the space someone else chose when changing the text.
    response = client_for(successor).post(
        f"/memories/rituals/{ritual.pk}/edit/",
        {"kind": "ritual", "what": "Friday demo", "when": "Fridays 16:00", "space": space.pk},
    )
    assert response.status_code == 302
    ritual.refresh_from_db()
    assert ritual.space == space and ritual.when == "Fridays 16:00"


def test_a_space_the_member_cannot_edit_is_not_offered(team, subject, manager, client_for) -> None:  # noqa: ANN001
    space = wiki_services.create_space(name="Handbook", key="handbook", by=manager)
    response = client_for(subject).post(
        "/memories/teams/platform/rituals/",
        {"kind": "ritual", "what": "Demo", "when": "Fridays", "space": space.pk},
    )
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not TeamRitual.objects.exists()
