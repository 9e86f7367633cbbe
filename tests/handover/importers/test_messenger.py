"""The Messenger importer on the real sample in shared/data and on Facebook's escaped UTF-8."""

from __future__ import annotations

import json
from pathlib import Path

from handover.importers import messenger
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(messenger.importer.iter_records(source))


def test_it_reads_the_real_sample(shared_data: Path) -> None:
    path = shared_data / "chat-samples" / "messenger" / "2A_7M.json"
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    records = _records(path)
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert len(messages) == len(data["messages"])
    assert [round(m.sent_at.timestamp() * 1000) for m in messages] == [
        m["timestamp_ms"] for m in data["messages"]
    ]
    media = sum(
        1
        for m in data["messages"]
        if any(m.get(f) for f in ("photos", "files", "audio_files", "sticker"))
    )
    assert sum(1 for m in messages if m.attachments) == media
    assert {r.key for r in records if isinstance(r, PersonRecord)} == {
        m["sender_name"] for m in data["messages"]
    }
    conversation = next(r for r in records if isinstance(r, ConversationRecord))
    assert conversation.kind == "direct"


def test_it_repairs_facebooks_escaped_utf8_and_skips_unsent(tmp_path: Path) -> None:
    escaped = "Café 👍".encode().decode("latin-1")
    (tmp_path / "inbox" / "team_abc").mkdir(parents=True)
    path = tmp_path / "inbox" / "team_abc" / "message_1.json"
    path.write_text(
        json.dumps(
            {
                "participants": [{"name": escaped}, {"name": "Bo"}, {"name": "Cy"}],
                "messages": [
                    {
                        "sender_name": escaped,
                        "timestamp_ms": 1700000000000,
                        "content": escaped,
                        "reactions": [{"reaction": "\u00e2\u009d\u00a4", "actor": "Bo"}],
                    },
                    {
                        "sender_name": "Bo",
                        "timestamp_ms": 1699999999000,
                        "content": "x",
                        "is_unsent": True,
                    },
                ],
                "title": "Team",
                "thread_path": "inbox/team_abc",
            }
        ),
        encoding="utf-8",
    )
    records = _records(tmp_path / "inbox")
    message = next(r for r in records if isinstance(r, MessageRecord))
    assert message.text == "Café 👍" and message.author_key == "Café 👍"
    assert message.reactions == (("❤", 1),)
    conversation = next(r for r in records if isinstance(r, ConversationRecord))
    assert (conversation.key, conversation.name, conversation.kind) == (
        "team_abc",
        "Café 👍, Bo, Cy",
        "group",
    )
    assert any(isinstance(r, SkippedItem) and "unsent" in r.reason for r in records)
