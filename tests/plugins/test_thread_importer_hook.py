"""Plugins add export formats through the tacit_thread_importers hook; broken ones are isolated."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from handover.importers.archive import ExportSource
from handover.importers.base import MessageRecord
from handover.importers.registry import (
    BUILTIN_IMPORTERS,
    UnknownFormatError,
    detect_format,
    get_importer,
    list_formats,
)
from plugins.manager import get_plugin_manager

BUILTIN_FORMATS = [importer.format for importer in BUILTIN_IMPORTERS]


@pytest.fixture
def plugins(settings) -> Iterator:  # noqa: ANN001
    """Set TACIT_PLUGINS for one test and rebuild the process-wide manager around it."""

    def use(*modules: str) -> None:
        settings.TACIT_PLUGINS = list(modules)
        get_plugin_manager.cache_clear()

    yield use
    get_plugin_manager.cache_clear()


def _notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.jsonl"
    path.write_text("\n".join(json.dumps({"tacit_note": n}) for n in ("one", "two")) + "\n")
    return path


def test_a_plugin_format_is_detected_and_offered(plugins, tmp_path: Path) -> None:  # noqa: ANN001
    plugins("tests.plugins.notes_importer_plugin")
    assert [name for name, _ in list_formats()] == [*BUILTIN_FORMATS, "tacit-notes"]
    with ExportSource(_notes(tmp_path)) as source:
        importer = detect_format(source)
        assert importer.format == "tacit-notes"
        messages = [r for r in importer.iter_records(source) if isinstance(r, MessageRecord)]
    assert [m.text for m in messages] == ["one", "two"]
    assert get_importer("tacit-notes") is importer


def test_without_the_plugin_the_format_is_unknown(plugins, tmp_path: Path) -> None:  # noqa: ANN001
    plugins()
    with ExportSource(_notes(tmp_path)) as source, pytest.raises(Exception) as caught:
        detect_format(source)
    assert "not a Tacit-readable export" in str(caught.value)
    with pytest.raises(UnknownFormatError, match="Unknown export format 'tacit-notes'; known"):
        get_importer("tacit-notes")


def test_a_failing_plugin_is_logged_and_isolated(
    plugins,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,  # noqa: ANN001
) -> None:
    plugins("tests.plugins.failing_importer_plugin", "tests.plugins.notes_importer_plugin")
    with caplog.at_level(logging.ERROR):
        formats = [name for name, _ in list_formats()]
    assert formats == [*BUILTIN_FORMATS, "tacit-notes"]
    assert any(
        "tests.plugins.failing_importer_plugin failed in tacit_thread_importers" in r.getMessage()
        and r.exc_info
        for r in caplog.records
    )
    with ExportSource(_notes(tmp_path)) as source:
        assert detect_format(source).format == "tacit-notes"


def test_a_plugin_cannot_replace_a_builtin_format(
    plugins,
    shared_data: Path,
    caplog: pytest.LogCaptureFixture,  # noqa: ANN001
) -> None:
    plugins("tests.plugins.clashing_importer_plugin")
    with caplog.at_level(logging.ERROR):
        assert [name for name, _ in list_formats()] == BUILTIN_FORMATS
        assert get_importer("slack").label == "Slack workspace export"
    messages = [r.getMessage() for r in caplog.records]
    assert any("format 'slack', which is already taken" in m for m in messages)
    assert any("which is not an importer" in m for m in messages)
    with ExportSource(shared_data / "mbox" / "perceval" / "mbox_single.mbox") as source:
        assert detect_format(source).format == "email"
