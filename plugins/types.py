"""Frozen dataclasses handed to plugins and returned by them; never requests or querysets.

A plugin sees only what the person viewing the page may already see: core builds these
after its own access checks, and a plugin never gets a handle to ask for more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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


@dataclass(frozen=True)
class CaseRef:
    """A handover case, as the case hooks see it: who leaves, which team, until when.

    ``url`` is the case page; ``space_key`` the case's wiki space (blank when none);
    ``successor_user_ids`` the people taking over.
    """

    case_id: int
    subject_user_id: int
    subject_display_name: str
    team_id: int
    team_name: str
    last_day: date
    url: str
    space_key: str = ""
    successor_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class DraftSectionProposal:
    """A section a plugin proposes for a handover's draft, from what people wrote in it.

    ``key`` is unique within the plugin for the case (the same key replaces the section
    on the next run unless the subject edited or decided on it); each of ``sentences``
    becomes one sentence of the section the subject can edit, approve or drop;
    ``source`` says in plain words where it comes from (shown with the section).
    """

    key: str
    title: str
    sentences: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class IndexDocument:
    """A document a plugin offers to the Q&A index.

    ``key`` is unique within the plugin; readers of the wiki space ``space_key`` may be
    answered from it (nobody else, and nobody once the space is gone); ``url`` is where a
    citation links; ``owner`` is shown with the citation.
    """

    key: str
    title: str
    text: str
    url: str
    space_key: str
    owner: str = ""
    updated_at: datetime | None = None
    language: str = ""


@dataclass(frozen=True)
class ConsentPurpose:
    """A consent purpose a plugin needs, shown on the consent form as its own tick box.

    ``key`` (lower-case letters, digits and hyphens, unique among all plugins) is stored
    on the grant as ``plugin:<key>`` (``value``). ``title`` and ``text`` are the plain
    words a person reads and agrees to, in English and Simplified Chinese. ``version``
    must change whenever the words change: grants given under another version stop being
    live and the person is asked again.
    """

    key: str
    version: str
    title: str
    text: str
    title_zh_hans: str
    text_zh_hans: str

    @property
    def value(self) -> str:
        return f"plugin:{self.key}"


@dataclass(frozen=True)
class ConsentedMessage:
    """One consented message as a plugin receives it: redacted, pseudonymised, in scope.

    ``author`` is the name the case may show now: the subject only while they consent to
    be named, a third party only while they do, otherwise a pseudonym.
    """

    message_id: int
    thread_id: int
    conversation_id: int
    sent_at: datetime
    author: str
    author_is_subject: bool
    text: str


@dataclass(frozen=True)
class ConsentedDelivery:
    """A batch of a case's consented messages for the one purpose a plugin declared.

    Deliveries of a case come in order; ``first`` marks the first batch of a delivery
    (replace what you hold for the case), ``last`` the last one. A delivery with no
    messages and ``first`` and ``last`` both true means nothing is consented any more.
    """

    case: CaseRef
    purpose: str
    messages: tuple[ConsentedMessage, ...]
    first: bool
    last: bool
