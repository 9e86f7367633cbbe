"""The WhatsApp importer on the real text and zip samples in shared/data and on crafted chats."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from handover.importers import whatsapp
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format

# Independent of the importer's pattern: any line that starts with a date and a comma.
DATED = re.compile(r"^\[?\d{1,4}[./-]\d{1,2}[./-]\d{1,4},")


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(whatsapp.importer.iter_records(source))


def _messages(records: list) -> list[MessageRecord]:
    return [r for r in records if isinstance(r, MessageRecord)]


def _dated_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if DATED.match(line.lstrip("\ufeff\u200e"))]


@pytest.mark.parametrize("name", ["2A_5M.txt", "4A_11M.txt"])
def test_it_reads_the_real_text_exports(shared_data: Path, name: str) -> None:
    path = shared_data / "chat-samples" / "whatsapp" / name
    with ExportSource(path) as source:
        assert detect_format(source).format == "whatsapp"
    lines = _dated_lines(path.read_text(encoding="utf-8"))
    records = _records(path)
    messages = _messages(records)
    assert len(messages) == len(lines)
    authors = {
        line.split(" - ", 1)[1].split(": ", 1)[0]
        for line in lines
        if ": " in line.split(" - ", 1)[1]
    }
    assert {r.key for r in records if isinstance(r, PersonRecord)} == authors
    system = [line for line in lines if ": " not in line.split(" - ", 1)[1]]
    assert sum(1 for m in messages if m.kind == MessageRecord.Kind.SYSTEM) == len(system)
    assert len({m.key for m in messages}) == len(messages)


def test_it_reads_the_real_zip_export_like_its_text(shared_data: Path) -> None:
    folder = shared_data / "chat-samples" / "whatsapp"
    from_zip = _messages(_records(folder / "4A_11M.zip"))
    with zipfile.ZipFile(folder / "4A_11M.zip") as archive:
        text = archive.read("_chat.txt").decode("utf-8")
    assert len(from_zip) == len(_dated_lines(text))
    from_text = _messages(_records(folder / "4A_11M.txt"))
    assert [(m.author_key, m.text) for m in from_zip] == [(m.author_key, m.text) for m in from_text]
    conversation = next(
        r for r in _records(folder / "4A_11M.zip") if isinstance(r, ConversationRecord)
    )
    assert conversation.key == "whatsapp:4A_11M" and conversation.kind == "group"


def test_it_marks_omitted_media(shared_data: Path) -> None:
    messages = _messages(_records(shared_data / "chat-samples" / "whatsapp" / "2A_5M.txt"))
    media = [m for m in messages if m.attachments]
    assert len(media) == 1 and media[0].text == ""


IPHONE_DAY_FIRST = (
    "\u200e[31/12/2020, 23:59:59] Ada: last one of the year\n"
    "[01/01/2021, 00:00:05] Bo: happy new year\n"
    "with a second line\n"
    "\n"
    "and a third\n"
    "[01/01/2021, 00:01:00] Bo: \u200eThis message was deleted\n"
    "[01/01/2021, 00:02:00] Ada: fixed typo <This message was edited>\n"
    "[01/01/2021, 00:03:00] Ada: \u200e<attached: 00000012-PHOTO-2021-01-01.jpg>\n"
    "[01/01/2021, 00:04:00] Ada: same\n"
    "[01/01/2021, 00:04:00] Ada: same\n"
)


def test_it_reads_iphone_day_first_multiline_deleted_and_edited(tmp_path: Path) -> None:
    path = tmp_path / "WhatsApp Chat - Ops.txt"
    path.write_text(IPHONE_DAY_FIRST, encoding="utf-8")
    records = _records(path)
    messages = _messages(records)
    assert [m.sent_at.isoformat() for m in messages[:2]] == [
        "2020-12-31T23:59:59+00:00",
        "2021-01-01T00:00:05+00:00",
    ]
    assert messages[1].text == "happy new year\nwith a second line\n\nand a third"
    skipped = [r for r in records if isinstance(r, SkippedItem)]
    assert skipped == [
        SkippedItem(
            "WhatsApp Chat - Ops.txt:6", "deleted in WhatsApp before the export; nothing to import"
        )
    ]
    edited = messages[2]
    assert edited.text == "fixed typo" and edited.is_edited
    assert messages[3].attachments[0].name == "00000012-PHOTO-2021-01-01.jpg"
    assert messages[4].text == messages[5].text == "same"
    assert messages[4].key != messages[5].key
    assert next(r for r in records if isinstance(r, ConversationRecord)).name == "Ops"


def test_it_reads_android_12_hour_month_first(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "1/2/21, 11:59 PM - Ada: late\n1/13/21, 12:05 AM - Bo: early\n"
        "1/13/21, 12:30 PM - Bo: noon\n",
        encoding="utf-8",
    )
    times = [m.sent_at.isoformat() for m in _messages(_records(path))]
    assert times == [
        "2021-01-02T23:59:00+00:00",
        "2021-01-13T00:05:00+00:00",
        "2021-01-13T12:30:00+00:00",
    ]


def test_it_reads_a_german_day_first_export(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("03.02.21, 09:15 - Ada: Moin\n25.12.21, 18:00 - Bo: Frohe Weihnachten\n")
    times = [m.sent_at.date().isoformat() for m in _messages(_records(path))]
    assert times == ["2021-02-03", "2021-12-25"]


def test_it_replaces_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(b"1/2/21, 10:00 - Ada: caf\xe9 \xff\n1/2/21, 10:01 - Bo: fine\n")
    assert [m.text for m in _messages(_records(path))] == ["caf\ufffd \ufffd", "fine"]
