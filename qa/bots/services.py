"""What a bot says to a chat message, the same on every platform.

The platform modules (``slack.py``, ``feishu.py``) turn an event into a chat account, a
question and an audience, call these services, and post the ``BotReply`` they get back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from qa.answers import (
    Answer,
    AnswerPermissionError,
    QuestionError,
    answer_question,
    ask_a_person,
)
from qa.bots.linking import connect_url, linked_user
from qa.limits import AskRateLimitedError, take_ask
from qa.models import ChatAccount, Question, RequestRecipient
from qa.retrieval import Audience


class ReplyKind(StrEnum):
    ANSWER = "answer"
    # Only a link to connect the chat account: sent to the chat user alone.
    CONNECT = "connect"
    HELP = "help"
    ERROR = "error"
    PASSED_ON = "passed_on"


@dataclass(frozen=True)
class BotReply:
    kind: ReplyKind
    text: str
    answer: Answer | None = None
    connect_url: str = ""
    question_id: int | None = None
    routed_to: list[str] = field(default_factory=list)

    @property
    def private(self) -> bool:
        """Whether only the chat user may see it (never an answer in a shared channel)."""
        return self.kind is not ReplyKind.ANSWER


def _connect_reply(account: ChatAccount) -> BotReply:
    return BotReply(
        kind=ReplyKind.CONNECT,
        text=_(
            "Connect your chat account to Tacit first, so that I answer from what you may "
            "read. Open this link within an hour, signed in to Tacit:"
        ),
        connect_url=connect_url(account=account),
    )


def usage_help() -> str:
    return _(
        "Ask me a question about your team's work, for example: "
        "“How do I restart the payment service?”"
    )


def answer_chat_question(
    *, account: ChatAccount, question: str, audience: Audience, surface: str
) -> BotReply:
    """Answer ``question`` for the Tacit user behind ``account``, for ``audience``.

    An unlinked account (or one whose Tacit user was deactivated) gets only a connect link;
    an empty question a short help; a refused or malformed one the reason.
    """
    user = linked_user(account)
    if user is None:
        # Strangers count against their workspace too: links are not sent without end.
        try:
            take_ask(user=None, workspace=account.workspace)
        except AskRateLimitedError as error:
            return BotReply(kind=ReplyKind.ERROR, text=str(error))
        return _connect_reply(account)
    if not " ".join(str(question or "").split()):
        return BotReply(kind=ReplyKind.HELP, text=usage_help())
    try:
        take_ask(user=user, workspace=account.workspace)
        answer = answer_question(user=user, question=question, audience=audience, surface=surface)
    except (QuestionError, AskRateLimitedError, AnswerPermissionError) as error:
        return BotReply(kind=ReplyKind.ERROR, text=str(error))
    return BotReply(
        kind=ReplyKind.ANSWER, text=answer.answer, answer=answer, question_id=answer.question_id
    )


def ask_person_from_chat(*, account: ChatAccount, question_id: int) -> BotReply:
    """The chat user pressed "Ask a person" under an answer: only its asker may."""
    user = linked_user(account)
    if user is None:
        return _connect_reply(account)
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        return BotReply(kind=ReplyKind.ERROR, text=_("This question no longer exists."))
    try:
        request = ask_a_person(question=question, by=user)
    except AnswerPermissionError as error:
        return BotReply(kind=ReplyKind.ERROR, text=str(error))
    names = [
        row.user.get_full_name() or row.user.get_username()
        for row in RequestRecipient.objects.filter(request=request)
        .select_related("user")
        .order_by("pk")
    ]
    if names:
        text = _("I passed your question to: %(names)s.") % {"names": ", ".join(names)}
    else:
        text = _("No one who could answer this was found. Ask your team directly.")
    return BotReply(kind=ReplyKind.PASSED_ON, text=text, question_id=question.pk, routed_to=names)
