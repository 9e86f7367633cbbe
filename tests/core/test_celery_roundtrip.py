"""A task enqueued from a web request runs in a real worker process; the web side sees it."""

import os

import pytest

from core.models import TaskProbe, WorkerHeartbeat
from tests.conftest import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def test_it_round_trips_through_the_broker(celery_worker, client_for, operator) -> None:  # noqa: ANN001
    client = client_for(operator)
    created = client.post("/api/health/probes/")
    assert created.status_code == 202, created.content
    probe_id = created.json()["id"]
    assert created.json()["is_complete"] is False

    def answered() -> dict | None:
        body = client.get(f"/api/health/probes/{probe_id}/").json()
        return body if body["is_complete"] else None

    body = wait_for(answered, timeout=60)
    assert body["worker_hostname"]
    probe = TaskProbe.objects.get(pk=probe_id)
    assert probe.worker_hostname == body["worker_hostname"]
    # The worker ran in another process: its heartbeat is what /healthz reads.
    assert WorkerHeartbeat.objects.filter(hostname=probe.worker_hostname).exists()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    expected = "redis" if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else "tacitfs"
    assert response.json()["checks"]["broker"]["transport"] == expected


def test_only_operators_may_send_probes(client_for, teammate, outsider) -> None:  # noqa: ANN001
    anonymous = client_for(None).post("/api/health/probes/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    assert client_for(teammate).post("/api/health/probes/").status_code == 403
    assert client_for(outsider).get("/api/health/probes/1/").status_code == 403
    assert not TaskProbe.objects.exists()


def test_a_missing_probe_is_404(client_for, operator) -> None:  # noqa: ANN001
    assert client_for(operator).get("/api/health/probes/999999/").status_code == 404


def test_a_worker_reports_a_heartbeat_as_soon_as_it_is_up(django_db_setup) -> None:  # noqa: ANN001
    """No wait for beat's first interval: /healthz sees a (re)started worker at once."""
    from django.conf import settings
    from django.utils import timezone

    from tests.conftest import WorkerProcess

    started = timezone.now()
    worker = WorkerProcess(settings.DATABASES["default"]["NAME"])
    try:
        worker.wait_ready()
        wait_for(lambda: WorkerHeartbeat.objects.filter(beat_at__gte=started).exists(), timeout=30)
    finally:
        worker.stop()
