"""The import pipeline in-process: real exports, counts, idempotency, edits, cancel, bad input."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from core.models import AuditEvent
from handover.imports import batches, people, pipeline, services
from handover.models import Conversation, Message, Person, PersonIdentity, Source, Thread
from tests.handover.slack_counts import count_slack_export

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"


def _import(owner, path: Path, **kwargs) -> Source:  # noqa: ANN001
    source = services.create_source(owner=owner, path=path)
    services.start_import(source=source, by=owner, schedule=False)
    finished = pipeline.run_import(source_id=source.pk, **kwargs)
    assert finished is not None
    return finished


@pytest.mark.parametrize("name", ["houstondatavis", "testarchive.zip"])
def test_it_imports_real_slack_exports(shared_data: Path, subject, name: str) -> None:  # noqa: ANN001
    path = shared_data / "slack" / name
    expected = count_slack_export(path)
    source = _import(subject, path)
    assert source.status == Source.Status.SUCCEEDED, source.error
    assert source.format == "slack"
    assert Conversation.objects.filter(owner=subject).count() >= expected.conversations
    conversations_with_messages = (
        Conversation.objects.filter(owner=subject, messages__isnull=False).distinct().count()
    )
    assert conversations_with_messages == expected.conversations
    assert Message.objects.filter(conversation__owner=subject).count() == expected.messages
    assert Thread.objects.filter(conversation__owner=subject).count() == expected.threads
    assert source.messages_done == expected.messages == source.messages_total
    totals = source.report["totals"]
    assert totals == {"new": expected.messages, "updated": 0, "unchanged": 0}
    per_conversation = {
        entry["name"]: entry["new"] for entry in source.report["conversations"].values()
    }
    for channel, count in expected.per_channel.items():
        assert per_conversation[channel] == count
    actions = list(
        AuditEvent.objects.filter(scope=f"import:{source.pk}").values_list("action", flat=True)
    )
    assert sorted(actions) == ["import.finished", "import.started", "import.uploaded"]


def test_files_that_are_not_day_files_are_reported(shared_data: Path, subject) -> None:  # noqa: ANN001
    source = _import(subject, shared_data / "slack" / "houstondatavis")
    locations = {item["location"] for item in source.report["skipped"]}
    assert "README.md" in locations
    assert "integration_logs.json" in locations
    assert all(item["reason"] for item in source.report["skipped"])
    assert source.report["skipped_count"] == len(source.report["skipped"])


def test_the_same_export_twice_adds_nothing(shared_data: Path, subject) -> None:  # noqa: ANN001
    path = shared_data / "slack" / "houstondatavis"
    _import(subject, path)
    counts = (Message.objects.count(), Thread.objects.count(), Person.objects.count())
    again = _import(subject, path)
    assert again.status == Source.Status.SUCCEEDED
    assert (Message.objects.count(), Thread.objects.count(), Person.objects.count()) == counts
    assert again.report["totals"]["new"] == 0
    assert again.report["totals"]["updated"] == 0
    assert again.report["totals"]["unchanged"] == counts[0]
    assert not Message.objects.filter(revision__gt=1).exists()


def _edit_copy(shared_data: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A later export: one message edited, one new message; returns (path, edited ts, new ts)."""
    copy = tmp_path / "later-export"
    shutil.copytree(shared_data / "slack" / "houstondatavis", copy)
    day_file = sorted((copy / "general").glob("*.json"))[0]
    messages = json.loads(day_file.read_text())
    edited = next(m for m in messages if m.get("type") == "message" and "ts" in m)
    edited["text"] = "An edited text, corrected after the first export"
    edited["edited"] = {"user": edited.get("user", "U0"), "ts": "1500000000.000100"}
    new_ts = "1500000001.000200"
    messages.append(
        {"type": "message", "user": edited.get("user"), "text": "A brand new message", "ts": new_ts}
    )
    day_file.write_text(json.dumps(messages))
    return copy, str(edited["ts"]), new_ts


