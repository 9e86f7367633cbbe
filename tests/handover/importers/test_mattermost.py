"""The Mattermost importer on a bulk export written here after Mattermost's documented format."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from handover.importers import mattermost
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format

# https://docs.mattermost.com/onboard/bulk-loading-data.html: one JSON object per line.
LINES = [
    {"type": "version", "version": 1, "info": {"generator": "mmctl", "version": "9.5.0"}},
    {"type": "team", "team": {"name": "eng", "display_name": "Engineering", "type": "O"}},
    {
        "type": "channel",
        "channel": {
            "team": "eng",
            "name": "ops",
            "display_name": "Ops",
            "type": "O",
            "purpose": "Keeping the lights on",
        },
    },
    {
        "type": "channel",
        "channel": {"team": "eng", "name": "secret", "display_name": "Secret", "type": "P"},
    },
    {
        "type": "user",
        "user": {
            "username": "ada",
            "email": "Ada@Example.org",
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    },
    {"type": "user", "user": {"username": "bo", "email": "bo@example.org"}},
    {
        "type": "post",
        "post": {
            "team": "eng",
            "channel": "ops",
            "user": "ada",
            "message": "Deploy at 5?",
            "create_at": 1600000000000,
            "edit_at": 1600000060000,
            "reactions": [
                {"user": "bo", "emoji_name": "+1", "create_at": 1},
                {"user": "cy", "emoji_name": "+1", "create_at": 2},
            ],
            "attachments": [{"path": "data/plan.pdf"}],
            "replies": [
                {"user": "bo", "message": "yes", "create_at": 1600000100000},
                {"user": "cy", "message": "ok", "create_at": 1600000200000},
            ],
        },
    },
    {
        "type": "post",
        "post": {
            "team": "eng",
            "channel": "ops",
            "user": "ada",
            "message": "same millisecond",
            "create_at": 1600000000000,
        },
    },
    {"type": "direct_channel", "direct_channel": {"members": ["bo", "ada"]}},
    {
        "type": "direct_post",
        "direct_post": {
            "channel_members": ["bo", "ada"],
            "user": "bo",
            "message": "psst",
            "create_at": 1600000300000,
        },
    },
]


def _write(path: Path, lines: list, extra: str = "") -> Path:
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n" + extra, encoding="utf-8")
    return path


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(mattermost.importer.iter_records(source))


def _expected_message_count(lines: list) -> int:
    return sum(
        1 + len(line[line["type"]].get("replies", []))
        for line in lines
        if line["type"] in ("post", "direct_post")
    )


def test_it_reads_a_bulk_export(tmp_path: Path) -> None:
    path = _write(tmp_path / "import.jsonl", LINES)
    with ExportSource(path) as source:
        assert detect_format(source).format == "mattermost"
    records = _records(path)
    messages = [r for r in records if isinstance(r, MessageRecord)]
    assert len(messages) == _expected_message_count(LINES)
    conversations = {r.key: r for r in records if isinstance(r, ConversationRecord)}
    assert set(conversations) == {"eng/ops", "eng/secret", "direct:ada,bo"}
    assert conversations["eng/ops"].name == "Engineering / Ops"
    assert conversations["eng/secret"].kind == "group"
    assert conversations["direct:ada,bo"].kind == "direct"
    root, reply, second_reply, same_ms, direct = messages
    assert root.key == "1600000000000:ada" and root.thread_key == root.key
    assert reply.thread_key == root.key and reply.reply_to_key == root.key
    assert second_reply.author_key == "cy"
    assert same_ms.key == "1600000000000:ada#2"
    assert root.is_edited and root.reactions == (("+1", 2),)
    assert root.attachments[0].name == "plan.pdf"
    assert direct.conversation_key == "direct:ada,bo"
    people = {r.key: r for r in records if isinstance(r, PersonRecord)}
    assert people["ada"].display_name == "Ada Lovelace" and people["ada"].email == "ada@example.org"
    # "cy" wrote but has no user line: a person record still comes before the message.
    order = [r.key for r in records if isinstance(r, (PersonRecord, MessageRecord))]
    assert order.index("cy") < order.index(second_reply.key)


def test_it_skips_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    lines = [*LINES, {"type": "post", "post": {"team": "eng", "channel": "ops", "user": "bo"}}]
    path = _write(tmp_path / "import.jsonl", lines, extra='{"type": "post", "post": {"team"\n')
    records = _records(path)
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert [s.location for s in skipped] == ["import.jsonl:11", "import.jsonl:12"]
    assert skipped[0].reason.startswith("incomplete post line (KeyError('create_at')")
    assert skipped[1].reason.startswith("malformed JSON line")
    assert sum(1 for r in records if isinstance(r, MessageRecord)) == _expected_message_count(LINES)


def test_it_reads_the_export_zip_with_attachments(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("import.jsonl", "\n".join(json.dumps(line) for line in LINES))
        archive.writestr("data/plan.pdf", b"%PDF-1.4")
    with ExportSource(path) as source:
        assert detect_format(source).format == "mattermost"
    records = _records(path)
    assert sum(1 for r in records if isinstance(r, MessageRecord)) == _expected_message_count(LINES)
    assert (
        SkippedItem(
            "1 other files",
            "attachment files of the export are not imported; posts name them as attachments",
        )
        in records
    )
