"""The publishing pages and API for each persona, wrong methods and bad input."""

import pytest
from django.urls import reverse

from handover.models import PageReassignment, PublishedPage
from wiki import services as wiki
from wiki.models import Page

pytestmark = pytest.mark.django_db

PERSONAS = ["subject", "successor", "manager", "teammate", "outsider"]


def _client(request, client_for, persona):  # noqa: ANN001, ANN202
    return client_for(request.getfixturevalue(persona) if persona else None)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("subject", 200), ("successor", 200), ("manager", 200), ("teammate", 404), ("outsider", 404)],
)
def test_the_publish_page_answers_each_persona(
    case, persona, expected, request, client_for
) -> None:  # noqa: ANN001
    response = _client(request, client_for, persona).get(
        reverse("handover:publish-case", args=[case.pk])
    )
    assert response.status_code == expected
    if expected == 200:
        assert ("What would be published" in response.content.decode()) == (persona == "subject")


def test_the_publish_page_sends_anonymous_visitors_to_sign_in(case, client_for) -> None:  # noqa: ANN001
    response = client_for(None).get(reverse("handover:publish-case", args=[case.pk]))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("persona", "expected"), [("successor", 403), ("manager", 403), ("outsider", 404)]
)
def test_only_the_subject_may_publish_from_the_page(
    case, persona, expected, request, client_for
) -> None:  # noqa: ANN001
    response = _client(request, client_for, persona).post(
        reverse("handover:publish-case", args=[case.pk])
    )
    assert response.status_code == expected
    assert not PublishedPage.objects.exists()


def test_the_publish_page_refuses_other_methods(case, subject, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).put(reverse("handover:publish-case", args=[case.pk]))
    assert response.status_code == 405


def test_publishing_without_consent_shows_why_and_writes_nothing(case, subject, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).post(
        reverse("handover:publish-case", args=[case.pk]), follow=True
    )
    assert "consent to publish" in response.content.decode()
    assert not Page.objects.exists() and not PublishedPage.objects.exists()


def test_the_subject_publishes_from_the_page_and_the_manager_sees_only_pages(
    draft, ready_case, subject, manager, client_for
) -> None:  # noqa: ANN001
    url = reverse("handover:publish-case", args=[ready_case.pk])
    response = client_for(subject).post(url)
    assert response.status_code == 302
    assert PublishedPage.objects.filter(case=ready_case).count() == 4
    page = client_for(manager).get(url).content.decode()
    assert "Handover: a departing colleague" in page
    assert draft.approved[0].sentences.first().text not in page
    assert "What would be published" not in page


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("subject", 200), ("successor", 200), ("manager", 404), ("teammate", 404), ("outsider", 404)],
)
def test_the_pages_list_answers_each_persona(case, persona, expected, request, client_for) -> None:  # noqa: ANN001
    response = _client(request, client_for, persona).get(
        reverse("handover:page-reassignments", args=[case.pk])
    )
    assert response.status_code == expected


@pytest.fixture
def own_page(wiki_space, subject):  # noqa: ANN001, ANN201
    return wiki.create_page(space=wiki_space, author=subject, title="On-call notes", body="x")


def test_a_page_passes_on_once_subject_and_successor_confirmed(
    case, own_page, subject, successor, client_for
) -> None:  # noqa: ANN001
    assert (
        client_for(successor)
        .get(reverse("handover:page-reassignments", args=[case.pk]))
        .status_code
        == 200
    )
    item = PageReassignment.objects.get(case=case, page=own_page)
    confirm = reverse("handover:page-reassignment-action", args=[case.pk, item.pk, "confirm"])
    assert client_for(subject).post(confirm).status_code == 302
    assert list(own_page.owners.all()) == [subject]
    assert client_for(successor).post(confirm).status_code == 302
    item.refresh_from_db()
    assert item.applied_at is not None
    assert list(own_page.owners.all()) == [successor]


