"""The session engine reads what Django's database sessions read: a live row by its key,
nothing for an expired or unknown one, and a new key after a failed read."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_reads_a_live_session_as_djangos_engine_does() -> None:
    session = SessionStore()
    session["answer"] = 42
    session.create()
    assert SessionStore(session.session_key).load() == {"answer": 42}
    assert DjangoSessionStore(session.session_key).load() == {"answer": 42}


def test_an_expired_or_unknown_session_reads_as_empty_and_loses_its_key() -> None:
    session = SessionStore()
    session["answer"] = 42
    session.create()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    for key in (session.session_key, "no-such-session-key-000000000000"):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None


def test_a_signed_in_client_stays_signed_in_and_signs_out(teammate, client) -> None:  # noqa: ANN001
    client.force_login(teammate)
    assert client.get("/profile/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/profile/").status_code == 302
