"""Data exports built by a real Celery worker: asked for on the page, built, downloaded; and a
stalled export sent again by the sweeper and built."""

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from handover.models import DataExport, Message
from handover.rights import services
from handover.rights.export import export_folder
from handover.rights.selectors import HELD_KINDS
from tests.conftest import wait_for
from tests.handover.rights.conftest import export_kinds

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _finished(export_id: int) -> DataExport | None:
    export = DataExport.objects.get(pk=export_id)
    return export if export.status in {DataExport.Status.READY, DataExport.Status.FAILED} else None


@pytest.fixture
def _clean_exports() -> Iterator[None]:
    """The worker writes under the shared MEDIA_ROOT: remove what these tests made."""
    yield
    for export_id in DataExport.objects.values_list("pk", flat=True):
        shutil.rmtree(export_folder(export_id), ignore_errors=True)


@pytest.mark.usefixtures("_clean_exports")
def test_the_worker_builds_the_export_the_person_asked_for(
    celery_worker,  # noqa: ANN001
    client_for,  # noqa: ANN001
    subject,  # noqa: ANN001
    slack_import,  # noqa: ANN001
) -> None:
    client = client_for(subject)
    response = client.post("/handover/exports/")
    assert response.status_code == 302
    export = DataExport.objects.get(user=subject)
    done = wait_for(lambda: _finished(export.pk), timeout=120)
    assert done.status == DataExport.Status.READY, done.error
    assert done.kinds_done == done.kinds_total == len(export_kinds(subject)) and done.heartbeat_at

    page = client.get(f"/handover/exports/{export.pk}/", headers={"HX-Request": "true"})
    assert "Ready" in page.content.decode() and "hx-trigger" not in page.content.decode()
    download = client.get(f"/handover/exports/{export.pk}/download/")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        messages = json.loads(archive.read("messages.json"))
    assert list(manifest["kinds"]) == export_kinds(subject)
    own = set(Message.objects.filter(conversation__owner=subject).values_list("pk", flat=True))
    assert own and {m["id"] for m in messages} == own


@pytest.mark.usefixtures("_clean_exports")
def test_a_stalled_export_is_sent_again_and_built(celery_worker, subject) -> None:  # noqa: ANN001
    # As if a worker had claimed it and died: running, its heartbeat long stopped.
    export = DataExport.objects.create(
        user=subject,
        status=DataExport.Status.RUNNING,
        kinds_done=4,
        kinds_total=len(HELD_KINDS),
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    assert services.requeue_stale_data_exports() == [export.pk]
    done = wait_for(lambda: _finished(export.pk), timeout=120)
    assert done.status == DataExport.Status.READY, done.error
    assert done.kinds_done == len(export_kinds(subject))