def test_a_later_export_adds_only_new_and_edited_messages(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
) -> None:
    _import(subject, shared_data / "slack" / "houstondatavis")
    before = Message.objects.count()
    later, edited_ts, new_ts = _edit_copy(shared_data, tmp_path)
    source = _import(subject, later)
    assert source.report["totals"]["new"] == 1
    assert source.report["totals"]["updated"] == 1
    assert source.report["totals"]["unchanged"] == before - 1
    assert Message.objects.count() == before + 1
    edited = Message.objects.get(external_id=edited_ts, conversation__name="general")
    assert edited.text == "An edited text, corrected after the first export"
    assert edited.revision == 2 and edited.is_edited
    assert edited.source_id == source.pk
    assert Message.objects.get(external_id=new_ts).text == "A brand new message"


def test_a_malformed_day_file_is_reported_and_the_rest_imported(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
) -> None:
    copy = tmp_path / "broken"
    shutil.copytree(shared_data / "slack" / "houstondatavis", copy)
    broken = sorted((copy / "general").glob("*.json"))[0]
    lost = len([m for m in json.loads(broken.read_text()) if "ts" in m])
    broken.write_text('[{"type": "message", "ts": "1.0", "text": "cut off')
    expected = count_slack_export(copy)
    source = _import(subject, copy)
    assert source.status == Source.Status.SUCCEEDED
    assert Message.objects.count() == expected.messages
    assert (
        expected.messages
        == count_slack_export(shared_data / "slack" / "houstondatavis").messages - lost
    )
    reasons = {item["location"]: item["reason"] for item in source.report["skipped"]}
    assert any(location.endswith(broken.name) for location in reasons)


def test_cancelling_stops_between_batches(shared_data: Path, subject) -> None:  # noqa: ANN001
    source = services.create_source(owner=subject, path=shared_data / "slack" / "houstondatavis")
    services.start_import(source=source, by=subject, schedule=False)
    batches: list[int] = []

    def cancel_after_first_batch(progress: pipeline.ImportProgress) -> None:
        if progress.messages_done and not batches:
            batches.append(progress.messages_done)
            services.cancel_import(source=Source.objects.get(pk=source.pk), by=subject)

    finished = pipeline.run_import(
        source_id=source.pk, batch_size=100, on_progress=cancel_after_first_batch
    )
    assert finished is not None
    assert finished.status == Source.Status.CANCELLED
    assert finished.report["cancelled"] is True
    # Exactly the batches committed before the request stay; no half batch.
    assert Message.objects.count() == batches[0] == 100
    assert (
        AuditEvent.objects.filter(scope=f"import:{source.pk}", action="import.cancelled").count()
        == 2
    )
    with pytest.raises(services.InvalidTransitionError):
        services.cancel_import(source=finished, by=subject)
    # Importing it again completes the work without duplicates.
    services.start_import(source=finished, by=subject, schedule=False)
    done = pipeline.run_import(source_id=source.pk)
    assert done is not None and done.status == Source.Status.SUCCEEDED
    expected = count_slack_export(shared_data / "slack" / "houstondatavis").messages
    assert Message.objects.count() == expected
    assert done.report["totals"]["unchanged"] == 100


def test_a_queued_import_is_cancelled_at_once(shared_data: Path, subject) -> None:  # noqa: ANN001
    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    services.start_import(source=source, by=subject, schedule=False)
    cancelled = services.cancel_import(source=source, by=subject)
    assert cancelled.status == Source.Status.CANCELLED
    assert pipeline.run_import(source_id=source.pk) is None
    assert not Message.objects.exists()


def test_a_running_import_cannot_be_started_twice(shared_data: Path, subject) -> None:  # noqa: ANN001
    source = services.create_source(owner=subject, path=shared_data / "slack" / "testarchive.zip")
    services.start_import(source=source, by=subject, schedule=False)
    with pytest.raises(services.InvalidTransitionError):
        services.start_import(source=source, by=subject, schedule=False)


def test_people_are_matched_by_email_and_linked_to_users(
    shared_data: Path,
    subject,  # noqa: ANN001
    django_user_model,  # noqa: ANN001
) -> None:
    users = json.loads((shared_data / "slack" / "houstondatavis" / "users.json").read_text())
    with_email = next(u for u in users if u.get("profile", {}).get("email"))
    email = with_email["profile"]["email"]
    colleague = django_user_model.objects.create_user(username="colleague", email=email.upper())
    _import(subject, shared_data / "slack" / "houstondatavis")
    identity = PersonIdentity.objects.get(
        owner=subject, platform="slack", external_key=with_email["id"]
    )
    assert identity.person.email == email.lower()
    assert identity.person.user == colleague


