"""The sign-in backend reads the user ``ModelBackend`` reads: an active user by id, nobody
for an unknown or inactive one; passwords are checked as ``ModelBackend`` checks them."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from core.backends import ModelBackend

pytestmark = pytest.mark.django_db


def test_it_reads_the_user_djangos_backend_reads(teammate, outsider) -> None:  # noqa: ANN001
    ours, django = ModelBackend(), DjangoModelBackend()
    for user_id in (teammate.pk, outsider.pk, -1, str(teammate.pk)):
        assert ours.get_user(user_id) == django.get_user(user_id)
    assert ours.get_user(teammate.pk).username == teammate.username


def test_an_inactive_user_is_nobody(teammate) -> None:  # noqa: ANN001
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    assert ModelBackend().get_user(teammate.pk) is None


def test_a_signed_in_client_is_its_user_until_deactivated(teammate, client) -> None:  # noqa: ANN001
    client.force_login(teammate)
    assert client.get("/profile/").status_code == 200
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    assert client.get("/profile/").status_code == 302


def test_it_signs_in_with_the_password_only(teammate) -> None:  # noqa: ANN001
    teammate.set_password("a long passphrase of words")
    teammate.save()
    assert authenticate(username=teammate.username, password="a long passphrase of words")
    assert authenticate(username=teammate.username, password="wrong") is None
