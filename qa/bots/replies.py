"""A bot reply as a chat message: Slack Block Kit blocks, a Feishu/Lark interactive card.

Both show the same things: the answer, each citation as an absolute link with its owner,
date and whether it is verified or may be out of date, and an "Ask a person" button.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.links import absolute_url
from qa.answers import Citation
from qa.bots.services import BotReply, ReplyKind

# The action id of the "Ask a person" button (Slack) and the action named in its value
# (Feishu); the interaction handlers match on them.
ASK_PERSON_ACTION = "tacit_ask_person"


@dataclass(frozen=True)
class CitationLine:
    title: str
    url: str
    details: list[str]


def citation_line(citation: Citation) -> CitationLine:
    """A citation as a chat shows it: its title (and heading), link and details."""
    title = citation.title
    if citation.heading and citation.heading != citation.title:
        title = f"{title} › {citation.heading}"
    details = [part for part in (citation.owner, citation.date) if part]
    if citation.stale:
        details.append(_("may be out of date"))
    elif citation.verified:
        details.append(_("verified"))
    return CitationLine(title=title, url=absolute_url(citation.url), details=details)


def _generated(reply: BotReply) -> bool:
    """Whether the reply's answer was generated: its sentences cite the sources by number."""
    return reply.answer is not None and reply.answer.generated


def _show_ask_person(reply: BotReply) -> bool:
    # An abstained answer was already passed to people; nothing more to press.
    return (
        reply.kind is ReplyKind.ANSWER
        and reply.answer is not None
        and not reply.answer.abstained
        and reply.question_id is not None
    )


# --- Slack -----------------------------------------------------------------------------------


# Slack refuses a section whose text is longer than 3,000 characters.
SLACK_SECTION_CHARS = 2900


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_section(text: str) -> dict:
    if len(text) > SLACK_SECTION_CHARS:
        text = text[: SLACK_SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def slack_message(reply: BotReply) -> dict:
    """``text`` (the notification fallback) and ``blocks`` for ``chat.postMessage``."""
    blocks: list[dict] = [_slack_section(_slack_escape(reply.text))]
    if reply.kind is ReplyKind.CONNECT:
        label = _slack_escape(_("Connect your account"))
        blocks.append(_slack_section(f"<{reply.connect_url}|{label}>"))
    citations = reply.answer.citations if reply.answer else []
    if citations:
        lines = [f"*{_slack_escape(_('Sources'))}*"]
        for number, citation in enumerate(citations, start=1):
            line = citation_line(citation)
            mark = f"[{number}]" if _generated(reply) else "•"
            text = f"{mark} <{line.url}|{_slack_escape(line.title)}>"
            if line.details:
                text += " · " + " · ".join(_slack_escape(part) for part in line.details)
            lines.append(text)
        blocks.append(_slack_section("\n".join(lines)))
    if _show_ask_person(reply):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ASK_PERSON_ACTION,
                        "text": {"type": "plain_text", "text": _("Ask a person")},
                        "value": str(reply.question_id),
                    }
                ],
            }
        )
    text = (
        reply.text if reply.kind is not ReplyKind.CONNECT else f"{reply.text} {reply.connect_url}"
    )
    return {"text": text, "blocks": blocks}


# --- Feishu/Lark -----------------------------------------------------------------------------


def _feishu_escape(text: str) -> str:
    # Card markdown reads HTML entities; these characters would otherwise open links or tags.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("[", "&#91;")
        .replace("]", "&#93;")
    )


def feishu_card(reply: BotReply) -> dict:
    """The interactive card (message type ``interactive``) for the reply."""
    elements: list[dict] = [{"tag": "markdown", "content": _feishu_escape(reply.text)}]
    if reply.kind is ReplyKind.CONNECT:
        elements.append(
            {
                "tag": "markdown",
                "content": f"[{_feishu_escape(reply.connect_url)}]({reply.connect_url})",
            }
        )
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": _("Connect your account")},
                        "type": "primary",
                        "url": reply.connect_url,
                    }
                ],
            }
        )
    citations = reply.answer.citations if reply.answer else []
    if citations:
        lines = [f"**{_feishu_escape(_('Sources'))}**"]
        for number, citation in enumerate(citations, start=1):
            line = citation_line(citation)
            mark = "-" if not _generated(reply) else f"- {_feishu_escape(f'[{number}]')}"
            text = f"{mark} [{_feishu_escape(line.title)}]({line.url})"
            if line.details:
                text += " · " + " · ".join(_feishu_escape(part) for part in line.details)
            lines.append(text)
        elements.append({"tag": "markdown", "content": "\n".join(lines)})
    if _show_ask_person(reply):
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": _("Ask a person")},
                        "type": "default",
                        "value": {"action": ASK_PERSON_ACTION, "question_id": reply.question_id},
                    }
                ],
            }
        )
    return {"config": {"wide_screen_mode": True}, "elements": elements}
