"""Case, consent and privacy pages and API for every persona; the manager never sees choices."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from handover.consent import services as consent_services
from handover.models import Conversation, Purpose

pytestmark = pytest.mark.django_db

PERSONAS = [
    "subject",
    "manager",
    "hr",
    "successor",
    "teammate",
    "outsider",
    "operator",
    "superuser",
]
SEES_CASE = {"subject", "manager", "hr", "successor"}


@pytest.fixture
def shared(case, subject, slack_import):  # noqa: ANN001, ANN201
    """The subject shares two channels for two purposes; returns their names."""
    chosen = list(Conversation.objects.filter(owner=subject).order_by("name")[:2])
    consent_services.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.INDEX, Purpose.QUOTE],
        conversation_ids=[c.pk for c in chosen],
    )
    return [c.name for c in chosen]


def _pages(case) -> dict[str, str]:  # noqa: ANN001
    base = f"/handover/cases/{case.pk}"
    return {
        "list": "/handover/cases/",
        "detail": f"{base}/",
        "consent": f"{base}/consent/",
        "withdraw": f"{base}/consent/withdraw/",
        "privacy": f"{base}/privacy/",
        "me": f"{base}/me/",
        "message": f"{base}/privacy/messages/{_a_message_id(case)}/",
    }


def _a_message_id(case) -> int:  # noqa: ANN001
    from handover.models import Message

    return (
        Message.objects.filter(conversation__owner_id=case.subject_id)
        .values_list("pk", flat=True)
        .first()
        or 1
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reaches_only_what_its_role_allows(
    request, case, shared, client_for, persona: str
) -> None:  # noqa: ANN001
    user = request.getfixturevalue(persona)
    client = client_for(user)
    pages = _pages(case)
    assert client.get(pages["list"]).status_code == 200
    detail = client.get(pages["detail"])
    assert detail.status_code == (200 if persona in SEES_CASE else 404)
    for name in ("consent", "withdraw", "privacy", "me", "message"):
        expected = 200 if persona == "subject" else 404
        assert client.get(pages[name]).status_code == expected, name


def test_anonymous_visitors_are_sent_to_log_in(case, client_for) -> None:  # noqa: ANN001
    for url in _pages(case).values():
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_htmx_checklist_is_a_partial(case, subject, client_for) -> None:  # noqa: ANN001
    response = client_for(subject).get(
        f"/handover/cases/{case.pk}/", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="case-checklist"' in body and "<html" not in body


@pytest.mark.parametrize("persona", ["manager", "hr", "successor"])
def test_overseers_never_see_which_conversations_or_purposes_were_chosen(
    request,
    case,
    shared,
    client_for,
    persona: str,  # noqa: ANN001
) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    bodies = [
        client.get(url).content.decode()
        for url in (*_pages(case).values(), f"/handover/cases/{case.pk}/?x=1")
    ]
    bodies.append(
        client.get(f"/handover/cases/{case.pk}/", headers={"HX-Request": "true"}).content.decode()
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for url in (
        "/api/handover/cases/",
        f"/api/handover/cases/{case.pk}/",
        f"/api/handover/cases/{case.pk}/consent/",
        f"/api/handover/cases/{case.pk}/consent/grants/",
    ):
        response = api.get(url)
        assert response.status_code in (200, 404)
        bodies.append(response.content.decode())
    blob = "\n".join(bodies)
    for name in shared:
        assert name not in blob
    for label in (str(Purpose.INDEX.label), str(Purpose.QUOTE.label), '"index"', '"quote"'):
        assert label not in blob


def test_the_subject_sees_their_choices_and_their_ledger(case, shared, subject, client_for) -> None:  # noqa: ANN001
    body = client_for(subject).get(f"/handover/cases/{case.pk}/consent/").content.decode()
    for name in shared:
        assert name in body
    assert "never builds a persona" in body
    api = APIClient()
    api.force_authenticate(subject)
    choices = api.get(f"/api/handover/cases/{case.pk}/consent/").json()
    assert choices["purposes"] == ["index", "quote"]


def test_a_manager_consenting_through_the_api_is_refused(
    case, manager, slack_import, subject
) -> None:  # noqa: ANN001
    ids = list(Conversation.objects.filter(owner=subject).values_list("pk", flat=True)[:1])
    api = APIClient()
    api.force_authenticate(manager)
    response = api.put(
        f"/api/handover/cases/{case.pk}/consent/",
        {"purposes": ["index"], "conversation_ids": ids},
        format="json",
    )
    assert response.status_code == 404


def test_a_forbidden_step_is_shown_in_plain_words(case, subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    response = client.post(f"/handover/cases/{case.pk}/steps/submit-review/", follow=True)
    body = response.content.decode()
    assert "cannot become" in body
    api = APIClient()
    api.force_authenticate(subject)
    answer = api.post(
        f"/api/handover/cases/{case.pk}/steps/", {"action": "submit-review"}, format="json"
    )
    assert answer.status_code == 409 and "cannot become" in answer.json()["detail"]
    assert client.get(f"/handover/cases/{case.pk}/steps/publish/").status_code == 405


def test_the_subject_withdraws_everything_from_the_page(case, shared, subject, client_for) -> None:  # noqa: ANN001
    client = client_for(subject)
    response = client.post(f"/handover/cases/{case.pk}/consent/withdraw/", {"what": "everything"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "withdrawn"


def _api(user) -> APIClient:  # noqa: ANN001
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_each_persona_against_every_case_endpoint(request, case, shared, persona: str) -> None:  # noqa: ANN001
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    api = _api(user)
    base = f"/api/handover/cases/{case.pk}"
    answers = {
        "list": api.get("/api/handover/cases/").status_code,
        "detail": api.get(f"{base}/").status_code,
        "consent": api.get(f"{base}/consent/").status_code,
        "grants": api.get(f"{base}/consent/grants/").status_code,
        "step": api.post(f"{base}/steps/", {"action": "close"}, format="json").status_code,
        "withdraw": api.post(
            f"{base}/consent/withdraw/", {"purposes": ["quote"]}, format="json"
        ).status_code,
        "wrong method": api.delete(f"{base}/").status_code,
    }
    if persona == "anonymous":
        assert set(answers.values()) == {401}
        return
    sees = persona in SEES_CASE
    assert answers["list"] == 200
    assert answers["detail"] == (200 if sees else 404)
    assert answers["wrong method"] == 405
    if persona == "subject":
        assert answers["consent"] == answers["grants"] == 200
        assert answers["withdraw"] == 202
        assert answers["step"] == 200  # the subject may close their own case
    else:
        assert answers["consent"] == answers["grants"] == answers["withdraw"] == 404
        expected_step = 200 if persona in {"manager", "hr"} else (403 if sees else 404)
        assert answers["step"] == expected_step


def test_ticking_a_whole_import_shares_all_its_conversations(
    case, subject, slack_import, client_for
) -> None:  # noqa: ANN001
    client = client_for(subject)
    response = client.post(
        f"/handover/cases/{case.pk}/consent/",
        {"purposes": ["publish"], "sources": [slack_import.pk]},
    )
    assert response.status_code == 302
    from handover.consent.read import live_grants

    (grant,) = live_grants(case=case, purpose="publish")
    assert grant.conversations.count() == Conversation.objects.filter(owner=subject).count()


def test_a_broken_consent_form_says_why_and_records_nothing(
    case, subject, slack_import, client_for
) -> None:  # noqa: ANN001
    client = client_for(subject)
    response = client.post(f"/handover/cases/{case.pk}/consent/", {"purposes": ["index"]})
    assert response.status_code == 400
    assert "Tick at least one conversation" in response.content.decode()
    response = client.post(
        f"/handover/cases/{case.pk}/consent/", {"purposes": ["persona"], "conversations": ["x"]}
    )
    assert response.status_code == 400
    from handover.models import ConsentGrant

    assert not ConsentGrant.objects.exists()


def test_opening_a_case_through_the_api_checks_every_name(
    manager, subject, successor, team
) -> None:  # noqa: ANN001
    api = _api(manager)
    good = {
        "team": "platform",
        "subject": "subject",
        "last_day": "2027-01-31",
        "successors": ["successor"],
    }
    for field, value in (
        ("team", "nope"),
        ("subject", "nobody"),
        ("successors", ["ghost"]),
        ("space", "none"),
    ):
        response = api.post("/api/handover/cases/", {**good, field: value}, format="json")
        assert response.status_code == 400 and field in response.json(), field
    from handover.models import HandoverCase

    assert not HandoverCase.objects.exists()
    response = api.post("/api/handover/cases/", good, format="json")
    assert response.status_code == 201 and response.json()["state"] == "opened"
    refused = _api(successor).post("/api/handover/cases/", good, format="json")
    assert refused.status_code == 403
