"""Build the plugin manager from settings and entry points, with no global state of our own.

``get_plugin_manager`` is cached per process; tests build their own with
``build_plugin_manager``. Every implementation is validated against the specs
when the manager is built, so a plugin with a misspelt hook stops start-up.
"""

import importlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from functools import cache
from urllib.parse import urlsplit

import nh3
import pluggy
from django.conf import settings

from plugins import hookspecs
from plugins.types import (
    ExportSection,
    NavEntry,
    Panel,
    PanelTarget,
    PersonRef,
    PurgeRequest,
    Viewer,
)

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tacit.plugins"


class PluginLoadError(Exception):
    """A configured plugin could not be imported or does not match the hook specs."""


class PluginError(Exception):
    """A plugin failed where its failure may not be hidden (an export, a purge)."""


# An export section's kind becomes a file name.
_SAFE_KIND = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


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
    """The process-wide manager: Tacit's own plugins (``settings.TACIT_BUILTIN_PLUGINS``),
    then ``settings.TACIT_PLUGINS`` and the installed entry points."""
    return build_plugin_manager([*settings.TACIT_BUILTIN_PLUGINS, *settings.TACIT_PLUGINS])


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


# --- Navigation and panels --------------------------------------------------------------------

_PANEL_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "h3", "h4", "h5", "h6", "hr", "i", "li", "mark", "ol", "p", "pre", "q",
    "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
_PANEL_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "*": {"class", "lang"},
}
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _plugin_name(pm: pluggy.PluginManager, impl: object) -> str:
    return pm.get_name(impl.plugin) or repr(impl.plugin)


def _safe_url(url: object) -> bool:
    if not isinstance(url, str) or not url or any(c in url for c in "\r\n\t\x00"):
        return False
    if url.startswith("/") and not url.startswith("//"):
        return True
    return urlsplit(url).scheme in ("http", "https")


def plugin_navigation(viewer: Viewer, pm: pluggy.PluginManager | None = None) -> list[NavEntry]:
    """The links plugins add to the main navigation for ``viewer``, in their order.

    A plugin whose hook raises is logged and left out; an entry that is not a
    ``NavEntry`` or has an unsafe URL is logged and dropped.
    """
    pm = pm or get_plugin_manager()
    entries: list[NavEntry] = []
    for impl in pm.hook.tacit_navigation.get_hookimpls():
        name = _plugin_name(pm, impl)
        try:
            result = impl.function(viewer=viewer)
        except Exception:
            logger.exception("Plugin %s failed in tacit_navigation; its links are left out.", name)
            continue
        for entry in result or ():
            if isinstance(entry, NavEntry) and entry.label and _safe_url(entry.url):
                entries.append(entry)
            else:
                logger.error("Plugin %s returned %r as a navigation entry; dropped.", name, entry)
    return sorted(entries, key=lambda entry: (entry.order, entry.label))


def _panel_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="tacit-plugin")
        return _executor


def _call_panels(function: Callable, viewer: Viewer, target: PanelTarget) -> list:
    """One plugin's panels, in a worker thread: the viewer's language, its own connection."""
    from django.db import connections
    from django.utils import translation

    try:
        with translation.override(viewer.language):
            return list(function(viewer=viewer, target=target) or ())
    finally:
        connections.close_all()


def plugin_panels(
    viewer: Viewer, target: PanelTarget, pm: pluggy.PluginManager | None = None
) -> list[Panel]:
    """The panels plugins add to ``target`` for ``viewer``, sanitised and in their order.

    Each plugin gets ``settings.PLUGIN_PANEL_TIMEOUT`` seconds (all run side by side in a
    small thread pool; 0 runs them in the request's own thread, without a limit). A plugin
    that raises or is too slow is logged and its panels are left out.
    """
    pm = pm or get_plugin_manager()
    impls = pm.hook.tacit_panels.get_hookimpls()
    if not impls:
        return []
    timeout = float(settings.PLUGIN_PANEL_TIMEOUT)
    results: list[tuple[str, list]] = []
    if timeout <= 0:
        for impl in impls:
            name = _plugin_name(pm, impl)
            try:
                results.append((name, list(impl.function(viewer=viewer, target=target) or ())))
            except Exception:
                logger.exception("Plugin %s failed in tacit_panels; left out.", name)
    else:
        executor = _panel_executor()
        futures = [
            (_plugin_name(pm, impl), executor.submit(_call_panels, impl.function, viewer, target))
            for impl in impls
        ]
        done, _pending = wait([future for _name, future in futures], timeout=timeout)
        for name, future in futures:
            if future not in done:
                future.cancel()
                logger.error(
                    "Plugin %s took longer than %.2f s in tacit_panels on %s %s; left out.",
                    name,
                    timeout,
                    target.kind,
                    target.id,
                )
                continue
            try:
                results.append((name, future.result()))
            except Exception:
                logger.exception("Plugin %s failed in tacit_panels; left out.", name)
    panels: list[Panel] = []
    for name, found in results:
        for panel in found:
            if not isinstance(panel, Panel) or not isinstance(panel.html, str):
                logger.error("Plugin %s returned %r as a panel; dropped.", name, panel)
                continue
            html = nh3.clean(
                panel.html,
                tags=_PANEL_TAGS,
                attributes=_PANEL_ATTRIBUTES,
                url_schemes={"http", "https", "mailto"},
                link_rel="noopener noreferrer",
            )
            panels.append(replace(panel, key=f"{name}:{panel.key}", html=html))
    return sorted(panels, key=lambda panel: (panel.order, panel.title))


def viewer_for(user: object, *, language: str) -> Viewer | None:
    """The ``Viewer`` plugins get for a signed-in ``user``; None for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Viewer(
        user_id=user.pk,
        username=user.get_username(),
        display_name=user.get_full_name() or user.get_username(),
        language=language,
        is_staff=bool(user.is_staff),
    )


# --- A person's data: export and purge ----------------------------------------------------------


def plugin_person_exports(
    person: PersonRef, pm: pluggy.PluginManager | None = None
) -> list[tuple[str, ExportSection]]:
    """(plugin name, section) for everything plugins hold about ``person``.

    Unlike the page hooks, a failure is not hidden: it raises ``PluginError`` so that the
    export fails and is retried rather than leaving data out.
    """
    pm = pm or get_plugin_manager()
    found: list[tuple[str, ExportSection]] = []
    for impl in pm.hook.tacit_person_export.get_hookimpls():
        name = _plugin_name(pm, impl)
        try:
            sections = list(impl.function(person=person) or ())
        except Exception as error:
            raise PluginError(f"plugin {name} failed in tacit_person_export: {error}") from error
        for section in sections:
            if not isinstance(section, ExportSection) or not _SAFE_KIND.fullmatch(section.kind):
                raise PluginError(f"plugin {name} returned {section!r} as an export section")
            found.append((name, section))
    return found


def run_plugin_purges(request: PurgeRequest, pm: pluggy.PluginManager | None = None) -> int:
    """Every plugin's purge for ``request``; how many items they removed together. A
    failure raises ``PluginError`` (the purge job fails and is run again)."""
    pm = pm or get_plugin_manager()
    removed = 0
    for impl in pm.hook.tacit_consent_purge.get_hookimpls():
        name = _plugin_name(pm, impl)
        try:
            removed += int(impl.function(request=request) or 0)
        except Exception as error:
            raise PluginError(f"plugin {name} failed in tacit_consent_purge: {error}") from error
    return removed
