"""Erasing an import on real exports: nothing of it remains, what other imports brought stays."""

import json
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from handover.imports import pipeline, services
from handover.models import (
    Conversation,
    DeletionReceipt,
    Message,
    Person,
    PersonIdentity,
    Source,
    Thread,
)
from handover.rights import selectors as rights_selectors
from handover.rights.services import ErasureNotAllowedError, ImportRunningError, erase_import

pytestmark = pytest.mark.django_db

MODELS = {
    "messages": lambda owner: Message.objects.filter(conversation__owner=owner),
    "threads": lambda owner: Thread.objects.filter(conversation__owner=owner),
    "conversations": lambda owner: Conversation.objects.filter(owner=owner),
    "people": lambda owner: Person.objects.filter(owner=owner),
    "identities": lambda owner: PersonIdentity.objects.filter(owner=owner),
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    # Keep uploads after success, so that erasure is what deletes them.
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 30


def _zip(files: dict[str, Path], target: Path) -> Path:
    """A zip of real export files, unmodified, under the names an export gives them."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files.items()):
            archive.write(path, name)
    return target


def _slack_files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def upload_and_import(owner, path: Path, name: str | None = None) -> Source:  # noqa: ANN001
    """Upload the export at ``path`` and import it through the real pipeline, to success."""
    upload = SimpleUploadedFile(name or path.name, path.read_bytes())
    source = services.create_source(owner=owner, uploaded_file=upload)
    services.start_import(source=source, by=owner, schedule=False)
    finished = pipeline.run_import(source_id=source.pk, batch_size=500)
    assert finished is not None and finished.status == Source.Status.SUCCEEDED, finished.error
    return finished


def _counts(owner) -> dict[str, int]:  # noqa: ANN001
    return {what: rows(owner).count() for what, rows in MODELS.items()}


def _message_ids(owner) -> set[int]:  # noqa: ANN001
    return set(MODELS["messages"](owner).values_list("pk", flat=True))


def _receipt_counts(receipt: DeletionReceipt) -> dict[str, int]:
    return {item["what"]: item["count"] for item in receipt.items}


@pytest.fixture
def slack_zip(shared_data: Path, tmp_path: Path) -> Path:
    folder = shared_data / "slack" / "houstondatavis"
    return _zip(_slack_files(folder), tmp_path / "houstondatavis.zip")


def test_it_erases_a_slack_upload_and_nothing_of_it_remains(
    slack_zip: Path,
    shared_data: Path,
    subject,  # noqa: ANN001
    teammate,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    source = upload_and_import(subject, slack_zip)
    # Another person's import of the same workspace is theirs and stays whole.
    theirs = services.create_source(owner=teammate, path=shared_data / "slack" / "houstondatavis")
    services.start_import(source=theirs, by=teammate, schedule=False)
    pipeline.run_import(source_id=theirs.pk)
    their_counts = _counts(teammate)
    before = _counts(subject)
    assert before["messages"] > 1000 and before["people"] > 50
    stored = Path(source.path)
    assert stored.is_file()
    preview = rights_selectors.plan_import_erasure(source=source).counts()
    assert preview == {**before, "files": 1}

    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=source, by=subject)

    assert _counts(subject) == dict.fromkeys(MODELS, 0)
    assert not Source.objects.filter(pk=source.pk).exists()
    assert not Message.objects.filter(source_id=source.pk).exists()
    assert not stored.exists() and not stored.parent.exists()
    assert _counts(teammate) == their_counts
    assert (shared_data / "slack" / "houstondatavis" / "users.json").is_file()

    receipt.refresh_from_db()
    assert receipt.user == subject and receipt.kind == DeletionReceipt.Kind.IMPORT_ERASURE
    assert receipt.summary == "houstondatavis.zip"
    assert _receipt_counts(receipt) == {**before, "files": 1, "imports": 1}
    assert receipt.completed_at is not None
    assert all(item["at"] for item in receipt.items)

    event = AuditEvent.objects.get(action="import.erased")
    assert event.actor == subject and event.target_id == str(source.pk)
    assert event.details == {"receipt": receipt.pk, "counts": {**before, "imports": 1}}
    assert "houstondatavis" not in json.dumps(event.details)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["subject@example.com"]
    assert f"Messages: {before['messages']}" in sent.body
    assert "houstondatavis.zip" in sent.body


def test_a_second_import_sharing_a_conversation_keeps_its_messages(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    """An earlier and a later export of one workspace: #general's last days came later."""
    folder = shared_data / "slack" / "houstondatavis"
    files = _slack_files(folder)
    general_days = sorted(name for name in files if name.startswith("general/2"))
    later = set(general_days[len(general_days) // 2 :])
    earlier_zip = _zip({n: p for n, p in files.items() if n not in later}, tmp_path / "early.zip")
    later_zip = _zip(
        {n: files[n] for n in ["channels.json", "users.json", *sorted(later)]},
        tmp_path / "late.zip",
    )
    earlier = upload_and_import(subject, earlier_zip)
    latest = upload_and_import(subject, later_zip)
    kept = list(Message.objects.filter(source=latest).values_list("pk", flat=True))
    assert kept and Message.objects.filter(source=earlier).exists()
    general = Conversation.objects.get(owner=subject, name="general")
    assert Message.objects.filter(conversation=general, source=earlier).exists()
    authors = set(
        Message.objects.filter(source=latest, author__isnull=False).values_list("author", flat=True)
    )
    before = _counts(subject)

    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=earlier, by=subject)

    assert _message_ids(subject) == set(kept)
    assert list(Conversation.objects.filter(owner=subject)) == [general]
    # Every thread left holds a message; every person left is named by one.
    assert not Thread.objects.filter(conversation__owner=subject, messages=None).exists()
    assert set(Person.objects.filter(owner=subject).values_list("pk", flat=True)) == authors
    assert Path(latest.path).is_file() and not Path(earlier.path).exists()
    after = _counts(subject)
    removed = {what: before[what] - after[what] for what in MODELS}
    assert _receipt_counts(receipt) == {**removed, "files": 1, "imports": 1}

    # Then the later one: nothing of the owner's archive remains.
    with django_capture_on_commit_callbacks(execute=True):
        erase_import(source=Source.objects.get(pk=latest.pk), by=subject)
    assert _counts(subject) == dict.fromkeys(MODELS, 0)


def _split_mbox(path: Path, target: Path) -> tuple[Path, Path]:
    """The mailbox's first and second halves, message by message, under its own name."""
    data = path.read_bytes()
    starts = [0] + [i + 1 for i in range(len(data) - 5) if data[i : i + 6] == b"\nFrom "]
    middle = starts[len(starts) // 2]
    first, second = target / "first" / path.name, target / "second" / path.name
    for half, content in ((first, data[:middle]), (second, data[middle:])):
        half.parent.mkdir(parents=True)
        half.write_bytes(content)
    return first, second


def test_it_erases_an_mbox_upload_and_keeps_the_other_half_of_the_list(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    mailbox = shared_data / "mbox" / "bigbang" / "3GPP_TSG_SA_WG4_EVS.mbox"
    first, second = _split_mbox(mailbox, tmp_path)
    older = upload_and_import(subject, first)
    alone = _counts(subject)
    newer = upload_and_import(subject, second)
    assert Conversation.objects.filter(owner=subject).count() == 1  # one list, two downloads
    kept = set(Message.objects.filter(source=newer).values_list("pk", flat=True))
    assert kept and len(kept) + alone["messages"] == _counts(subject)["messages"]

    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=older, by=subject)

    assert _message_ids(subject) == kept
    assert not Thread.objects.filter(conversation__owner=subject, messages=None).exists()
    assert not Person.objects.filter(owner=subject, messages=None).exists()
    assert _receipt_counts(receipt)["messages"] == alone["messages"]
    assert not Path(older.path).exists() and Path(newer.path).is_file()

    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=Source.objects.get(pk=newer.pk), by=subject)
    assert _counts(subject) == dict.fromkeys(MODELS, 0)
    assert _receipt_counts(receipt)["messages"] == len(kept)


@pytest.mark.parametrize("status", [Source.Status.RUNNING, Source.Status.QUEUED])
def test_a_running_import_is_refused_and_nothing_is_deleted(
    shared_data: Path,
    subject,  # noqa: ANN001
    status: str,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    source = upload_and_import(subject, shared_data / "slack" / "testarchive.zip")
    before = _counts(subject)
    Source.objects.filter(pk=source.pk).update(status=status)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ImportRunningError) as err:
        erase_import(source=Source.objects.get(pk=source.pk), by=subject)
    assert "Cancel it first, then delete it." in str(err.value)
    assert _counts(subject) == before
    assert Source.objects.filter(pk=source.pk).exists() and Path(source.path).is_file()
    assert not DeletionReceipt.objects.exists() and not mail.outbox
    assert not AuditEvent.objects.filter(action="import.erased").exists()


def test_another_running_import_of_the_owner_is_named(
    shared_data: Path,
    subject,  # noqa: ANN001
) -> None:
    done = upload_and_import(subject, shared_data / "slack" / "testarchive.zip")
    busy = services.create_source(owner=subject, path=shared_data / "mbox" / "perceval")
    services.start_import(source=busy, by=subject, schedule=False)
    before = _counts(subject)
    with pytest.raises(ImportRunningError, match="“perceval” is queued or running"):
        erase_import(source=done, by=subject)
    assert _counts(subject) == before and Source.objects.count() == 2


@pytest.mark.parametrize("persona", ["operator", "teammate", "manager", None])
def test_only_the_owner_may_erase(
    shared_data: Path,
    subject,  # noqa: ANN001
    persona: str | None,
    request,  # noqa: ANN001
) -> None:
    from django.contrib.auth.models import AnonymousUser

    source = upload_and_import(subject, shared_data / "slack" / "testarchive.zip")
    before = _counts(subject)
    by = request.getfixturevalue(persona) if persona else AnonymousUser()
    with pytest.raises(ErasureNotAllowedError):
        erase_import(source=source, by=by)
    assert _counts(subject) == before and Source.objects.filter(pk=source.pk).exists()


def test_a_server_side_export_is_never_deleted(
    shared_data: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    folder = shared_data / "slack" / "houstondatavis"
    source = services.create_source(owner=subject, path=folder)
    services.start_import(source=source, by=subject, schedule=False)
    pipeline.run_import(source_id=source.pk)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=source, by=subject)
    assert (folder / "users.json").is_file() and (folder / "general").is_dir()
    files = next(item for item in receipt.items if item["what"] == "files")
    assert files["count"] == 0 and files["note"] == "server_export"
    assert receipt.completed_at is not None and _counts(subject) == dict.fromkeys(MODELS, 0)


def test_an_upload_outside_the_upload_folder_is_reported_not_deleted(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
    caplog,  # noqa: ANN001
) -> None:
    source = upload_and_import(subject, shared_data / "slack" / "testarchive.zip")
    elsewhere = tmp_path / "elsewhere" / "testarchive.zip"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(Path(source.path).read_bytes())
    Source.objects.filter(pk=source.pk).update(path=str(elsewhere))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=Source.objects.get(pk=source.pk), by=subject)
    assert elsewhere.is_file()
    files = next(item for item in receipt.items if item["what"] == "files")
    assert files["count"] == 0 and files["error"] == "delete_failed"
    receipt.refresh_from_db()
    assert receipt.completed_at is None
    assert "its upload is not deleted" in caplog.text
    # The rows are deleted all the same; the receipt says the file is not.
    assert _counts(subject) == dict.fromkeys(MODELS, 0)


def test_an_upload_deleted_after_success_is_on_the_receipt(
    shared_data: Path,
    subject,  # noqa: ANN001
    settings,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 0
    with django_capture_on_commit_callbacks(execute=True):
        source = upload_and_import(subject, shared_data / "slack" / "testarchive.zip")
    source.refresh_from_db()
    assert source.upload_deleted
    with django_capture_on_commit_callbacks(execute=True):
        receipt = erase_import(source=source, by=subject)
    files = next(item for item in receipt.items if item["what"] == "files")
    assert files == {
        "what": "files",
        "count": 1,
        "at": source.upload_deleted_at.isoformat(),
        "note": "already_deleted",
    }
    assert receipt.completed_at is not None


def test_no_mail_without_an_address(
    shared_data: Path,
    subject,  # noqa: ANN001
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    subject.email = ""
    subject.save(update_fields=["email"])
    source = upload_and_import(subject, shared_data / "slack" / "testarchive.zip")
    with django_capture_on_commit_callbacks(execute=True):
        erase_import(source=source, by=subject)
    assert not mail.outbox and DeletionReceipt.objects.filter(user=subject).count() == 1
