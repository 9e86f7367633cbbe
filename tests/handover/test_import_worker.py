"""Imports through a real Celery worker: upload to report, cancel, and resume after a SIGKILL."""

import os
import signal
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from bench.slack_export_generator import generate_slack_export
from handover.imports import pipeline, services
from handover.models import Message, Source
from handover.tasks import import_source_task
from tests.conftest import WorkerProcess, wait_for
from tests.handover.slack_counts import count_slack_export

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def _finished(source_id: int) -> Source | None:
    source = Source.objects.get(pk=source_id)
    return source if source.is_finished else None


def test_an_upload_is_imported_by_the_worker(
    celery_worker,  # noqa: ANN001
    client_for,  # noqa: ANN001
    subject,  # noqa: ANN001
    shared_data: Path,
    tmp_path: Path,
) -> None:
    folder = shared_data / "slack" / "houstondatavis"
    expected = count_slack_export(folder)
    archive = _zip_folder(folder, tmp_path / "houstondatavis.zip")
    client = client_for(subject)
    response = client.post(
        "/handover/imports/new/",
        {"file": SimpleUploadedFile(archive.name, archive.read_bytes())},
    )
    assert response.status_code == 302, response.content
    source = Source.objects.get(owner=subject)
    done = wait_for(lambda: _finished(source.pk), timeout=120)
    assert done.status == Source.Status.SUCCEEDED, done.error
    assert Message.objects.filter(conversation__owner=subject).count() == expected.messages
    assert done.report["totals"]["new"] == expected.messages
    page = client.get(f"/handover/imports/{source.pk}/", headers={"HX-Request": "true"})
    assert "Succeeded" in page.content.decode() and "hx-trigger" not in page.content.decode()

    # The upload is deleted once its import succeeded (IMPORT_UPLOAD_RETENTION_DAYS=0), so
    # importing it again is refused with the reason.
    stored = Path(source.path)
    wait_for(lambda: Source.objects.get(pk=source.pk).upload_deleted, timeout=30)
    assert not stored.exists() and not stored.parent.exists()
    refused = client.post(f"/handover/imports/{source.pk}/restart/", follow=True)
    assert "Upload the export again instead." in refused.content.decode()

    # The same export uploaded again, through the worker: nothing added.
    response = client.post(
        "/handover/imports/new/",
        {"file": SimpleUploadedFile(archive.name, archive.read_bytes())},
    )
    assert response.status_code == 302, response.content
    second = Source.objects.exclude(pk=source.pk).get(owner=subject)
    again = wait_for(lambda: _finished(second.pk), timeout=120)
    assert again.status == Source.Status.SUCCEEDED
    assert again.report["totals"] == {"new": 0, "updated": 0, "unchanged": expected.messages}
    assert Message.objects.count() == expected.messages


def test_a_running_import_can_be_cancelled(
    celery_worker,  # noqa: ANN001
    client_for,  # noqa: ANN001
    subject,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    export = generate_slack_export(tmp_path / "export", messages=60_000)
    source = services.create_source(owner=subject, path=export.path)
    services.start_import(source=source, by=subject)
    wait_for(lambda: Source.objects.get(pk=source.pk).messages_done > 0, timeout=120)
    client = client_for(subject)
    assert client.post(f"/handover/imports/{source.pk}/cancel/").status_code == 302
    done = wait_for(lambda: _finished(source.pk), timeout=120)
    assert done.status == Source.Status.CANCELLED
    stored = Message.objects.filter(conversation__owner=subject).count()
    # Whole batches only: what is stored is exactly what the checkpoint says.
    assert stored == done.messages_done == done.report["totals"]["new"]
    assert 0 < stored < export.messages


def test_an_import_resumes_without_duplicates_after_its_worker_is_killed(
    subject,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    export = generate_slack_export(tmp_path / "export", messages=80_000)
    expected = count_slack_export(export.path)
    assert expected.messages == export.messages
    source = services.create_source(owner=subject, path=export.path)
    services.start_import(source=source, by=subject, schedule=False)

    queue = f"resume-{uuid.uuid4().hex[:8]}"
    doomed = WorkerProcess(settings.DATABASES["default"]["NAME"], queue=queue)
    doomed.wait_ready()
    import_source_task.apply_async(args=[source.pk], queue=queue)
    wait_for(lambda: Source.objects.get(pk=source.pk).messages_done >= 10_000, timeout=180)
    os.kill(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait(timeout=30)
    killed = Source.objects.get(pk=source.pk)
    assert killed.status == Source.Status.RUNNING
    assert killed.messages_done < export.messages
    assert Message.objects.count() == killed.messages_done  # no half-written batch

    # A new worker, and the sweeper notices the stopped heartbeat and sends the import again.
    rescuer = WorkerProcess(settings.DATABASES["default"]["NAME"])
    try:
        rescuer.wait_ready()
        requeued = services.requeue_stale_imports(stale_after=timedelta(seconds=0))
        assert requeued == [source.pk]
        done = wait_for(lambda: _finished(source.pk), timeout=300)
    finally:
        rescuer.stop()
    assert done.status == Source.Status.SUCCEEDED, done.error
    assert done.attempts == 2
    assert Message.objects.filter(conversation__owner=subject).count() == expected.messages
    duplicates = (
        Message.objects.values("conversation_id", "external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()
    # Resumed from the checkpoint: every message was written once, none re-read as unchanged.
    assert done.report["totals"] == {"new": expected.messages, "updated": 0, "unchanged": 0}
    assert done.messages_done == expected.messages


def test_the_sweeper_leaves_live_and_finished_imports_alone(subject, shared_data: Path) -> None:  # noqa: ANN001
    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    assert services.requeue_stale_imports(stale_after=timedelta(seconds=0)) == []
    services.start_import(source=source, by=subject, schedule=False)
    Source.objects.filter(pk=source.pk).update(status=Source.Status.SUCCEEDED)
    assert services.requeue_stale_imports(stale_after=timedelta(seconds=0)) == []
    from django.utils import timezone

    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.RUNNING, heartbeat_at=timezone.now()
    )
    assert services.requeue_stale_imports(stale_after=timedelta(minutes=5)) == []
    # A second run cannot take a source whose heartbeat is fresh.
    assert pipeline.run_import(source_id=source.pk) is None
