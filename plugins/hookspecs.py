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

    Each object follows the importer protocol in ``handover.importers.base``:
    ``format`` (a short unique name, used for the user's override) and
    ``label`` (shown in the upload form), ``detect(source) -> bool`` (cheap,
    never raises) and ``iter_records(source)`` (streams records, never
    touches the database). ``source`` is a ``handover.importers.archive.ExportSource``.

    Core asks every plugin once per process (``plugins.manager.
    list_plugin_thread_importers``) and tries plugin formats after the
    built-in ones. A hook that raises, or an object that is not an importer,
    is logged and left out; a plugin may not replace a built-in format name
    (its importer is logged and ignored).
    """
