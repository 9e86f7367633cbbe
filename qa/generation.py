"""Optional generated answers: an operator-configured model writes from the shown passages.

Off by default: nothing is sent unless the operator set ``QA_GENERATION_URL`` (an
OpenAI-compatible endpoint, for example a local model server). Set, the answer service
sends the question and the passages it would show that may leave for a processor, and
nothing else:

- only page and answer-entry passages whose source may be quoted; never a thread's (the
  threads of people leaving were shared for questions, not for an external processor),
  never one whose text is withheld from the asker. The check is a list of what may go, so a
  new kind of passage stays home until it is added here.

The model must end every sentence with the numbers of the passages it used. Its answer is
kept only when every sentence cites at least one passage it was sent and no unknown one;
a sentence without a citation, an unknown number, a refusal, an error, a timeout or an
answer that is not a chat completion drops it, and the extractive answer stands. Nothing of
that reaches the asker as an error; the reason is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from core.llm import LLMError, chat_completion
from qa.chunking import split_sentences

if TYPE_CHECKING:
    from qa.answers import AnswerPassage

logger = logging.getLogger(__name__)

# Kinds of passage that may be sent (a list of what may go: anything else stays).
SENDABLE_KINDS = frozenset({"page", "entry"})
# The most bytes of an answer read: a reply from a few passages is a few kilobytes.
MAX_BYTES = 256 * 1024
# What the model is told to reply when the passages do not hold the answer.
NO_ANSWER = "NO ANSWER"

# A run of citations at the end of a sentence: [1], [1][2], [1] [2], [1, 2].
_CITATIONS = re.compile(r"(?:\s*\[\s*\d{1,4}(?:\s*,\s*\d{1,4})*\s*\])+")
_NUMBER = re.compile(r"\d{1,4}")
# Sentence-ending punctuation at the start of what follows a run of citations.
_STOPS = ".。!！?？;；"
_LEADING_STOP = re.compile(rf"[\s{_STOPS}]*")
_NOT_WORDS = ".。!！?？;；:：,，、-*•\"'“”‘’()（） \t\n"


_SYSTEM_PROMPT = (
    "You answer a question from a team's knowledge base. Answer only from the numbered "
    "passages you are given; add nothing that they do not say. Keep the answer short: a few "
    "sentences in the language of the question. End every sentence with the numbers of the "
    "passages it used, like [1] or [1][2]. If the passages do not hold the answer, reply "
    f"with only: {NO_ANSWER}"
)


@dataclass(frozen=True)
class GeneratedSentence:
    """One sentence of a generated answer and the passages it cites.

    ``passage_indexes`` are positions in the answer's ``passages`` (from 0); each is a
    passage the model was sent.
    """

    text: str
    passage_indexes: list[int]


def generation_configured() -> bool:
    """Whether the operator configured an endpoint for generated answers."""
    return bool(settings.QA_GENERATION_URL)


def may_send(passage: AnswerPassage) -> bool:
    """Whether ``passage``'s text may be sent to the endpoint: a quotable page or entry."""
    return passage.quoted and passage.citation.kind in SENDABLE_KINDS and bool(passage.text)


def _prompt(question: str, texts: Sequence[str]) -> str:
    numbered = "\n\n".join(f"[{number}] {text}" for number, text in enumerate(texts, start=1))
    return f"Passages:\n\n{numbered}\n\nQuestion: {question}"


def _has_words(text: str) -> bool:
    return bool(text.strip(_NOT_WORDS))


def _end_previous(sentences: list[tuple[str, list[int]]], stop: str) -> None:
    """Give the last sentence the full stop found after its citations, if it has none."""
    stop = stop.strip()[:1]
    if stop and sentences and sentences[-1][0][-1:] not in _STOPS:
        sentences[-1] = (sentences[-1][0] + stop, sentences[-1][1])


class _Rejected(Exception):
    """The model's reply is not an answer that may be shown; the message says why."""