def test_merging_people_moves_their_messages(shared_data: Path, subject, teammate) -> None:  # noqa: ANN001
    _import(subject, shared_data / "slack" / "houstondatavis")
    authors = list(
        Person.objects.filter(owner=subject, messages__isnull=False).distinct().order_by("pk")[:2]
    )
    keep, absorb = authors
    total = Message.objects.filter(author__in=authors).count()
    people.merge_people(keep=keep, absorb=absorb, by=subject)
    assert Message.objects.filter(author=keep).count() == total
    absorb.refresh_from_db()
    assert absorb.merged_into == keep
    assert AuditEvent.objects.filter(action="person.merged", target_id=str(keep.pk)).exists()
    with pytest.raises(services.InvalidTransitionError):
        people.merge_people(keep=keep, absorb=keep, by=subject)
    other = Person.objects.create(owner=teammate, display_name="Someone else")
    with pytest.raises(services.InvalidTransitionError):
        people.merge_people(keep=keep, absorb=other, by=subject)


# --- Bad input ---------------------------------------------------------------------------------


def _nothing_stored(settings) -> bool:  # noqa: ANN001
    imports = Path(settings.MEDIA_ROOT) / "imports"
    return not Source.objects.exists() and (not imports.exists() or not any(imports.iterdir()))


def test_an_oversized_upload_is_refused(settings, subject) -> None:  # noqa: ANN001
    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    upload = SimpleUploadedFile("export.json", b'{"messages": []}' * 4)
    with pytest.raises(services.ImportRejectedError, match="larger than the limit"):
        services.create_source(owner=subject, uploaded_file=upload)
    assert _nothing_stored(settings)


def test_a_file_that_is_no_export_is_refused(settings, subject) -> None:  # noqa: ANN001
    upload = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(services.ImportRejectedError, match="photo.png"):
        services.create_source(owner=subject, uploaded_file=upload)
    assert _nothing_stored(settings)


def test_a_zip_that_is_no_known_export_is_refused(settings, subject, tmp_path: Path) -> None:  # noqa: ANN001
    import zipfile

    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("notes/readme.md", "just notes")
    upload = SimpleUploadedFile("notes.zip", archive.read_bytes())
    with pytest.raises(services.ImportRejectedError, match="notes.zip"):
        services.create_source(owner=subject, uploaded_file=upload)
    assert _nothing_stored(settings)


def test_an_unknown_format_override_is_refused(settings, shared_data: Path, subject) -> None:  # noqa: ANN001
    with pytest.raises(services.ImportRejectedError, match="Unknown export format"):
        services.create_source(
            owner=subject, path=shared_data / "slack" / "testarchive.zip", format="carrier-pigeon"
        )
    assert _nothing_stored(settings)


