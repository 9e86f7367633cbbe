"""The Discord importer on the DiscordChatExporter samples in shared/data and on a CSV export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from handover.importers import discord
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format

SAMPLES = ["DM_2A_2M.json", "GC_3A_5M.json", "SV_5A_5M.json"]


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(discord.importer.iter_records(source))


@pytest.mark.parametrize("name", SAMPLES)
def test_it_reads_the_real_samples(shared_data: Path, name: str) -> None:
    path = shared_data / "chat-samples" / "discord" / name
    data = json.loads(path.read_text(encoding="utf-8"))
    with ExportSource(path) as source:
        assert detect_format(source).format == "discord"
    records = _records(path)
    conversations = [r for r in records if isinstance(r, ConversationRecord)]
    assert [c.key for c in conversations] == [data["channel"]["id"]]
    messages = [r for r in records if isinstance(r, MessageRecord)]
    unique_ids = list(dict.fromkeys(m["id"] for m in data["messages"]))
    assert [m.key for m in messages] == unique_ids
    duplicates = [r for r in records if isinstance(r, SkippedItem) and "duplicate" in r.reason]
    assert len(duplicates) == len(data["messages"]) - len(unique_ids)
    ids = set(unique_ids)
    roots = {
        m["id"] for m in data["messages"] if (m.get("reference") or {}).get("messageId") not in ids
    }
    assert len({m.thread_key for m in messages}) == len(roots)
    authors = {m["author"]["id"] for m in data["messages"]}
    assert {r.key for r in records if isinstance(r, PersonRecord)} == authors
    for record in messages:
        original = next(m for m in data["messages"] if m["id"] == record.key)
        assert record.is_edited == bool(original["timestampEdited"])
        assert len(record.attachments) == len(original["attachments"])
        assert sum(c for _, c in record.reactions) == sum(r["count"] for r in original["reactions"])
        expected_kind = (
            MessageRecord.Kind.SYSTEM
            if original["type"] not in ("Default", "Reply")
            else MessageRecord.Kind.BOT
            if original["author"]["isBot"]
            else MessageRecord.Kind.MESSAGE
        )
        assert record.kind == expected_kind


def test_it_follows_replies_into_threads(shared_data: Path) -> None:
    records = _records(shared_data / "chat-samples" / "discord" / "GC_3A_5M.json")
    messages = {r.key: r for r in records if isinstance(r, MessageRecord)}
    reply = messages["530805779645595660"]
    assert reply.reply_to_key == "1064990824305274930"
    assert reply.thread_key == "1064990824305274930"
    assert messages["1064991070322180096"].text.startswith("hey @mlomb")


CSV_ROWS = [
    ["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"],
    ["111", "ada#0001", "2020-03-15T12:34:56.789+00:00", "hello, team\nsecond line", "", ""],
    [
        "222",
        "bo#0002",
        "2020-03-15T12:35:00.000+00:00",
        "see file",
        "https://cdn.discordapp.com/attachments/1/2/plan.pdf",
        "👍 (2),❤️ (1)",
    ],
    ["222", "bo#0002", "2020-03-15T12:35:00.000+00:00", "see file", "", ""],
    ["111", "ada#0001", "not a date", "lost?", "", ""],
]


def _write_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(CSV_ROWS)
    return path


def test_it_reads_the_csv_format(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "Guild - general [123456].csv")
    with ExportSource(path) as source:
        assert detect_format(source).format == "discord"
    records = _records(path)
    conversation = next(r for r in records if isinstance(r, ConversationRecord))
    assert (conversation.key, conversation.name) == ("123456", "Guild - general")
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert len(messages) == sum(1 for row in CSV_ROWS[1:] if row[2] != "not a date")
    assert messages[0].text == "hello, team\nsecond line"
    assert messages[1].attachments[0].name == "plan.pdf"
    assert messages[1].reactions == (("👍", 2), ("❤️", 1))
    # Identical rows stay distinct messages, and keys are stable across imports.
    assert len({m.key for m in messages}) == len(messages)
    assert [m.key for m in messages] == [
        m.key for m in _records(path) if isinstance(m, MessageRecord)
    ]
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert skipped == [
        SkippedItem("Guild - general [123456].csv:6", "unreadable date 'not a date'")
    ]
