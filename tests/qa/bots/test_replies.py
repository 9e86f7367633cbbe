"""A reply as a Slack message and as a Feishu card: citations as absolute links with their
owner, date and freshness, text escaped, the Ask-a-person button only under an answer."""

import json

import pytest

from qa.answers import Answer, Citation
from qa.bots.replies import feishu_card, slack_message
from qa.bots.services import BotReply, ReplyKind

SITE = "https://tacit.example.org"


def _citation(title: str, *, verified: bool = False, stale: bool = False) -> Citation:
    return Citation(
        chunk_id=1,
        kind="page",
        title=title,
        heading="Restarting",
        url="/wiki/handbook/payments/#restarting",
        owner="Manager",
        date="2026-11-30",
        verified=verified,
        stale=stale,
    )


def _reply(*citations: Citation, abstained: bool = False) -> BotReply:
    answer = Answer(
        question_id=7,
        chat_id=None,
        question="q",
        answer="Restart it <now> & check",
        passages=[],
        citations=list(citations),
        confidence=0.8,
        abstained=abstained,
    )
    return BotReply(kind=ReplyKind.ANSWER, text=answer.answer, answer=answer, question_id=7)


@pytest.fixture(autouse=True)
def _site(settings) -> None:  # noqa: ANN001
    settings.TACIT_SITE_URL = SITE


def test_citations_are_links_with_owner_date_and_freshness() -> None:
    reply = _reply(_citation("Runbook", verified=True), _citation("Old [notes]", stale=True))
    blocks = json.dumps(slack_message(reply)["blocks"], ensure_ascii=False)
    link = f"{SITE}/wiki/handbook/payments/#restarting"
    assert f"<{link}|Runbook › Restarting> · Manager · 2026-11-30 · verified" in blocks
    assert "Old [notes] › Restarting> · Manager · 2026-11-30 · may be out of date" in blocks
    assert "Restart it &lt;now&gt; &amp; check" in blocks
    card = json.dumps(feishu_card(reply), ensure_ascii=False)
    assert f"[Runbook › Restarting]({link}) · Manager · 2026-11-30 · verified" in card
    assert "Old &#91;notes&#93; › Restarting" in card and "may be out of date" in card


def test_the_button_is_under_an_answer_only() -> None:
    answered = json.dumps(slack_message(_reply(_citation("Runbook")))["blocks"])
    assert '"action_id": "tacit_ask_person"' in answered and '"value": "7"' in answered
    assert '"question_id": 7' in json.dumps(feishu_card(_reply(_citation("Runbook"))))
    abstained = _reply(abstained=True)
    assert "tacit_ask_person" not in json.dumps(slack_message(abstained))
    assert "tacit_ask_person" not in json.dumps(feishu_card(abstained))
    error = BotReply(kind=ReplyKind.ERROR, text="x" * 5000)
    (section,) = slack_message(error)["blocks"]
    assert len(section["text"]["text"]) < 3000


def test_a_generated_answer_numbers_its_sources_as_its_sentences_cite_them() -> None:
    reply = _reply(_citation("Runbook"), _citation("Notes"))
    assert "• <" in json.dumps(slack_message(reply)["blocks"], ensure_ascii=False)
    reply.answer.generated = True
    blocks = json.dumps(slack_message(reply)["blocks"], ensure_ascii=False)
    assert f"[1] <{SITE}/wiki/" in blocks and f"[2] <{SITE}/wiki/" in blocks
    card = json.dumps(feishu_card(reply), ensure_ascii=False)
    assert "- &#91;1&#93; [Runbook › Restarting]" in card
    assert "- &#91;2&#93; [Notes › Restarting]" in card