def _parse(reply: str, count: int) -> list[tuple[str, list[int]]]:
    """The reply's sentences, each with the passage numbers (1-based) it cites.

    Raises ``_Rejected`` when the reply is empty or a refusal, or when any sentence cites
    nothing or a number outside 1..``count``.
    """
    text = reply.strip()
    if not text:
        raise _Rejected("the reply is empty")
    if NO_ANSWER in text:
        raise _Rejected("the model could not answer from the passages")
    sentences: list[tuple[str, list[int]]] = []
    start = 0
    for match in _CITATIONS.finditer(text):
        numbers = [int(n) for n in _NUMBER.findall(match.group())]
        unknown = [n for n in numbers if not 1 <= n <= count]
        if unknown:
            raise _Rejected(f"a sentence cites passage {unknown[0]}, which was not sent")
        segment = text[start : match.start()]
        start = match.end()
        # A sentence's own full stop may follow its citations (“… it [1]. Then …”).
        stop = _LEADING_STOP.match(segment)
        _end_previous(sentences, stop.group())
        parts = [part.lstrip("-*• ") for part in split_sentences(segment[stop.end() :])]
        parts = [part for part in parts if _has_words(part)]
        if not parts:
            if not sentences:
                raise _Rejected("the reply begins with citations")
            # More citations for the sentence before (“… [1]. [2]”).
            previous, cited = sentences[-1]
            sentences[-1] = (previous, list(dict.fromkeys([*cited, *numbers])))
            continue
        # The text before the citations is one sentence; more than one means all but the
        # last cite nothing.
        if len(parts) > 1:
            raise _Rejected("a sentence cites nothing")
        sentences.append((parts[0], list(dict.fromkeys(numbers))))
    rest = text[start:]
    stop = _LEADING_STOP.match(rest)
    _end_previous(sentences, stop.group())
    if _has_words(rest[stop.end() :]):
        raise _Rejected("the last sentence cites nothing")
    if not sentences:
        raise _Rejected("the reply cites nothing")
    return sentences


def generate_answer(
    *, question: str, passages: Sequence[AnswerPassage]
) -> list[GeneratedSentence] | None:
    """A generated answer to ``question`` from ``passages``, or None to show the extractive one.

    Only the passages ``may_send`` allows are sent, numbered [1]..[n]; the sentences'
    citations are mapped back to positions in ``passages``. Returns None without calling
    anything when no endpoint is configured or no passage may be sent, and None (logged)
    when the endpoint fails or its reply does not cite every sentence.
    """
    if not generation_configured():
        return None
    positions = [index for index, passage in enumerate(passages) if may_send(passage)]
    if not positions:
        logger.info("qa generation skipped: no passage of this answer may be sent")
        return None
    try:
        reply = chat_completion(
            base_url=settings.QA_GENERATION_URL,
            model=settings.QA_GENERATION_MODEL,
            api_key=settings.QA_GENERATION_API_KEY,
            system=_SYSTEM_PROMPT,
            user=_prompt(question, [passages[index].text for index in positions]),
            timeout=settings.QA_GENERATION_TIMEOUT,
            max_bytes=MAX_BYTES,
        )
    except LLMError as error:
        logger.warning("qa generation failed (%s): %s", error.reason, error)
        return None
    try:
        parsed = _parse(reply, len(positions))
    except _Rejected as rejected:
        # The reason only: what the model wrote stays out of the logs.
        logger.info("qa generation dropped, the extractive answer is shown: %s", rejected)
        return None
    return [
        GeneratedSentence(text, [positions[number - 1] for number in numbers])
        for text, numbers in parsed
    ]


def answer_text(sentences: Sequence[GeneratedSentence]) -> str:
    """The generated answer as one text, each sentence followed by its passages' numbers.

    The numbers are 1-based positions in the answer's passages (and citations), as every
    surface lists them, so a surface that shows only the text keeps the citations.
    """
    return " ".join(
        sentence.text + " " + "".join(f"[{index + 1}]" for index in sentence.passage_indexes)
        for sentence in sentences
    )
