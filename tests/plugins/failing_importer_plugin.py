"""A test plugin whose importer hook raises: core must log it and carry on."""

from __future__ import annotations

from plugins.hookspecs import hookimpl


@hookimpl
def tacit_thread_importers() -> list[object]:
    """Fail the way a buggy plugin does."""
    raise RuntimeError("the plugin's importer list is broken")
