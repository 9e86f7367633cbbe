"""Connecting a chat account to a Tacit account through the signed link, and unlinking it
from the profile page."""

import time

import pytest
from django.core import signing
from django.test import Client

from core.models import AuditEvent
from qa.bots.linking import connect_url, make_connect_token, record_chat_account
from qa.models import ChatAccount
from tests.qa.bots.conftest import SITE, linked_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(settings) -> ChatAccount:  # noqa: ANN001
    settings.TACIT_SITE_URL = SITE
    return record_chat_account(
        platform="slack",
        workspace_external_id="T0TEAM",
        workspace_name="acme",
        external_user_id="U1",
        display_name="sam.successor",
    )


def _path(account: ChatAccount) -> str:
    url = connect_url(account=account)
    assert url.startswith(f"{SITE}/ask/connect/")
    return url.removeprefix(SITE)


def test_the_link_shows_the_chat_user_and_a_post_connects_it(
    account,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    path = _path(account)
    assert client_for(None).get(path).status_code == 302
    assert client_for(None).post(path).status_code == 302
    client = client_for(successor)
    assert client.put(path).status_code == 405
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Slack" in html and "acme" in html and "sam.successor" in html and "U1" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    account.refresh_from_db()
    assert account.user is None

    done = client.post(path)
    assert done.status_code == 200 and "is connected" in done.content.decode()
    account.refresh_from_db()
    assert account.user == successor and account.linked_at is not None
    event = AuditEvent.objects.get(action="qa.chat_account_linked")
    assert event.actor == successor
    # Again by the same person: nothing changes, no second audit row.
    assert client.post(path).status_code == 200
    assert AuditEvent.objects.filter(action="qa.chat_account_linked").count() == 1


def test_connecting_needs_the_csrf_token(account, successor) -> None:  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(successor)
    assert client.post(_path(account)).status_code == 403
    account.refresh_from_db()
    assert account.user is None


def test_an_expired_or_altered_link_is_refused_and_changes_nothing(
    account,
    successor,
    client_for,
    monkeypatch,  # noqa: ANN001
) -> None:
    client = client_for(successor)
    path = _path(account)
    altered = path[:-3] + ("a" if path[-3] != "a" else "b") + path[-2:]
    response = client.post(altered)
    assert response.status_code == 400 and "not valid" in response.content.decode()
    response = client.get("/ask/connect/not-a-token/")
    assert response.status_code == 400

    later = time.time() + 3601
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.post(path)
    assert response.status_code == 400 and "expired" in response.content.decode()
    account.refresh_from_db()
    assert account.user is None
    assert not AuditEvent.objects.filter(action="qa.chat_account_linked").exists()


def test_a_link_naming_a_missing_account_is_refused(successor, client_for) -> None:  # noqa: ANN001
    token = make_connect_token(account=ChatAccount(pk=987654))
    assert client_for(successor).get(f"/ask/connect/{token}/").status_code == 400


def test_an_account_linked_to_someone_else_cannot_be_taken_over(
    account,
    successor,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    path = _path(account)
    assert client_for(teammate).post(path).status_code == 200
    intruder = client_for(successor)
    page = intruder.get(path)
    assert page.status_code == 409 and "another Tacit account" in page.content.decode()
    assert intruder.post(path).status_code == 409
    account.refresh_from_db()
    assert account.user == teammate


def test_the_profile_lists_chat_accounts_and_unlinks_them(
    successor,
    teammate,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    mine = linked_account(successor, platform="feishu", workspace="tenant-1", external_id="ou_1")
    theirs = linked_account(teammate, platform="slack", workspace="T0TEAM", external_id="U2")
    client = client_for(successor)
    html = client.get("/profile/").content.decode()
    assert 'id="profile-chat-accounts"' in html and "Feishu/Lark" in html and "ou_1" in html
    assert f"/ask/chat-accounts/{mine.pk}/unlink/" in html and "U2" not in html
    assert "No chat account is connected" in client_for(outsider).get("/profile/").content.decode()

    assert client.get(f"/ask/chat-accounts/{mine.pk}/unlink/").status_code == 405
    assert client.post(f"/ask/chat-accounts/{theirs.pk}/unlink/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.user == teammate
    assert client_for(None).post(f"/ask/chat-accounts/{mine.pk}/unlink/").status_code == 302

    response = client.post(f"/ask/chat-accounts/{mine.pk}/unlink/")
    assert response.status_code == 302 and response["Location"] == "/profile/"
    mine.refresh_from_db()
    assert mine.user is None and mine.linked_at is None
    assert AuditEvent.objects.get(action="qa.chat_account_unlinked").actor == successor
    assert "No chat account is connected" in client.get("/profile/").content.decode()
