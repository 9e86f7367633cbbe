"""Format detection across all formats, the user's override, and the upload form's choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from handover.importers.archive import ExportSource
from handover.importers.base import Importer, ImportFormatError
from handover.importers.registry import (
    BUILTIN_IMPORTERS,
    UnknownFormatError,
    detect_format,
    get_importer,
    list_formats,
)

REAL_EXPORTS = [
    ("slack/testarchive.zip", "slack"),
    ("slack/houstondatavis", "slack"),
    ("mbox/bigbang/3GPP_TSG_SA_WG4_EVS.mbox", "email"),
    ("mbox/bigbang/numpy-discussion-2001-November.txt", "email"),
    ("mbox/perceval/pipermail_2016_april.mbox", "email"),
    ("telegram/desktop-export", "telegram"),
    ("telegram/desktop-export/result.json", "telegram"),
    ("chat-samples/telegram/DM_2A_7M.json", "telegram"),
    ("chat-samples/discord/SV_5A_5M.json", "discord"),
    ("chat-samples/whatsapp/2A_5M.txt", "whatsapp"),
    ("chat-samples/whatsapp/4A_11M.zip", "whatsapp"),
    ("chat-samples/messenger/2A_7M.json", "messenger"),
]


@pytest.mark.parametrize(("relative", "expected"), REAL_EXPORTS)
def test_it_detects_each_real_export(shared_data: Path, relative: str, expected: str) -> None:
    with ExportSource(shared_data / relative) as source:
        assert detect_format(source).format == expected


def test_no_two_builtin_formats_claim_the_same_real_export(shared_data: Path) -> None:
    for relative, expected in REAL_EXPORTS:
        with ExportSource(shared_data / relative) as source:
            claims = [i.format for i in BUILTIN_IMPORTERS if i.detect(source)]
        assert claims == [expected], relative


def test_every_builtin_importer_follows_the_protocol() -> None:
    formats = [importer.format for importer in BUILTIN_IMPORTERS]
    assert len(set(formats)) == len(formats)
    for importer in BUILTIN_IMPORTERS:
        assert isinstance(importer, Importer)
        assert importer.label


def test_it_lists_formats_for_the_upload_form() -> None:
    formats = list_formats()
    assert formats[: len(BUILTIN_IMPORTERS)] == [(i.format, i.label) for i in BUILTIN_IMPORTERS]
    assert ("slack", "Slack workspace export") in formats


def test_the_user_can_override_the_format(shared_data: Path) -> None:
    importer = get_importer("email")
    with ExportSource(shared_data / "mbox" / "perceval" / "mbox_single.mbox") as source:
        assert importer.format == "email" and importer.detect(source)


def test_an_unknown_override_names_the_known_formats() -> None:
    with pytest.raises(UnknownFormatError) as caught:
        get_importer("myspace")
    message = str(caught.value)
    assert message.startswith("Unknown export format 'myspace'; known formats: slack, ")
    assert all(importer.format in message for importer in BUILTIN_IMPORTERS)


def test_a_forced_wrong_format_fails_clearly(shared_data: Path) -> None:
    path = shared_data / "chat-samples" / "whatsapp" / "2A_5M.txt"
    with ExportSource(path) as source, pytest.raises(ImportFormatError) as caught:
        list(get_importer("slack").iter_records(source))
    assert "not a Slack export" in str(caught.value)