def test_a_page_left_out_keeps_its_owner(case, own_page, subject, successor, client_for) -> None:  # noqa: ANN001
    client_for(subject).get(reverse("handover:page-reassignments", args=[case.pk]))
    item = PageReassignment.objects.get(case=case)
    base = "handover:page-reassignment-action"
    client_for(successor).post(reverse(base, args=[case.pk, item.pk, "exclude"]))
    client_for(subject).post(reverse(base, args=[case.pk, item.pk, "confirm"]))
    client_for(successor).post(reverse(base, args=[case.pk, item.pk, "confirm"]))
    item.refresh_from_db()
    assert item.excluded and item.applied_at is None
    assert list(own_page.owners.all()) == [subject]
    assert (
        client_for(subject).post(reverse(base, args=[case.pk, item.pk, "nonsense"])).status_code
        == 404
    )
    assert (
        client_for(subject).get(reverse(base, args=[case.pk, item.pk, "confirm"])).status_code
        == 405
    )


# --- API ---------------------------------------------------------------------------------------


def test_the_api_publishes_for_the_subject_and_lists_for_the_manager(
    draft, ready_case, subject, manager, successor, outsider, client_for
) -> None:  # noqa: ANN001
    url = reverse("api:handover:publish-case", args=[ready_case.pk])
    assert client_for(successor).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(subject).get(url).status_code == 405
    assert not PublishedPage.objects.exists()
    response = client_for(subject).post(url)
    assert response.status_code == 200, response.content
    assert len(response.json()) == 4 and response.json()[0]["is_root"]
    listing = client_for(manager).get(reverse("api:handover:published-pages", args=[ready_case.pk]))
    assert listing.status_code == 200 and len(listing.json()) == 4
    assert (
        client_for(outsider)
        .get(reverse("api:handover:published-pages", args=[ready_case.pk]))
        .status_code
        == 404
    )


def test_the_api_refuses_bad_cases_with_nothing_written(
    draft, ready_case, subject, client_for
) -> None:  # noqa: ANN001
    from handover.models import DraftSection, HandoverCase

    url = reverse("api:handover:publish-case", args=[ready_case.pk])
    space = ready_case.space_id
    HandoverCase.objects.filter(pk=ready_case.pk).update(space=None)
    response = client_for(subject).post(url)
    assert response.status_code == 400 and "space" in response.json()["detail"]
    HandoverCase.objects.filter(pk=ready_case.pk).update(space=space)
    DraftSection.objects.filter(case=ready_case).update(status=DraftSection.Status.DROPPED)
    response = client_for(subject).post(url)
    assert response.status_code == 400 and "Nothing to publish" in response.json()["detail"]
    assert not Page.objects.exists()


def test_the_api_needs_a_publish_grant(case, subject, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).post(reverse("api:handover:publish-case", args=[case.pk]))
    assert response.status_code == 409


def test_the_api_passes_pages_on(case, own_page, subject, successor, manager, client_for) -> None:  # noqa: ANN001
    listing = reverse("api:handover:page-reassignments", args=[case.pk])
    assert client_for(manager).get(listing).status_code == 404
    items = client_for(subject).get(listing).json()
    assert [item["page"]["id"] for item in items] == [own_page.pk]
    action = reverse("api:handover:page-reassignment-action", args=[case.pk, items[0]["id"]])
    assert client_for(subject).post(action, {"action": "bogus"}).status_code == 400
    assert (
        client_for(subject)
        .post(
            reverse("api:handover:page-reassignment-action", args=[case.pk, 999999]),
            {"action": "confirm"},
        )
        .status_code
        == 404
    )
    assert client_for(subject).post(action, {"action": "confirm"}).status_code == 200
    done = client_for(successor).post(action, {"action": "confirm"})
    assert done.status_code == 200 and done.json()["applied_at"]
    assert list(own_page.owners.all()) == [successor]
