"""Which importers exist, which one reads a given export, and the choices for the upload form.

Built-in formats come first, in an order where the most specific detection
runs before the looser ones (a Slack folder is recognised by its file names
before any JSON sniffing; e-mail, the loosest text format, comes last).
Plugin formats follow; a plugin cannot replace a built-in format name.
"""

from __future__ import annotations

import logging
from typing import cast

from handover.importers import (
    discord,
    email,
    feishu,
    mattermost,
    messenger,
    slack,
    teams,
    telegram,
    whatsapp,
)
from handover.importers.archive import KNOWN_FORMATS_HINT, ExportSource
from handover.importers.base import Importer, ImportFormatError

logger = logging.getLogger(__name__)

BUILTIN_IMPORTERS: tuple[Importer, ...] = (
    slack.importer,
    mattermost.importer,
    teams.importer,
    feishu.importer,
    discord.importer,
    messenger.importer,
    telegram.importer,
    whatsapp.importer,
    email.importer,
)


class UnknownFormatError(ImportFormatError):
    """A format name (from the user's override) that no importer provides."""


def list_importers() -> list[Importer]:
    """Built-in importers, then those that plugins add (failing plugins are left out)."""
    from plugins.manager import list_plugin_thread_importers

    importers = list(BUILTIN_IMPORTERS)
    taken = {importer.format for importer in importers}
    for candidate in list_plugin_thread_importers():
        importer = cast(Importer, candidate)
        if importer.format in taken:
            logger.error(
                "A plugin offers format %r, which is already taken; the plugin's importer is "
                "ignored.",
                importer.format,
            )
            continue
        taken.add(importer.format)
        importers.append(importer)
    return importers


def list_formats() -> list[tuple[str, str]]:
    """``(format, label)`` pairs for the upload form's select, in detection order."""
    return [(importer.format, importer.label) for importer in list_importers()]


def get_importer(format_name: str) -> Importer:
    """The importer for a format name the user chose; a clear error for an unknown name."""
    importers = list_importers()
    for importer in importers:
        if importer.format == format_name:
            return importer
    known = ", ".join(importer.format for importer in importers)
    raise UnknownFormatError(f"Unknown export format {format_name!r}; known formats: {known}.")


def detect_format(source: ExportSource) -> Importer:
    """The first importer whose ``detect`` recognises ``source``.

    A detector that raises is logged and treated as "not this format", so one
    broken plugin cannot stop an import of another format.
    """
    importers = list_importers()
    for importer in importers:
        try:
            if importer.detect(source):
                return importer
        except Exception:
            logger.exception(
                "Format detection by %r failed; trying the next format.", importer.format
            )
    labels = ", ".join(importer.label for importer in importers)
    raise ImportFormatError(
        f"{source.name}: not a Tacit-readable export; {KNOWN_FORMATS_HINT}. "
        f"Known formats: {labels}."
    )
