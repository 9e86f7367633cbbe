"""What Tacit holds about me: the counts equal the database, in a fixed number of queries,
and each person sees only their own, on the page and in the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from handover.consent.read import live_grants
from handover.models import (
    CasePseudonym,
    ConsentGrant,
    Conversation,
    DataExport,
    DeletionReceipt,
    HandoverCase,
    Message,
    NamingConsent,
    Person,
    PreparedMessage,
    Source,
)
from handover.rights.selectors import HELD_KINDS, list_held_data
from qa.models import AssistantToken, ChatAccount, Question
from wiki.models import Page, Revision

pytestmark = pytest.mark.django_db

PERSONAS = ["subject", "manager", "successor", "teammate", "outsider", "operator"]
# One query per count (two for the grants' live/ended split in one aggregate, one for the
# prepared copies of every case grouped), whatever the counts.
OVERVIEW_QUERIES = 19


def expected_counts(user) -> dict[str, int]:  # noqa: ANN001
    """What the database holds about ``user``, counted without the selector."""
    grants = ConsentGrant.objects.filter(grantor=user)
    live = sum(
        live_grants(case=case).filter(grantor=user).count()
        for case in HandoverCase.objects.filter(subject=user)
    )
    pages = set(Page.objects.filter(created_by=user).values_list("pk", flat=True))
    pages |= set(user.owned_wiki_pages.values_list("pk", flat=True))
    counts = {
        "imports": Source.objects.filter(owner=user).count(),
        "conversations": Conversation.objects.filter(owner=user).count(),
        "messages": Message.objects.filter(conversation__owner=user).count(),
        "people": Person.objects.filter(owner=user).count(),
        "cases_subject": HandoverCase.objects.filter(subject=user).count(),
        "cases_succeeding": user.handover_cases_succeeding.count(),
        "cases_opened": HandoverCase.objects.filter(opened_by=user).count(),
        "consent_grants.live": live,
        "consent_grants.ended": grants.count() - live,
        "naming_consents": NamingConsent.objects.filter(user=user).count(),
        "pseudonyms": CasePseudonym.objects.filter(case__subject=user).count(),
        "deletion_receipts": DeletionReceipt.objects.filter(user=user).count(),
        "data_exports": DataExport.objects.filter(user=user).count(),
        "wiki_pages": len(pages),
        "wiki_revisions": Revision.objects.filter(author=user).count(),
        "qa_questions": Question.objects.filter(asked_by=user).count(),
        "assistant_tokens": AssistantToken.objects.filter(user=user).count(),
        "chat_accounts": ChatAccount.objects.filter(user=user).count(),
        "audit_events": AuditEvent.objects.filter(actor=user).count(),
    }
    cases = HandoverCase.objects.filter(subject=user).order_by("created_at", "pk")
    for case in cases:
        counts[f"prepared_messages.case-{case.pk}"] = PreparedMessage.objects.filter(
            case=case
        ).count()
    if not cases:
        counts["prepared_messages"] = 0
    return counts


def test_the_counts_equal_the_database(held_world, subject) -> None:  # noqa: ANN001
    held = list_held_data(user=subject)
    assert {item.key: item.count for item in held} == expected_counts(subject)
    assert len({item.key for item in held}) == len(held)
    assert [k for k in HELD_KINDS] == list(dict.fromkeys(item.kind for item in held))
    counts = {item.key: item.count for item in held}
    # Something of every interesting kind, so equality above means something.
    for key in (
        "imports",
        "messages",
        "people",
        "cases_subject",
        "cases_succeeding",
        "consent_grants.live",
        "consent_grants.ended",
        "naming_consents",
        f"prepared_messages.case-{held_world.case.pk}",
        "pseudonyms",
        "deletion_receipts",
        "wiki_pages",
        "wiki_revisions",
        "qa_questions",
        "assistant_tokens",
        "chat_accounts",
        "audit_events",
    ):
        assert counts[key] > 0, key
    assert counts["imports"] == 2 and counts["wiki_revisions"] == 2
    # The teammate's import is theirs: none of its messages is counted for the subject.
    theirs = Message.objects.filter(conversation__owner=held_world.other_import.owner).count()
    assert theirs > 0
    assert counts["messages"] + theirs == Message.objects.count()


def test_it_runs_a_fixed_number_of_queries(held_world, subject, outsider) -> None:  # noqa: ANN001
    for user in (subject, outsider):
        with CaptureQueriesContext(connection) as queries:
            list_held_data(user=user)
        assert len(queries) == OVERVIEW_QUERIES, [q["sql"] for q in queries]


def test_anonymous_holds_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert list_held_data(user=AnonymousUser()) == []


def test_the_subject_reads_the_page_with_links(client_for, held_world, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    response = client.get("/handover/rights/")
    assert response.status_code == 200
    body = response.content.decode()
    counts = expected_counts(subject)
    assert '<tr data-key="messages">' in body
    assert f"Messages in your imports</a></td>\n      <td>{counts['messages']}</td>" in body
    assert f'href="/handover/cases/{held_world.case.pk}/privacy/"' in body
    assert 'href="/handover/receipts/"' in body and 'href="/handover/exports/"' in body
    assert 'action="/handover/exports/"' in body
    # Linked from the nav and from the imports list.
    assert 'id="nav-my-data"' in body
    assert 'href="/handover/rights/"' in client.get("/handover/imports/").content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_person_sees_only_their_own(client_for, held_world, request, persona: str) -> None:  # noqa: ANN001
    user = request.getfixturevalue(persona)
    client = client_for(user)
    counts = expected_counts(user)
    for headers in ({}, {"HX-Request": "true"}):
        page = client.get("/handover/rights/", headers=headers)
        assert page.status_code == 200
        body = page.content.decode()
        assert f"Messages in your imports</a></td>\n      <td>{counts['messages']}</td>" in body
    api = client.get("/api/handover/rights/")
    assert api.status_code == 200
    assert {item["key"]: item["count"] for item in api.json()} == counts
    if persona != "subject":
        assert counts["messages"] == 0 or persona == "teammate"
        assert counts["pseudonyms"] == 0


def test_the_api_lists_kinds_labels_and_links(client_for, held_world, subject) -> None:  # noqa: ANN001
    items = client_for(subject).get("/api/handover/rights/").json()
    by_key = {item["key"]: item for item in items}
    assert by_key["imports"] == {
        "kind": "imports",
        "key": "imports",
        "label": "Imports: the exports you handed in",
        "count": 2,
        "url": "/handover/imports/",
    }
    assert by_key["pseudonyms"]["url"] is None
    assert by_key["consent_grants.live"]["kind"] == "consent_grants"


def test_anonymous_is_sent_to_sign_in_or_gets_401(client_for) -> None:  # noqa: ANN001
    client = client_for(None)
    page = client.get("/handover/rights/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    api = client.get("/api/handover/rights/")
    assert api.status_code == 401 and api["WWW-Authenticate"] == "Token"


def test_the_wrong_method_is_refused(client_for, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    assert client.post("/handover/rights/").status_code == 405
    assert client.post("/api/handover/rights/").status_code == 405
    assert client.delete("/api/handover/rights/").status_code == 405


def test_it_speaks_chinese(client_for, subject) -> None:  # noqa: ANN001
    client = client_for(subject)
    body = client.get("/handover/rights/", headers={"Accept-Language": "zh-hans"}).content
    assert "Tacit 保存的关于您的数据" in body.decode()
