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
    CaseRef,
    ConsentedDelivery,
    ConsentPurpose,
    DraftSectionProposal,
    ExportSection,
    IndexDocument,
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
    _check_consent_purposes(pm)
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


# --- Consent purposes and the data they let through -------------------------------------------

_PURPOSE_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_PURPOSE_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}")


def _declared_purposes(pm: pluggy.PluginManager) -> tuple[tuple[str, ConsentPurpose], ...]:
    declared: list[tuple[str, ConsentPurpose]] = []
    for impl in pm.hook.tacit_consent_purposes.get_hookimpls():
        name = _plugin_name(pm, impl)
        try:
            purposes = list(impl.function() or ())
        except Exception as error:
            raise PluginLoadError(
                f"plugin {name} failed in tacit_consent_purposes: {error}"
            ) from error
        for purpose in purposes:
            declared.append((name, purpose))
    return tuple(declared)


def _check_consent_purposes(pm: pluggy.PluginManager) -> None:
    """Stop start-up on a malformed purpose or one whose key is taken."""
    seen: dict[str, str] = {}
    for name, purpose in _declared_purposes(pm):
        if not isinstance(purpose, ConsentPurpose):
            raise PluginLoadError(f"plugin {name} declared {purpose!r}, not a ConsentPurpose")
        if not _PURPOSE_KEY.fullmatch(purpose.key):
            raise PluginLoadError(
                f"plugin {name} declared the consent purpose key {purpose.key!r}: use lower-case "
                "letters, digits and hyphens (at most 40)"
            )
        if not _PURPOSE_VERSION.fullmatch(purpose.version or ""):
            raise PluginLoadError(
                f"plugin {name} declared purpose {purpose.key!r} with version "
                f"{purpose.version!r}: use up to 16 letters, digits, dots, hyphens"
            )
        texts = (purpose.title, purpose.text, purpose.title_zh_hans, purpose.text_zh_hans)
        if not all(isinstance(text, str) and text.strip() for text in texts):
            raise PluginLoadError(
                f"plugin {name} declared purpose {purpose.key!r} without a title and text "
                "in both English and Simplified Chinese"
            )
        if purpose.key in seen:
            raise PluginLoadError(
                f"plugins {seen[purpose.key]} and {name} both declare the consent purpose "
                f"{purpose.key!r}"
            )
        seen[purpose.key] = name


def plugin_consent_purposes(
    pm: pluggy.PluginManager | None = None,
) -> list[tuple[str, ConsentPurpose]]:
    """(plugin name, purpose) for every consent purpose plugins declare, in load order.

    Validated when the manager was built, so every entry here is well-formed and unique.
    """
    return list(_cached_purposes(pm or get_plugin_manager()))


@cache
def _cached_purposes(pm: pluggy.PluginManager) -> tuple[tuple[str, ConsentPurpose], ...]:
    return _declared_purposes(pm)


def deliver_consented_messages(
    purpose_value: str,
    deliveries: Iterable[ConsentedDelivery],
    pm: pluggy.PluginManager | None = None,
) -> bool:
    """Hand each delivery to the one plugin that declared ``purpose_value``, and to no other.

    The caller (``handover.consent.plugin_delivery``) reads the deliveries through the
    ledger's read path for that purpose only; this function makes sure no other plugin
    sees them, whatever it implements. Returns False when no installed plugin declares the
    purpose (nothing is read then) or the plugin's hook raised (logged).
    """
    pm = pm or get_plugin_manager()
    owner = next(
        (name for name, purpose in plugin_consent_purposes(pm) if purpose.value == purpose_value),
        None,
    )
    if owner is None:
        return False
    impl = next(
        (
            impl
            for impl in pm.hook.tacit_consented_messages.get_hookimpls()
            if _plugin_name(pm, impl) == owner
        ),
        None,
    )
    if impl is None:
        logger.error("Plugin %s declares %s but cannot receive messages.", owner, purpose_value)
        return False
    for delivery in deliveries:
        if delivery.purpose != purpose_value:
            raise ValueError(f"a delivery for {delivery.purpose} sent as {purpose_value}")
        try:
            impl.function(delivery=delivery)
        except Exception:
            logger.exception(
                "Plugin %s failed in tacit_consented_messages for case %s.",
                owner,
                delivery.case.case_id,
            )
            return False
    return True