def test_a_missing_path_is_refused(settings, subject, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(services.ImportRejectedError, match="does not exist"):
        services.create_source(owner=subject, path=tmp_path / "nowhere.zip")
    assert _nothing_stored(settings)


def test_an_upload_is_stored_under_media_imports(settings, shared_data: Path, subject) -> None:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    source = services.create_source(
        owner=subject, uploaded_file=SimpleUploadedFile("testarchive.zip", data)
    )
    assert source.format == "slack" and source.is_upload
    assert Path(source.path).is_relative_to(Path(settings.MEDIA_ROOT) / "imports")
    assert Path(source.path).read_bytes() == data
    assert source.size_bytes == len(data)


REAL_EXPORTS = [
    "mbox/bigbang/3GPP_TSG_SA_WG4_EVS.mbox",
    "mbox/bigbang/3GPP_TSG_RAN_WG4_NR-MIMO-OTA.mbox",
    "mbox/bigbang/numpy-discussion-2001-November.txt",
    "mbox/perceval/mbox_complex.mbox",
    "mbox/perceval/mbox_unknown_encoding.mbox",
    "mbox/perceval/mbox_iso8859_encoding.mbox",
    "mbox/perceval/mbox_no_fields.mbox",
    "telegram/desktop-export",
    "chat-samples/discord/GC_3A_5M.json",
    "chat-samples/telegram/DM_2A_7M.json",
    "chat-samples/whatsapp/4A_11M.zip",
]


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_every_real_export_is_stored_whole_and_once(shared_data: Path, subject, name: str) -> None:  # noqa: ANN001
    """The pipeline keeps every message and thread the importer reads, and only once."""
    from handover.importers.archive import ExportSource
    from handover.importers.base import MessageRecord
    from handover.importers.registry import detect_format

    path = shared_data / name
    with ExportSource(path) as export:
        importer = detect_format(export)
        records = [r for r in importer.iter_records(export) if isinstance(r, MessageRecord)]
    messages = {(r.conversation_key, r.key) for r in records}
    threads = {(r.conversation_key, r.thread_key or r.key) for r in records}
    source = _import(subject, path)
    assert source.status == Source.Status.SUCCEEDED, source.error
    assert source.format == importer.format
    assert Message.objects.filter(conversation__owner=subject).count() == len(messages)
    assert Thread.objects.filter(conversation__owner=subject).count() == len(threads)
    assert source.report["totals"]["new"] == len(messages)
    again = _import(subject, path)
    assert again.report["totals"] == {"new": 0, "updated": 0, "unchanged": len(messages)}
    assert Message.objects.count() == len(messages)


def test_a_slack_export_without_users_json_still_imports(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
) -> None:
    copy = tmp_path / "no-users"
    shutil.copytree(shared_data / "slack" / "houstondatavis", copy)
    (copy / "users.json").unlink()
    expected = count_slack_export(copy)
    source = _import(subject, copy)
    assert source.status == Source.Status.SUCCEEDED
    assert Message.objects.count() == expected.messages
    assert any("users.json" in item["location"] for item in source.report["skipped"])
    # Authors are still people, named by their Slack id.
    assert Message.objects.filter(author__isnull=False).exists()


def test_a_failure_midway_keeps_whole_batches_and_says_why(
    shared_data: Path,
    tmp_path: Path,
    subject,  # noqa: ANN001
) -> None:
    """The export disappears during the import: the source fails clearly, batches stay whole."""
    copy = tmp_path / "vanishing"
    shutil.copytree(shared_data / "slack" / "houstondatavis", copy)
    source = services.create_source(owner=subject, path=copy)
    services.start_import(source=source, by=subject, schedule=False)

    def remove_the_export(progress: pipeline.ImportProgress) -> None:
        if progress.messages_done and copy.exists():
            shutil.rmtree(copy)

    finished = pipeline.run_import(
        source_id=source.pk, batch_size=100, on_progress=remove_the_export
    )
    assert finished is not None
    assert finished.status == Source.Status.FAILED
    assert finished.error
    assert finished.report["errors"] == [finished.error]
    assert Message.objects.count() == finished.messages_done
    assert finished.messages_done % 100 == 0


def test_long_ids_stay_distinct_and_match_again(subject) -> None:  # noqa: ANN001
    """Two Message-IDs longer than a column that share their first 255 characters."""
    from datetime import UTC, datetime

    from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord

    prefix = "<" + "x" * 300
    records = [
        PersonRecord(key="p" * 400, display_name="Long"),
        ConversationRecord(key="list-" + "l" * 300, name="A list"),
        *[
            MessageRecord(
                key=f"{prefix}{n}@example.com>",
                conversation_key="list-" + "l" * 300,
                thread_key=f"{prefix}1@example.com>",
                author_key="p" * 400,
                sent_at=datetime(2024, 1, n, tzinfo=UTC),
                text=f"message {n}",
                reply_to_key=f"{prefix}1@example.com>" if n > 1 else None,
            )
            for n in (1, 2)
        ],
    ]
    totals = []
    for _attempt in range(2):
        source = Source.objects.create(owner=subject, format="email", run_token="t")
        writer = batches.BatchWriter(source=source, token="t", batch_size=10, on_progress=None)
        for position, record in enumerate(records, start=1):
            writer.add(record, position)
        writer.flush()
        totals.append(writer.report["totals"])
    assert totals == [
        {"new": 2, "updated": 0, "unchanged": 0},
        {"new": 0, "updated": 0, "unchanged": 2},
    ]
    assert Message.objects.count() == 2
    assert Thread.objects.count() == 1
    assert Person.objects.count() == 1
    assert all(len(m.external_id) <= 255 for m in Message.objects.all())


def test_a_small_thread_cache_still_links_every_reply(
    subject,  # noqa: ANN001
    tmp_path: Path,
    monkeypatch,  # noqa: ANN001
) -> None:
    """The writer forgets threads to keep memory flat; replies must still find their thread."""
    from bench.slack_export_generator import generate_slack_export

    monkeypatch.setattr(batches.BatchWriter, "THREAD_CACHE_LIMIT", 300)
    export = generate_slack_export(tmp_path / "export", messages=6000, channels=3)
    expected = count_slack_export(export.path)
    source = _import(subject, export.path, batch_size=500)
    assert source.status == Source.Status.SUCCEEDED, source.error
    assert Message.objects.count() == expected.messages == export.messages
    assert Thread.objects.count() == expected.threads
    replies = Message.objects.exclude(reply_to_key="")
    assert replies.exists()
    assert not replies.exclude(thread__root_key=models.F("reply_to_key")).exists()


def test_progress_is_reported_in_bytes_read(
    subject,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    from bench.slack_export_generator import generate_slack_export

    export = generate_slack_export(tmp_path / "export", messages=3000, channels=2)
    source = services.create_source(owner=subject, path=export.path)
    services.start_import(source=source, by=subject, schedule=False)
    seen: list[tuple[int, int, int | None]] = []

    def record(progress: pipeline.ImportProgress) -> None:
        row = Source.objects.get(pk=source.pk)
        seen.append((progress.bytes_done, progress.bytes_total, row.percent_done))

    finished = pipeline.run_import(source_id=source.pk, batch_size=250, on_progress=record)
    assert finished is not None and finished.status == Source.Status.SUCCEEDED
    total = sum(p.stat().st_size for p in export.path.rglob("*") if p.is_file())
    assert {bytes_total for _done, bytes_total, _percent in seen} == {total}
    done = [bytes_done for bytes_done, _total, _percent in seen]
    assert done == sorted(done) and 0 < done[0] < total
    percents = [percent for _done, _total, percent in seen]
    assert all(percent is not None and 0 <= percent <= 99 for percent in percents)
    assert len(set(percents)) > 3  # it moves
    assert finished.percent_done == 100 and finished.bytes_done == finished.bytes_total == total


def test_counting_first_gives_a_message_total_from_the_start(
    settings,  # noqa: ANN001
    shared_data: Path,
    subject,  # noqa: ANN001
) -> None:
    settings.IMPORT_COUNT_FIRST = True
    path = shared_data / "slack" / "houstondatavis"
    expected = count_slack_export(path).messages
    source = services.create_source(owner=subject, path=path)
    services.start_import(source=source, by=subject, schedule=False)
    seen: list[tuple[int, int | None]] = []
    finished = pipeline.run_import(
        source_id=source.pk,
        batch_size=300,
        on_progress=lambda p: seen.append((p.messages_done, p.messages_total)),
    )
    assert finished is not None and finished.status == Source.Status.SUCCEEDED
    assert seen[0] == (0, expected)  # the count, before the first batch
    assert {total for _done, total in seen} == {expected}
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)
    assert Message.objects.count() == expected


@pytest.mark.parametrize("name", ["a/../../b.zip", "résumé (final) ✓.zip", "x" * 300 + ".zip"])
def test_odd_upload_names_are_stored_safely(
    settings, shared_data: Path, subject, name: str
) -> None:  # noqa: ANN001
    data = (shared_data / "slack" / "testarchive.zip").read_bytes()
    source = services.create_source(owner=subject, uploaded_file=SimpleUploadedFile(name, data))
    stored = Path(source.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT) / "imports")
    assert stored.parent.parent == Path(settings.MEDIA_ROOT) / "imports"
    assert stored.read_bytes() == data
    assert len(source.original_name) <= 255


def test_submit_export_stores_and_queues_in_one_step(subject, shared_data: Path) -> None:  # noqa: ANN001
    upload = SimpleUploadedFile(
        "export.zip", (shared_data / "slack" / "testarchive.zip").read_bytes()
    )
    source = services.submit_export(owner=subject, uploaded_file=upload, schedule=False)
    assert source.status == Source.Status.QUEUED and source.format == "slack"
    actions = list(
        AuditEvent.objects.filter(scope=f"import:{source.pk}")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["import.uploaded", "import.started"]


def test_submit_export_keeps_nothing_when_the_export_is_refused(subject, settings) -> None:  # noqa: ANN001
    upload = SimpleUploadedFile("notes.bin", b"\x00\x01 not an export")
    with pytest.raises(services.ImportRejectedError):
        services.submit_export(owner=subject, uploaded_file=upload)
    assert _nothing_stored(settings)
