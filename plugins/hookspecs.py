"""The whole public plugin API: every hook a plugin may implement.

Plugins receive small frozen dataclasses from ``plugins.types`` and only data
that consent and permissions already allow. Core calls these hooks through the
typed functions in ``plugins.manager``, never through ``pm.hook`` directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
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


@hookspec
def tacit_navigation(viewer: Viewer) -> list[NavEntry]:
    """Return links to add to the main navigation for ``viewer`` (``plugins.types``).

    Called on every page a signed-in person sees, so keep it cheap (no slow queries, no
    network). A hook that raises is logged and its links are left out; an entry that is
    not a ``NavEntry``, or whose URL is neither a path on this site nor http(s), is logged
    and dropped.
    """


@hookspec
def tacit_panels(viewer: Viewer, target: PanelTarget) -> list[Panel]:
    """Return panels to show on ``target`` (a page, space, handover case or person) for
    ``viewer``; ``plugins.types`` describes all three.

    Core calls it only after ``viewer`` was allowed to see ``target``; show nothing the
    viewer could not see otherwise. Each plugin's panels are computed within
    ``settings.PLUGIN_PANEL_TIMEOUT`` seconds: a hook that raises or takes longer is
    logged and its panels are left out, and the page renders without them. The panel's
    HTML is sanitised (see ``plugins.types.Panel``).
    """


@hookspec
def tacit_person_export(person: PersonRef) -> list[ExportSection]:
    """Return everything this plugin holds about ``person``, for their data export.

    Called by the subject-rights export on the worker (``handover.rights.export``); each
    section is written as ``plugins/<plugin>/<kind>.json`` in the person's archive and
    listed in its manifest. A hook that raises fails the export (it is retried), because an
    export that silently leaves data out would be wrong.
    """


@hookspec
def tacit_consent_purge(request: PurgeRequest) -> int:
    """Delete what this plugin derived from consent that ``request`` withdrew; return how
    many items were removed.

    Called by the ledger's purge registry on the worker after a withdrawal, in its step
    ``plugins`` ("Data kept by plugins" on the deletion receipt), plugin after plugin. It
    must be idempotent: a purge interrupted by a crash runs its steps again. A hook that
    raises fails the purge job, which the sweeper runs again, so nothing derived is left
    behind.
    """


@hookspec
def tacit_consent_purposes() -> list[ConsentPurpose]:
    """Return the consent purposes this plugin needs to receive a person's threads.

    Asked once per process. Each purpose is shown on the consent form as its own tick box,
    off until the person ticks it, with the plugin's own words (``ConsentPurpose``). A
    purpose whose key is malformed, or is already taken by Tacit or another plugin, stops
    start-up. Data for a purpose reaches only the plugin that declared it, and only
    through ``tacit_consented_messages``.
    """


@hookspec
def tacit_consented_messages(delivery: ConsentedDelivery) -> None:
    """Receive a batch of a case's consented messages for a purpose this plugin declared.

    Called on the worker, only for a purpose of this plugin and only with what a live
    grant of that purpose allows (read through the ledger's one read path: redacted,
    pseudonymised, in scope); never for a purpose the person did not grant. A delivery
    runs after a grant of the purpose is given or renewed. What the plugin derives it must
    delete in ``tacit_consent_purge`` when ``request.purposes`` holds the purpose's
    ``value`` (or ``request.whole_case``). A hook that raises is logged; the delivery is
    tried again by the next grant.
    """


@hookspec
def tacit_case_opened(case: CaseRef) -> None:
    """A handover case was opened (called on the worker after the case was saved).

    May be called more than once for the same case (a retried task): be idempotent. A
    hook that raises is logged and the other plugins are still called.
    """


@hookspec
def tacit_draft_sections(case: CaseRef) -> list[DraftSectionProposal]:
    """Return sections to propose for ``case``'s handover draft, from what the plugin holds.

    Called by the drafting task after the sections from the consented threads are written.
    Each proposal becomes a section the subject reviews like the others: nothing of it is
    published before they approve it, and a section they edited or decided on is kept as
    it is on the next run. A proposal must hold only what people wrote in the plugin, never
    anything inferred about a person. A hook that raises is logged and its sections are
    left out.
    """


@hookspec
def tacit_index_documents() -> list[IndexDocument]:
    """Return every document this plugin offers to the Q&A index.

    Called on the worker when the index is rebuilt, periodically, and soon after the
    plugin sends ``plugins.signals.index_documents_changed``. The index keeps exactly what
    was returned (a document no longer returned is removed); readers of the document's
    space may be answered from it. A hook that raises is logged and the plugin's
    documents stay as they were.
    """
