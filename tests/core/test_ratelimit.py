"""Fixed-window limits counted in the database, and the ask limits built on them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from core.models import RateCounter
from core.ratelimit import RateLimited, purge_expired, take
from qa.limits import AskRateLimitedError, take_ask
from qa.models import ChatPlatform, ChatWorkspace

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 10, 0, 30, tzinfo=UTC)


def test_take_counts_within_the_window_and_refuses_past_the_limit() -> None:
    assert [take(bucket="b", limit=3, window=60, now=NOW) for _i in range(3)] == [1, 2, 3]
    with pytest.raises(RateLimited) as refused:
        take(bucket="b", limit=3, window=60, now=NOW)
    assert refused.value.retry_after == 30
    # Another bucket and the next window count from zero.
    assert take(bucket="c", limit=3, window=60, now=NOW) == 1
    assert take(bucket="b", limit=3, window=60, now=NOW + timedelta(seconds=30)) == 1


def test_take_rejects_a_meaningless_limit() -> None:
    with pytest.raises(ValueError):
        take(bucket="b", limit=0)


def test_expired_windows_are_purged() -> None:
    take(bucket="old", limit=5, now=NOW - timedelta(hours=2))
    take(bucket="new", limit=5, now=NOW)
    assert purge_expired(now=NOW) == 1
    assert list(RateCounter.objects.values_list("bucket", flat=True)) == ["new"]


@override_settings(QA_ASKS_PER_USER_MINUTE=2, QA_ASKS_PER_WORKSPACE_MINUTE=3)
def test_asks_are_limited_per_person_and_per_workspace(successor, teammate) -> None:  # noqa: ANN001
    workspace = ChatWorkspace.objects.create(platform=ChatPlatform.SLACK, external_id="T1")
    take_ask(user=successor, workspace=workspace)
    take_ask(user=successor, workspace=workspace)
    with pytest.raises(AskRateLimitedError) as person:
        take_ask(user=successor, workspace=workspace)
    assert not person.value.workspace and "too many questions" in str(person.value)
    with pytest.raises(AskRateLimitedError) as team:
        take_ask(user=teammate, workspace=workspace)
    assert team.value.workspace and "workspace" in str(team.value)
    take_ask(user=teammate)  # the same person elsewhere is still within their own limit


@override_settings(QA_ASKS_PER_USER_MINUTE=1)
def test_the_api_answers_429_with_retry_after(successor) -> None:  # noqa: ANN001
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=successor).key}")
    assert client.post("/api/ask", {"question": "Where is the runbook?"}).status_code == 200
    refused = client.post("/api/ask", {"question": "Where is the runbook?"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "too many questions" in refused.json()["detail"]
