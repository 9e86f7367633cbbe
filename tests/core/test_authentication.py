"""The API's token authentication answers as DRF's: the token's user for a live token, 401
with the Token challenge for an unknown one or an inactive user."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _me(key: str | None):  # noqa: ANN202
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/me/")


def test_a_token_signs_its_user_in(teammate) -> None:  # noqa: ANN001
    token = Token.objects.create(user=teammate)
    for _ in range(2):  # compiled on the first, reused on the second
        response = _me(token.key)
        assert response.status_code == 200 and response.json()["username"] == "teammate"


def test_an_unknown_token_or_an_inactive_user_is_refused(teammate) -> None:  # noqa: ANN001
    token = Token.objects.create(user=teammate)
    response = _me("0" * 40)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "Invalid token."
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    response = _me(token.key)
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."
