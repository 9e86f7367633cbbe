"""The Telegram importer on the real Desktop exports in shared/data and on crafted exports."""

from __future__ import annotations

import json
from pathlib import Path

from handover.importers import telegram
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(telegram.importer.iter_records(source))


def _messages(records: list) -> list[MessageRecord]:
    return [r for r in records if isinstance(r, MessageRecord)]


def _expected_threads(messages: list[dict]) -> int:
    """Reply chains counted by following reply_to_message_id to the first message."""
    by_id = {m["id"]: m for m in messages}
    roots = set()
    for message in messages:
        current = message
        while current.get("reply_to_message_id") in by_id:
            current = by_id[current["reply_to_message_id"]]
        roots.add(current.get("reply_to_message_id") or current["id"])
    return len(roots)


def test_it_reads_the_real_desktop_export_folder(shared_data: Path) -> None:
    folder = shared_data / "telegram" / "desktop-export"
    data = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    records = _records(folder)
    conversations = [r for r in records if isinstance(r, ConversationRecord)]
    assert [(c.key, c.name) for c in conversations] == [(str(data["id"]), data["name"])]
    messages = _messages(records)
    assert [m.key for m in messages] == [str(m["id"]) for m in data["messages"]]
    assert len({m.thread_key for m in messages}) == _expected_threads(data["messages"])
    services = sum(1 for m in data["messages"] if m["type"] == "service")
    assert sum(1 for m in messages if m.kind == MessageRecord.Kind.SYSTEM) == services
    with_media = sum(1 for m in data["messages"] if m.get("photo") or m.get("file"))
    assert sum(1 for m in messages if m.attachments) == with_media
    # Formatting entities become plain text.
    entity_message = next(m for m in messages if m.key == "426597")
    assert entity_message.text == "Your user ID: 123456789\nCurrent chat ID: -123456789"
    people = {r.key for r in records if isinstance(r, PersonRecord)}
    assert people == {m.get("from_id") or m.get("actor_id") for m in data["messages"]}
    # The media folders are reported, not imported.
    assert any("media" in r.reason for r in records if isinstance(r, SkippedItem))


def test_it_reads_the_chat_sample_with_unix_times(shared_data: Path) -> None:
    path = shared_data / "chat-samples" / "telegram" / "DM_2A_7M.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    messages = _messages(_records(path))
    assert len(messages) == len(data["messages"])
    for record, original in zip(messages, data["messages"], strict=True):
        if "date_unixtime" in original:
            assert record.sent_at.timestamp() == int(original["date_unixtime"])
    with ExportSource(path) as source:
        assert detect_format(source).format == "telegram"


FULL_EXPORT = {
    "about": "Here is the data you requested.",
    "personal_information": {"user_id": 1, "first_name": "Ada"},
    "chats": {
        "about": "This page lists all chats from this export.",
        "list": [
            {
                "name": "Ops",
                "type": "private_supergroup",
                "id": 42,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date": "2023-01-01T10:00:00",
                        "date_unixtime": "1672567200",
                        "from": "Ada",
                        "from_id": "user1",
                        "text": [
                            {"type": "text_link", "text": "runbook", "href": "https://x.org/rb"}
                        ],
                    },
                    {
                        "id": 2,
                        "type": "message",
                        "date_unixtime": "1672567300",
                        "from": "Bo",
                        "from_id": "user2",
                        "text": "on it",
                        "reply_to_message_id": 1,
                        "edited_unixtime": "1672567400",
                        "reactions": [{"type": "emoji", "count": 3, "emoji": "👍"}],
                    },
                    {
                        "id": 3,
                        "type": "message",
                        "date_unixtime": "1672567500",
                        "from": "Ada",
                        "from_id": "user1",
                        "text": "done",
                        "reply_to_message_id": 2,
                    },
                    {
                        "id": 4,
                        "type": "message",
                        "date_unixtime": "1672567600",
                        "from": "Bo",
                        "from_id": "user2",
                        "text": "fwd",
                        "forwarded_from": "Cy",
                        "reply_to_message_id": 999,
                    },
                ],
            },
            {
                "name": "Bo",
                "type": "personal_chat",
                "id": 7,
                "messages": [
                    {
                        "id": 1,
                        "type": "message",
                        "date_unixtime": "1672567700",
                        "from": "Bo",
                        "from_id": "user2",
                        "text": "hi",
                    }
                ],
            },
        ],
    },
    "left_chats": {
        "list": [
            {
                "name": "Old",
                "type": "public_supergroup",
                "id": 9,
                "messages": [
                    {
                        "id": 5,
                        "type": "service",
                        "date_unixtime": "1672567800",
                        "actor": "Ada",
                        "actor_id": "user1",
                        "action": "join_group_by_link",
                        "text": "",
                    }
                ],
            }
        ]
    },
}


def test_it_reads_a_full_account_export(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(FULL_EXPORT, ensure_ascii=False), encoding="utf-8")
    with ExportSource(path) as source:
        assert detect_format(source).format == "telegram"
    records = _records(path)
    conversations = [r for r in records if isinstance(r, ConversationRecord)]
    assert [(c.key, c.kind) for c in conversations] == [
        ("42", "group"),
        ("7", "direct"),
        ("9", "group"),
    ]
    messages = {(m.conversation_key, m.key): m for m in _messages(records)}
    assert len(messages) == 6
    assert messages[("42", "1")].text == "runbook (https://x.org/rb)"
    assert messages[("42", "2")].thread_key == "1" and messages[("42", "2")].reply_to_key == "1"
    assert messages[("42", "3")].thread_key == "1"
    assert messages[("42", "2")].reactions == (("👍", 3),)
    assert messages[("42", "2")].is_edited
    assert messages[("42", "4")].text == "[forwarded from Cy] fwd"
    # The replied-to message is not in the export: the thread names it, the reply link does not.
    assert messages[("42", "4")].thread_key == "999" and messages[("42", "4")].reply_to_key is None
    assert messages[("9", "5")].kind == MessageRecord.Kind.SYSTEM
    assert messages[("9", "5")].text == "Ada: join group by link"


def test_it_reports_a_truncated_file_and_keeps_what_came_before(tmp_path: Path) -> None:
    text = json.dumps(FULL_EXPORT["chats"]["list"][0])
    path = tmp_path / "result.json"
    path.write_text(text[: text.index('"id": 3')], encoding="utf-8")
    records = _records(path)
    assert [m.key for m in _messages(records)] == ["1", "2"]
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert skipped[-1].location == "result.json"
    assert skipped[-1].reason.startswith("malformed JSON")


def test_it_replaces_undecodable_bytes_instead_of_stopping(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(
        b'{"name": "X", "type": "personal_chat", "id": 1, "messages": ['
        b'{"id": 1, "type": "message", "date_unixtime": "1672567200", "from": "A",'
        b' "from_id": "user1", "text": "caf\xe9"},'
        b'{"id": 2, "type": "message", "date_unixtime": "1672567300", "from": "A",'
        b' "from_id": "user1", "text": "fine"}]}'
    )
    messages = _messages(_records(path))
    assert [m.text for m in messages] == ["caf\ufffd", "fine"]
