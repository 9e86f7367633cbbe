"""The Markdown of the handover's wiki pages: one section's approved sentences, the root.

Pure functions of what the service already checked: they neither read consent nor the
database, so what a page says is decided in one place (``services.publish_case``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from handover.models import DraftSentence
from wiki.rendering import is_linkable_title, wikilink_for

Part = DraftSentence.Part

# The order of a section page's parts; each becomes a heading when it has sentences.
PART_ORDER = [
    Part.SUMMARY,
    Part.DECISION,
    Part.OPEN_ITEM,
    Part.RESOURCE,
    Part.PERSON,
    Part.DUTY,
    Part.ANSWER,
    Part.CONTRIBUTED,
]


@dataclass(frozen=True)
class PublishableSentence:
    """A sentence that passed the publish-time checks, with the citations still served."""

    part: str
    text: str
    details: dict
    message_ids: tuple[int, ...]


def source_path(*, case_id: int, message_id: int) -> str:
    """The link to one cited source message, which shows it only to readers allowed to.

    The view behind it (URL name ``handover:draft-source``) belongs to the review pages;
    while that URL is not part of the project the same path is built here by hand, so
    published pages link to where the source will be served.
    """
    try:
        return reverse(
            "handover:draft-source", kwargs={"case_id": case_id, "message_id": message_id}
        )
    except NoReverseMatch:
        return f"/handover/cases/{case_id}/sources/{message_id}/"


def attribution(name: str | None) -> str:
    """Who the page was written from: the subject's name only with their ATTRIBUTE consent."""
    if name:
        return _("Written from the handover of %(name)s") % {"name": name}
    return _("Written from the handover of a departing colleague")


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def _details(sentence: PublishableSentence) -> list[str]:
    details = sentence.details or {}
    lines: list[str] = []
    if sentence.part == Part.DECISION:
        if details.get("reason"):
            lines.append(_("Reason: %(text)s") % {"text": _one_line(details["reason"])})
        alternatives = details.get("alternatives")
        if alternatives:
            if isinstance(alternatives, list | tuple):
                alternatives = "; ".join(_one_line(item) for item in alternatives)
            lines.append(_("Alternatives: %(text)s") % {"text": _one_line(alternatives)})
        if details.get("decided_at"):
            lines.append(_("Decided: %(date)s") % {"date": _one_line(details["decided_at"])})
    elif sentence.part == Part.OPEN_ITEM and details.get("waiting"):
        lines.append(_("Waiting: %(who)s") % {"who": _one_line(details["waiting"])})
    elif sentence.part == Part.RESOURCE and details.get("url"):
        lines.append(_("Link: <%(url)s>") % {"url": _one_line(details["url"])})
    elif sentence.part == Part.DUTY and details.get("cadence"):
        lines.append(_("How often: %(cadence)s") % {"cadence": _one_line(details["cadence"])})
    return lines


def render_section(
    *, case_id: int, sentences: Sequence[PublishableSentence], written_from: str
) -> str:
    """A section page: the attribution, then each part under its heading, sentences cited."""
    lines = [f"*{written_from}*", ""]
    for part in PART_ORDER:
        chosen = [sentence for sentence in sentences if sentence.part == part]
        if not chosen:
            continue
        lines += [f"## {Part(part).label}", ""]
        for sentence in chosen:
            links = " ".join(
                f"[{number}]({source_path(case_id=case_id, message_id=message_id)})"
                for number, message_id in enumerate(sentence.message_ids, start=1)
            )
            text = _one_line(sentence.text)
            lines.append(f"- {text} {links}".rstrip())
            lines += [f"    - {detail}" for detail in _details(sentence)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# What a wiki title cannot hold (``wiki.rendering.is_linkable_title``): the wikilink syntax
# has no escape for "|", "[[" or "]]", so each becomes the nearest plain sign.
_UNLINKABLE = str.maketrans({"|": "/", "[": "(", "]": ")"})
_LEADING_COLONS = re.compile(r"^[\s:]+")


def page_title(title: str) -> str:
    """A section's title as a wiki page title the root page can link to.

    A linkable title stays as it is. Otherwise ``|`` becomes ``/`` and square brackets
    round ones, and a leading ``:`` goes; anything still unlinkable (nothing left, say)
    becomes "Topic".
    """
    cleaned = _one_line(title)[:200].strip()
    if is_linkable_title(cleaned):
        return cleaned
    cleaned = _LEADING_COLONS.sub("", cleaned.translate(_UNLINKABLE)).strip()
    return cleaned if is_linkable_title(cleaned) else _("Topic")


def render_root(*, titles: Sequence[str], written_from: str) -> str:
    """The handover page: the attribution and a link to each section page."""
    lines = [f"*{written_from}*", "", _("What they handed over:"), ""]
    # wikilink_for writes "[[:RFC:12]]" for a title that reads as a space key.
    lines += [f"- {wikilink_for(page_title(title))}" for title in titles]
    return "\n".join(lines) + "\n"
