"""Build the plugin manager from settings and entry points, with no global state of our own.

``get_plugin_manager`` is cached per process; tests build their own with
``build_plugin_manager``. Every implementation is validated against the specs
when the manager is built, so a plugin with a misspelt hook stops start-up.
"""

import importlib
import logging
from collections.abc import Iterable
from functools import cache

import pluggy
from django.conf import settings

from plugins import hookspecs

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tacit.plugins"


class PluginLoadError(Exception):
    """A configured plugin could not be imported or does not match the hook specs."""


def build_plugin_manager(
    plugin_modules: Iterable[str], *, load_entry_points: bool = True
) -> pluggy.PluginManager:
    """A manager with the specs registered and the named modules loaded and validated."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for dotted in plugin_modules:
        try:
            module = importlib.import_module(dotted)
        except ImportError as error:
            raise PluginLoadError(
                f"TACIT_PLUGINS names {dotted!r}, which fails to import: {error}"
            ) from error
        pm.register(module, name=dotted)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(str(error)) from error
    return pm


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager built from ``settings.TACIT_PLUGINS``."""
    return build_plugin_manager(settings.TACIT_PLUGINS)


def list_plugin_thread_importers(pm: pluggy.PluginManager | None = None) -> list[object]:
    """The importer objects that plugins add, each checked for the importer protocol.

    Each plugin is asked once per manager (so once per process): the same
    importer objects come back on every call. A plugin whose hook raises, or
    that returns something that is not an importer (no ``format``/``label``
    text, no ``detect``/``iter_records``), is logged and left out; the
    built-in formats keep working.
    """
    return list(_plugin_thread_importers(pm or get_plugin_manager()))


@cache
def _plugin_thread_importers(pm: pluggy.PluginManager) -> tuple[object, ...]:
    importers: list[object] = []
    for impl in pm.hook.tacit_thread_importers.get_hookimpls():
        plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
        try:
            result = impl.function()
        except Exception:
            logger.exception("Plugin %s failed in tacit_thread_importers; ignored.", plugin_name)
            continue
        for candidate in result or ():
            if _looks_like_importer(candidate):
                importers.append(candidate)
            else:
                logger.error(
                    "Plugin %s returned %r from tacit_thread_importers, which is not an importer "
                    "(needs format, label, detect and iter_records); ignored.",
                    plugin_name,
                    candidate,
                )
    return tuple(importers)


def _looks_like_importer(candidate: object) -> bool:
    return (
        isinstance(getattr(candidate, "format", None), str)
        and isinstance(getattr(candidate, "label", None), str)
        and callable(getattr(candidate, "detect", None))
        and callable(getattr(candidate, "iter_records", None))
    )
