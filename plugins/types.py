"""Frozen dataclasses handed to plugins and returned by them; never requests or querysets.

A plugin sees only what the person viewing the page may already see: core builds these
after its own access checks, and a plugin never gets a handle to ask for more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PanelKind = Literal["page", "space", "case", "person"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in person a page is rendered for."""

    user_id: int
    username: str
    display_name: str
    language: str
    is_staff: bool = False


@dataclass(frozen=True)
class NavEntry:
    """A link a plugin adds to the main navigation.

    ``url`` is a path on this site (``/rhythms/``) or an http(s) URL; ``key`` is unique
    within the plugin. Lower ``order`` comes first; Tacit's own links come before all.
    """

    key: str
    label: str
    url: str
    order: int = 100


@dataclass(frozen=True)
class PanelTarget:
    """What a page shows, to which plugins may add panels.

    ``kind`` is ``page`` (a wiki page), ``space`` (a wiki space), ``case`` (a handover
    case) or ``person`` (a person's profile); ``id`` the page, case or user id, or the
    space key; ``title`` and ``url`` as the viewer sees them.
    """

    kind: PanelKind
    id: int | str
    title: str
    url: str
    space_key: str = ""


@dataclass(frozen=True)
class Panel:
    """A box a plugin adds to a page: a heading and a fragment of HTML.

    The HTML is sanitised before it is shown (no scripts, no event handlers, no styles;
    links, lists, tables, headings, emphasis, ``<svg>`` is not kept), so build it with
    Django's ``format_html``/templates and keep it plain.
    """

    key: str
    title: str
    html: str
    order: int = 100


@dataclass(frozen=True)
class PersonRef:
    """The person whose data is exported (a subject-rights export)."""

    user_id: int
    username: str


@dataclass(frozen=True)
class ExportSection:
    """Rows a plugin holds about a person, for their data export: ``kind`` names the file
    (``plugins/<plugin>/<kind>.json``), each row a JSON object of plain values."""

    kind: str
    rows: tuple[dict, ...]


@dataclass(frozen=True)
class PurgeRequest:
    """A withdrawal of consent in one handover case, for a plugin to delete what it derived.

    ``whole_case``: everything of the case was withdrawn. ``purposes``: the consent purposes
    whose grants ended (all for a whole case). ``conversation_ids``/``thread_ids``: scope
    taken out of the grants that remain. ``subject_user_id``: the person who withdrew.
    """

    case_id: int
    subject_user_id: int
    whole_case: bool
    purposes: frozenset[str]
    conversation_ids: frozenset[int]
    thread_ids: frozenset[int]
