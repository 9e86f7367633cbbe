"""/healthz names each part and answers 503 naming the one that fails."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from core.models import WorkerHeartbeat


@pytest.fixture
def fresh_heartbeat(db) -> WorkerHeartbeat:  # noqa: ANN001
    return WorkerHeartbeat.objects.create(hostname="worker-1", beat_at=timezone.now())


def test_it_answers_200_naming_every_part(client, fresh_heartbeat) -> None:  # noqa: ANN001
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "pgvector", "broker", "worker", "embedding_model"}
    assert body["checks"]["pgvector"]["version"].startswith("0.")
    assert body["checks"]["embedding_model"] == {
        "ok": True,
        "name": "sentence-transformers/all-MiniLM-L6-v2",
        "dimension": 384,
        "index": {"state": "none"},
    }
    assert body["checks"]["worker"]["hostname"] == "worker-1"
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_answers_503_naming_an_unreachable_broker(client, fresh_heartbeat) -> None:  # noqa: ANN001
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]


def test_it_answers_503_naming_a_stale_worker(client, db) -> None:  # noqa: ANN001
    WorkerHeartbeat.objects.create(hostname="w", beat_at=timezone.now() - timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_it_answers_503_when_no_worker_ever_reported(client, db) -> None:  # noqa: ANN001
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "no worker" in response.json()["checks"]["worker"]["error"]


def test_it_refuses_other_methods(client, db) -> None:  # noqa: ANN001
    assert client.post("/healthz").status_code == 405


def test_it_runs_the_checks_each_app_registered() -> None:
    from core import health
    from qa.health import check_embedding_model

    checks = health.registered_checks()
    assert list(checks)[:4] == ["database", "pgvector", "broker", "worker"]
    assert checks["embedding_model"] is check_embedding_model


def test_it_refuses_a_second_check_under_a_taken_name() -> None:
    from core import health

    health.register_check("database", health.check_database)  # the same pair: no change
    with pytest.raises(ValueError, match="registered already"):
        health.register_check("database", health.check_worker)
    assert health.registered_checks()["database"] is health.check_database
