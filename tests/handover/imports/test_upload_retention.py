"""Stored uploads after an import: deleted on success or after the retention; kept on failure."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from config.celery import app
from core.models import AuditEvent
from handover.imports import pipeline, services
from handover.imports.tasks import delete_expired_uploads_task
from handover.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(owner, shared_data: Path) -> Source:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    source = services.create_source(
        owner=owner, uploaded_file=SimpleUploadedFile("testarchive.zip", data)
    )
    services.start_import(source=source, by=owner, schedule=False)
    return source


def _import(source: Source, capture, **kwargs: object) -> Source:  # noqa: ANN001
    with capture(execute=True):
        finished = pipeline.run_import(source_id=source.pk, **kwargs)
    assert finished is not None
    finished.refresh_from_db()
    return finished


def test_it_deletes_the_upload_at_once_on_success_by_default(
    shared_data: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    assert django_settings.IMPORT_UPLOAD_RETENTION_DAYS == 0
    source = _import(_upload(subject, shared_data), django_capture_on_commit_callbacks)
    assert source.status == Source.Status.SUCCEEDED
    assert source.upload_deleted and not Path(source.path).parent.exists()
    event = AuditEvent.objects.get(action="import.upload_deleted")
    assert event.details == {"reason": "success", "retention_days": 0}
    with pytest.raises(services.InvalidTransitionError, match="Upload the export again instead."):
        services.start_import(source=source, by=subject, schedule=False)
    source.refresh_from_db()
    assert source.status == Source.Status.SUCCEEDED


def test_it_keeps_the_upload_for_the_retention_then_beat_deletes_it(
    shared_data: Path,
    subject,  # noqa: ANN001
    settings,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 7
    source = _import(_upload(subject, shared_data), django_capture_on_commit_callbacks)
    stored = Path(source.path)
    assert source.status == Source.Status.SUCCEEDED and not source.upload_deleted
    assert stored.is_file()
    delete_expired_uploads_task()
    assert stored.is_file()
    Source.objects.filter(pk=source.pk).update(
        finished_at=timezone.now() - timedelta(days=6, hours=23)
    )
    assert services.delete_expired_uploads() == []
    assert stored.is_file()
    Source.objects.filter(pk=source.pk).update(
        finished_at=timezone.now() - timedelta(days=7, seconds=1)
    )
    delete_expired_uploads_task()
    source.refresh_from_db()
    assert source.upload_deleted and not stored.exists() and not stored.parent.exists()
    assert AuditEvent.objects.get(action="import.upload_deleted").details["reason"] == "retention"
    assert services.delete_expired_uploads() == []  # once only


def test_a_failed_import_keeps_its_file_for_a_retry(
    shared_data: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    source = _upload(subject, shared_data)

    def stop(progress: pipeline.ImportProgress) -> None:
        raise RuntimeError("the worker's disk is full")

    failed = _import(source, django_capture_on_commit_callbacks, on_progress=stop, batch_size=5)
    assert failed.status == Source.Status.FAILED and "disk is full" in failed.error
    Source.objects.filter(pk=source.pk).update(finished_at=timezone.now() - timedelta(days=400))
    assert services.delete_expired_uploads() == []
    assert Path(failed.path).is_file() and not Source.objects.get(pk=source.pk).upload_deleted
    # The retry reads the kept file to success, and then the file goes.
    services.start_import(source=failed, by=subject, schedule=False)
    retried = _import(failed, django_capture_on_commit_callbacks)
    assert retried.status == Source.Status.SUCCEEDED and retried.upload_deleted
    assert not Path(retried.path).exists()


def test_a_cancelled_import_keeps_its_file(
    shared_data: Path,
    subject,  # noqa: ANN001
) -> None:
    source = _upload(subject, shared_data)
    cancelled = services.cancel_import(source=source, by=subject)
    assert cancelled.status == Source.Status.CANCELLED
    Source.objects.filter(pk=source.pk).update(finished_at=timezone.now() - timedelta(days=400))
    assert services.delete_expired_uploads() == []
    assert Path(source.path).is_file()


def test_a_server_side_export_is_never_deleted(
    shared_data: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    path = shared_data / "slack" / "testarchive.zip"
    source = services.create_source(owner=subject, path=path)
    services.start_import(source=source, by=subject, schedule=False)
    finished = _import(source, django_capture_on_commit_callbacks)
    assert finished.status == Source.Status.SUCCEEDED and not finished.upload_deleted
    assert services.delete_expired_uploads() == []
    assert path.is_file()


def test_beat_runs_the_sweep_hourly() -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["delete-expired-uploads"]
    assert entry["task"] == "handover.tasks.delete_expired_uploads_task"
    assert entry["task"] in app.tasks and entry["schedule"] == 3600.0


def test_the_retention_setting_is_checked(monkeypatch) -> None:  # noqa: ANN001
    from config.env import ImproperlyConfiguredEnvError, env_int

    monkeypatch.setenv("IMPORT_UPLOAD_RETENTION_DAYS", "-1")
    with pytest.raises(ImproperlyConfiguredEnvError, match="too small"):
        env_int("IMPORT_UPLOAD_RETENTION_DAYS", 0, minimum=0, maximum=36500)
    monkeypatch.setenv("IMPORT_UPLOAD_RETENTION_DAYS", "99999")
    with pytest.raises(ImproperlyConfiguredEnvError, match="too large"):
        env_int("IMPORT_UPLOAD_RETENTION_DAYS", 0, minimum=0, maximum=36500)
