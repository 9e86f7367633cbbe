"""The whole public plugin API: every hook a plugin may implement.

Plugins receive small frozen dataclasses from ``plugins.types`` and only data
that consent and permissions already allow. Core calls these hooks through the
typed functions in ``plugins.manager``, never through ``pm.hook`` directly.
"""

import pluggy

PROJECT_NAME = "tacit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def tacit_thread_importers() -> list[object]:
    """Return importer objects for export formats this plugin adds.

    Each object follows the importer protocol in ``handover.importers.base``
    (a ``format`` name, a ``detect`` method and an ``iter_records`` method).
    Core asks every plugin once per process and offers the formats beside the
    built-in ones; a plugin may not replace a built-in format.
    """
