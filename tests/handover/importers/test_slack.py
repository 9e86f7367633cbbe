"""The Slack importer on the real exports in shared/data, and on broken copies built in tmp_path."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

from handover.importers import slack
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(slack.importer.iter_records(source))


def _expected_from_files(files: dict[str, bytes]) -> tuple[set[str], int, set[tuple[str, str]]]:
    """Folders with day files, message count and (folder, thread) pairs, by plain json.loads."""
    folders: set[str] = set()
    messages = 0
    threads: set[tuple[str, str]] = set()
    for name, data in files.items():
        parts = name.split("/")
        if len(parts) == 2 and DAY.match(parts[1]):
            folders.add(parts[0])
            for message in json.loads(data):
                messages += 1
                threads.add((parts[0], message.get("thread_ts") or message["ts"]))
    return folders, messages, threads


def _zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}


def _folder_files(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _check_counts(records: list, files: dict[str, bytes]) -> None:
    folders, message_count, threads = _expected_from_files(files)
    channels = json.loads(files["channels.json"])
    conversations = [r for r in records if isinstance(r, ConversationRecord)]
    assert {c.name for c in conversations} == folders | {c["name"] for c in channels}
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert len(messages) == message_count
    by_key = {c.key: c.name for c in conversations}
    assert {(by_key[m.conversation_key], m.thread_key) for m in messages} == threads
    users = json.loads(files["users.json"])
    people = {r.key for r in records if isinstance(r, PersonRecord)}
    assert {u["id"] for u in users} <= people


def test_it_reads_the_real_testarchive_zip(shared_data: Path) -> None:
    path = shared_data / "slack" / "testarchive.zip"
    records = _records(path)
    _check_counts(records, _zip_files(path))
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert SkippedItem(
        "integration_logs.json", "not a channel day file or Slack metadata file"
    ) in (skipped)
    bots = [r for r in records if isinstance(r, MessageRecord) and r.kind == MessageRecord.Kind.BOT]
    assert bots, "the test archive is mostly bot messages"
    # Bot posts with empty text show their attachment's summary, links made readable.
    assert all(m.text for m in bots)
    assert not any("<https://" in m.text for m in bots)


def test_it_reads_the_real_houstondatavis_folder(shared_data: Path) -> None:
    path = shared_data / "slack" / "houstondatavis"
    records = _records(path)
    files = _folder_files(path)
    _check_counts(records, files)
    messages = [r for r in records if isinstance(r, MessageRecord)]
    # File shares carry their metadata as attachments.
    expected_shares = sum(
        1
        for name, data in files.items()
        if len(name.split("/")) == 2 and DAY.match(name.split("/")[1])
        for m in json.loads(data)
        if m.get("file") or m.get("files")
    )
    assert sum(1 for m in messages if m.attachments) == expected_shares > 0
    joins = sum(
        1
        for name, data in files.items()
        if len(name.split("/")) == 2 and DAY.match(name.split("/")[1])
        for m in json.loads(data)
        if m.get("subtype") == "channel_join"
    )
    assert sum(1 for m in messages if m.kind == MessageRecord.Kind.SYSTEM) >= joins > 0
    # Users carry e-mail addresses for matching people across sources.
    assert any(r.email for r in records if isinstance(r, PersonRecord))
    skipped = {r.location for r in records if isinstance(r, SkippedItem)}
    assert "integration_logs.json" in skipped


def test_it_orders_records_deterministically_and_people_first(shared_data: Path) -> None:
    path = shared_data / "slack" / "houstondatavis"
    first, second = _records(path), _records(path)
    assert first == second
    seen_people: set[str] = set()
    seen_conversations: set[str] = set()
    for record in first:
        if isinstance(record, PersonRecord):
            seen_people.add(record.key)
        elif isinstance(record, ConversationRecord):
            seen_conversations.add(record.key)
        elif isinstance(record, MessageRecord):
            assert record.conversation_key in seen_conversations
            assert record.author_key is None or record.author_key in seen_people


def test_it_is_detected_as_slack(shared_data: Path) -> None:
    with ExportSource(shared_data / "slack" / "testarchive.zip") as source:
        assert detect_format(source).format == "slack"
    with ExportSource(shared_data / "slack" / "houstondatavis") as source:
        assert detect_format(source).format == "slack"


def _write_export(root: Path, *, users: bool = True) -> Path:
    root.mkdir()
    if users:
        (root / "users.json").write_text(
            json.dumps([{"id": "U1", "name": "ada", "profile": {"real_name": "Ada L"}}])
        )
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    (root / "general").mkdir()
    day = [
        {
            "type": "message",
            "user": "U1",
            "text": "Hi <@U2> see <https://x.org|the doc>",
            "ts": "1600000000.000100",
            "thread_ts": "1600000000.000100",
            "reply_count": 1,
            "reactions": [{"name": "tada", "count": 2, "users": ["U1", "U2"]}],
        },
        {
            "type": "message",
            "user": "U2",
            "text": "thanks &amp; done",
            "ts": "1600000100.000200",
            "thread_ts": "1600000000.000100",
            "edited": {"user": "U2", "ts": "1600000200.000000"},
        },
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U2",
            "text": "<@U2> has joined the channel",
            "ts": "1600000300.000300",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B1",
            "username": "deploybot",
            "text": "deployed",
            "ts": "1600000400.000400",
            "files": [{"name": "log.txt", "mimetype": "text/plain", "size": 12}],
        },
    ]
    (root / "general" / "2020-09-13.json").write_text(json.dumps(day))
    (root / "general" / "2020-09-14.json").write_text('[{"type": "message", "ts": ')
    (root / "general" / "2020-09-15.json").write_text(
        json.dumps([{"type": "message", "user": "U1", "text": "later", "ts": "1600200000.000500"}])
    )
    return root


def test_it_maps_threads_edits_mentions_bots_and_reactions(tmp_path: Path) -> None:
    records = _records(_write_export(tmp_path / "export"))
    messages = {r.key: r for r in records if isinstance(r, MessageRecord)}
    root = messages["1600000000.000100"]
    assert root.text == "Hi @U2 see the doc (https://x.org)"
    assert root.thread_key == root.key and root.reply_to_key is None
    assert root.reactions == (("tada", 2),)
    assert root.author_key == "U1"
    reply = messages["1600000100.000200"]
    assert reply.thread_key == root.key and reply.reply_to_key == root.key
    assert reply.text == "thanks & done"
    assert reply.is_edited
    assert messages["1600000300.000300"].kind == MessageRecord.Kind.SYSTEM
    bot = messages["1600000400.000400"]
    assert bot.kind == MessageRecord.Kind.BOT and bot.author_key == "B1"
    assert bot.attachments[0].name == "log.txt" and bot.attachments[0].size == 12
    people = {r.key: r for r in records if isinstance(r, PersonRecord)}
    assert people["B1"].display_name == "deploybot" and people["B1"].is_bot
    assert people["U1"].display_name == "Ada L"


def test_it_skips_one_malformed_day_file_and_imports_the_rest(tmp_path: Path) -> None:
    records = _records(_write_export(tmp_path / "export"))
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert [s.location for s in skipped] == ["general/2020-09-14.json"]
    assert skipped[0].reason.startswith("malformed JSON (Expecting value at line 1")
    assert "the rest of the export was imported" in skipped[0].reason
    keys = [r.key for r in records if isinstance(r, MessageRecord)]
    assert "1600200000.000500" in keys and len(keys) == 5


def test_it_imports_an_export_without_users_json_and_says_so(tmp_path: Path) -> None:
    records = _records(_write_export(tmp_path / "export", users=False))
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert skipped[0].location == "users.json"
    assert skipped[0].reason.startswith("missing from the export: authors are shown by their Slack")
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert len(messages) == 5
    people = {r.key: r.display_name for r in records if isinstance(r, PersonRecord)}
    assert people["U1"] == "U1" and people["U2"] == "U2"


def test_it_reads_the_real_export_without_users_json(shared_data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "houstondatavis"
    shutil.copytree(shared_data / "slack" / "houstondatavis", copy)
    (copy / "users.json").unlink()
    records = _records(copy)
    files = _folder_files(copy)
    _, message_count, _ = _expected_from_files(files)
    assert sum(1 for r in records if isinstance(r, MessageRecord)) == message_count
    assert SkippedItem in {type(r) for r in records}
    assert any(r.location == "users.json" for r in records if isinstance(r, SkippedItem))


def test_it_reads_a_zip_with_a_wrapping_folder(shared_data: Path, tmp_path: Path) -> None:
    wrapped = tmp_path / "wrapped.zip"
    original_path = shared_data / "slack" / "testarchive.zip"
    with zipfile.ZipFile(original_path) as original, zipfile.ZipFile(wrapped, "w") as archive:
        for name in original.namelist():
            archive.writestr(f"My Workspace Slack export/{name}", original.read(name))
    counts = Counter(type(r).__name__ for r in _records(wrapped))
    expected = _expected_from_files(_zip_files(shared_data / "slack" / "testarchive.zip"))
    assert counts["MessageRecord"] == expected[1]


def test_it_replaces_undecodable_bytes_in_a_day_file(tmp_path: Path) -> None:
    root = _write_export(tmp_path / "export")
    (root / "general" / "2020-09-16.json").write_bytes(
        b'[{"type": "message", "user": "U1", "text": "caf\xe9 \xff ok", "ts": "1600300000.000600"}]'
    )
    messages = {r.key: r for r in _records(root) if isinstance(r, MessageRecord)}
    assert messages["1600300000.000600"].text == "caf\ufffd \ufffd ok"


def test_it_reads_private_direct_and_group_conversations(tmp_path: Path) -> None:
    root = tmp_path / "export"
    root.mkdir()
    (root / "users.json").write_text(
        json.dumps([{"id": "U1", "name": "ada"}, {"id": "U2", "name": "bo", "real_name": "Bo B"}])
    )
    (root / "channels.json").write_text("[]")
    (root / "groups.json").write_text(json.dumps([{"id": "G1", "name": "secret-plans"}]))
    (root / "dms.json").write_text(json.dumps([{"id": "D1", "members": ["U1", "U2"]}]))
    (root / "mpims.json").write_text(json.dumps([{"id": "G2", "name": "mpdm-ada--bo--cy-1"}]))
    message = {
        "type": "message",
        "user": "U1",
        "text": "<!subteam^S1|@oncall> <!here> in <#C9|ops> mail <mailto:a@b.org|a@b.org>",
        "ts": "1600000000.000100",
    }
    for folder in ("secret-plans", "D1", "mpdm-ada--bo--cy-1"):
        (root / folder).mkdir()
        (root / folder / "2020-09-13.json").write_text(json.dumps([message]))
    records = _records(root)
    conversations = {r.key: r for r in records if isinstance(r, ConversationRecord)}
    assert conversations["G1"].kind == "group" and conversations["G1"].name == "secret-plans"
    assert conversations["D1"].kind == "direct" and conversations["D1"].name == "ada, Bo B"
    assert conversations["G2"].kind == "group"
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert sorted(m.conversation_key for m in messages) == ["D1", "G1", "G2"]
    assert messages[0].text == "@oncall @here in #ops mail a@b.org"


def test_it_reports_a_malformed_users_json_and_still_imports(tmp_path: Path) -> None:
    root = _write_export(tmp_path / "export")
    (root / "users.json").write_text('[{"id": "U1",')
    records = _records(root)
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert skipped[0].location == "users.json"
    assert skipped[0].reason.startswith("malformed JSON (Expecting")
    assert skipped[0].reason.endswith("authors are shown by their Slack ids")
    assert sum(1 for r in records if isinstance(r, MessageRecord)) == 5
