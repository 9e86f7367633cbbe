"""Who to ask about what: only people who put themselves on it, only active teammates,
and a withdrawal shows on the very next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Membership, Team
from plugins.relationships import services
from tests.conftest import _make_user

pytestmark = pytest.mark.django_db


def _listed(client, query: str = "") -> str:  # noqa: ANN001
    return client.get("/people/", {"q": query} if query else {}).content.decode()


def test_the_map_lists_only_people_who_put_themselves_on_it(
    team,
    subject,
    teammate,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    services.add_ask_me_topic(user=subject, topic="Billing migration")
    # The successor wrote a manual but put no topic on the map; a note about them is
    # not an entry on the map either.
    services.save_working_manual(user=successor, how_to_ask="Chat", hours="", glad_to_help="CI")
    services.write_person_note(about=successor, author=teammate, text="Knows the CI")
    html = _listed(client_for(teammate))
    assert f'data-person="{subject.pk}"' in html and "Billing migration" in html
    assert f'data-person="{successor.pk}"' not in html


def test_the_map_shows_only_teammates(team, subject, outsider, client_for) -> None:  # noqa: ANN001
    services.add_ask_me_topic(user=subject, topic="Billing")
    other = Team.objects.create(name="Other", slug="other")
    stranger = _make_user("stranger")
    Membership.objects.create(team=other, user=stranger)
    services.add_ask_me_topic(user=stranger, topic="Billing")
    services.add_ask_me_topic(user=outsider, topic="Billing")
    html = _listed(client_for(subject))
    assert f'data-person="{subject.pk}"' in html
    assert f'data-person="{stranger.pk}"' not in html
    assert f'data-person="{outsider.pk}"' not in html
    # The outsider, in no team, sees only themselves.
    html = _listed(client_for(outsider))
    assert f'data-person="{outsider.pk}"' in html and f'data-person="{subject.pk}"' not in html


@pytest.mark.parametrize(
    ("topic", "query"),
    [
        ("Billing Migration", "billing"),
        ("billing migration", "MIGRATION"),
        ("API gateway", "ａｐｉ"),  # full-width letters
        ("账单迁移", "账单"),
        ("发布流程 release", "发布"),
        ("Kafka  consumers", "kafka consumers"),
    ],
)
def test_the_map_is_searched_by_topic(team, subject, teammate, topic, query, client_for) -> None:  # noqa: ANN001
    services.add_ask_me_topic(user=subject, topic=topic)
    services.add_ask_me_topic(user=teammate, topic="Onboarding")
    html = _listed(client_for(teammate), query)
    assert f'data-person="{subject.pk}"' in html
    assert f'data-person="{teammate.pk}"' not in html


def test_a_search_shows_only_the_matching_topics(team, subject, teammate, client_for) -> None:  # noqa: ANN001
    services.add_ask_me_topic(user=subject, topic="Billing")
    services.add_ask_me_topic(user=subject, topic="Hiring loops")
    html = _listed(client_for(teammate), "bill")
    assert "Billing" in html and "Hiring loops" not in html


def test_a_person_who_takes_a_topic_off_leaves_the_map_on_the_next_request(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    topic = services.add_ask_me_topic(user=subject, topic="Billing")
    viewer = client_for(teammate)
    assert f'data-person="{subject.pk}"' in _listed(viewer)
    client_for(subject).post(f"/people/me/topics/{topic.pk}/remove/")
    assert f'data-person="{subject.pk}"' not in _listed(viewer)
    assert f'data-person="{subject.pk}"' not in _listed(viewer, "billing")


def test_a_deactivated_person_leaves_the_map_and_their_page_on_the_next_request(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    services.add_ask_me_topic(user=subject, topic="Billing")
    viewer = client_for(teammate)
    assert f'data-person="{subject.pk}"' in _listed(viewer)
    assert viewer.get(f"/people/{subject.pk}/").status_code == 200
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    assert f'data-person="{subject.pk}"' not in _listed(viewer)
    assert viewer.get(f"/people/{subject.pk}/").status_code == 404


def test_someone_who_leaves_the_team_leaves_their_teammates_map(
    team,
    subject,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    services.add_ask_me_topic(user=subject, topic="Billing")
    viewer = client_for(teammate)
    assert f'data-person="{subject.pk}"' in _listed(viewer)
    Membership.objects.filter(team=team, user=subject).delete()
    assert f'data-person="{subject.pk}"' not in _listed(viewer)


def test_the_htmx_search_answers_with_the_results_alone(
    team,
    subject,
    teammate,
    client_for,
    htmx,  # noqa: ANN001
) -> None:
    services.add_ask_me_topic(user=subject, topic="Billing")
    partial = client_for(teammate).get("/people/", {"q": "bill"}, **htmx).content.decode()
    assert partial.lstrip().startswith('<section id="map-results"')
    assert "<html" not in partial and f'data-person="{subject.pk}"' in partial
    full = client_for(teammate).get("/people/", {"q": "bill"}).content.decode()
    assert "<html" in full and 'id="map-results"' in full


def test_a_topic_is_listed_once_per_person_whatever_its_case(team, subject) -> None:  # noqa: ANN001
    first = services.add_ask_me_topic(user=subject, topic="Billing")
    again = services.add_ask_me_topic(user=subject, topic="  BILLING ")
    assert first.pk == again.pk and subject.ask_me_topics.count() == 1


def test_the_map_costs_the_same_queries_for_more_people(team, subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    services.add_ask_me_topic(user=subject, topic="Billing")
    with CaptureQueriesContext(connection) as few:
        _listed(client)
    for index in range(4):
        person = _make_user(f"person{index}")
        Membership.objects.create(team=team, user=person)
        services.add_ask_me_topic(user=person, topic=f"Topic {index}")
        services.add_ask_me_topic(user=person, topic=f"Other {index}")
    with CaptureQueriesContext(connection) as many:
        html = _listed(client)
    assert html.count('class="map-entry"') == 5
    assert len(many) == len(few)


def test_a_too_long_search_says_so_and_lists_no_one(team, subject, teammate, client_for) -> None:  # noqa: ANN001
    services.add_ask_me_topic(user=subject, topic="Billing")
    response = client_for(teammate).get("/people/", {"q": "x" * 81})
    html = response.content.decode()
    assert response.status_code == 200 and 'class="field-error"' in html
    assert f'data-person="{subject.pk}"' not in html