# --- Handover cases: opened, and the sections plugins propose ---------------------------------


def notify_case_opened(case: CaseRef, pm: pluggy.PluginManager | None = None) -> None:
    """Tell every plugin that ``case`` was opened; a plugin that raises is logged."""
    pm = pm or get_plugin_manager()
    for impl in pm.hook.tacit_case_opened.get_hookimpls():
        try:
            impl.function(case=case)
        except Exception:
            logger.exception(
                "Plugin %s failed in tacit_case_opened for case %s.",
                _plugin_name(pm, impl),
                case.case_id,
            )


_SECTION_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


def plugin_draft_sections(
    case: CaseRef, pm: pluggy.PluginManager | None = None
) -> list[tuple[str, DraftSectionProposal]]:
    """(plugin name, proposal) for the sections plugins propose for ``case``'s draft.

    A plugin that raises is logged and left out; a proposal that is not a
    ``DraftSectionProposal``, has a malformed key, no title or no sentence is dropped.
    Keys repeated by one plugin keep the first.
    """
    pm = pm or get_plugin_manager()
    found: list[tuple[str, DraftSectionProposal]] = []
    for impl in pm.hook.tacit_draft_sections.get_hookimpls():
        name = _plugin_name(pm, impl)
        try:
            proposals = list(impl.function(case=case) or ())
        except Exception:
            logger.exception("Plugin %s failed in tacit_draft_sections; left out.", name)
            continue
        keys: set[str] = set()
        for proposal in proposals:
            valid = (
                isinstance(proposal, DraftSectionProposal)
                and isinstance(proposal.key, str)
                and _SECTION_KEY.fullmatch(proposal.key)
                and isinstance(proposal.title, str)
                and proposal.title.strip()
                and isinstance(proposal.source, str)
                and any(isinstance(s, str) and s.strip() for s in proposal.sentences or ())
                and proposal.key not in keys
            )
            if not valid:
                logger.error("Plugin %s proposed %r as a draft section; dropped.", name, proposal)
                continue
            keys.add(proposal.key)
            sentences = tuple(
                s.strip() for s in proposal.sentences if isinstance(s, str) and s.strip()
            )
            found.append(
                (name, replace(proposal, title=proposal.title.strip(), sentences=sentences))
            )
    return found


# --- Q&A index sources -----------------------------------------------------------------------

_DOCUMENT_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}")


def plugin_index_documents(
    pm: pluggy.PluginManager | None = None,
) -> dict[str, list[IndexDocument] | None]:
    """Plugin name -> the documents it offers to the Q&A index (None: its hook raised, so
    what it offered before should be kept).

    A document that is not an ``IndexDocument``, has a malformed or repeated key, no
    title, text or space, or an unsafe URL is logged and dropped.
    """
    pm = pm or get_plugin_manager()
    offered: dict[str, list[IndexDocument] | None] = {}
    for impl in pm.hook.tacit_index_documents.get_hookimpls():
        name = _plugin_name(pm, impl)
        try:
            documents = list(impl.function() or ())
        except Exception:
            logger.exception("Plugin %s failed in tacit_index_documents; its documents kept.", name)
            offered[name] = None
            continue
        keys: set[str] = set()
        kept: list[IndexDocument] = []
        for document in documents:
            valid = (
                isinstance(document, IndexDocument)
                and isinstance(document.key, str)
                and _DOCUMENT_KEY.fullmatch(document.key)
                and document.key not in keys
                and all(
                    isinstance(value, str) and value.strip()
                    for value in (document.title, document.text, document.space_key)
                )
                and _safe_url(document.url)
            )
            if not valid:
                logger.error("Plugin %s offered %r to the index; dropped.", name, document)
                continue
            keys.add(document.key)
            kept.append(document)
        offered[name] = kept
    return offered


def plugin_names(pm: pluggy.PluginManager | None = None) -> list[str]:
    """The names of every registered plugin (a module's dotted path, an entry point's name)."""
    pm = pm or get_plugin_manager()
    return [name for name, _plugin in pm.list_name_plugin()]
