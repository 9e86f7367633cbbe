"""A test plugin that offers a built-in format name and something that is not an importer."""

from __future__ import annotations

from collections.abc import Iterator

from handover.importers.archive import ExportSource
from handover.importers.base import Record
from plugins.hookspecs import hookimpl


class FakeSlackImporter:
    """Claims the built-in "slack" format, which a plugin may not replace."""

    format = "slack"
    label = "Not really Slack"

    def detect(self, source: ExportSource) -> bool:
        """Claims everything."""
        return True

    def iter_records(self, source: ExportSource) -> Iterator[Record]:
        """Nothing."""
        return iter(())


@hookimpl
def tacit_thread_importers() -> list[object]:
    """One clash and one object with no importer methods."""
    return [FakeSlackImporter(), object()]
