"""Cutting text into passages that fit the embedding model's window (pure; no database).

A wiki page becomes one passage per heading section, its title (and the headings above
the section) prefixed, so a passage read alone still says what it is about. A section
longer than the model's window is cut at sentence ends into pieces that each fit, every
piece with the same prefix; a sentence longer than the window is cut at word pieces.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from core.cjk import has_cjk
from wiki.rendering import plain_text_blocks

# What the model adds to every input: [CLS] and [SEP] for BERT-like models.
_SPECIAL_TOKENS = 2
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])|\n+")


@dataclass(frozen=True)
class Passage:
    """One chunk's text: ``text`` is what is shown, ``embed_text`` what is embedded."""

    heading: str
    anchor: str
    text: str
    embed_text: str
    language: str

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(self.embed_text.encode()).hexdigest()


class TokenCounter:
    """Word pieces of a text under the configured model's own tokenizer."""

    def __init__(self, model_path: str) -> None:
        self.window = _max_seq_length(Path(model_path)) - _SPECIAL_TOKENS
        tokenizer_file = Path(model_path) / "tokenizer.json"
        self._tokenizer = None
        if tokenizer_file.exists():
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()

    def count(self, text: str) -> int:
        if self._tokenizer is None:
            # No fast tokenizer file: about four word pieces for three words, a piece a
            # Chinese character.
            return len(text.split()) * 4 // 3 + sum(1 for char in text if has_cjk(char))
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def cut(self, text: str, limit: int) -> list[str]:
        """``text`` cut at word-piece boundaries into pieces of at most ``limit`` pieces."""
        if self._tokenizer is None:
            words = text.split()
            step = max(1, limit * 3 // 4)
            return [" ".join(words[i : i + step]) for i in range(0, len(words), step)]
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        pieces = []
        for start in range(0, len(encoding.offsets), limit):
            span = encoding.offsets[start : start + limit]
            pieces.append(text[span[0][0] : span[-1][1]].strip())
        return [piece for piece in pieces if piece]


def _max_seq_length(root: Path) -> int:
    try:
        config = json.loads((root / "sentence_bert_config.json").read_text())
        return int(config.get("max_seq_length") or 256)
    except (OSError, ValueError):
        return 256


@cache
def token_counter() -> TokenCounter:
    """The counter of the configured model, built once per process."""
    return TokenCounter(str(settings.EMBEDDING_MODEL))


def _language(text: str) -> str:
    return "zh" if has_cjk(text) else "en"


def split_sentences(text: str) -> list[str]:
    """``text`` cut at sentence ends (English and Chinese) and line breaks."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def fit_passages(
    *, prefix: str, text: str, heading: str = "", anchor: str = "", counter: TokenCounter
) -> list[Passage]:
    """``text`` under ``prefix`` as passages whose prefix and text fit the model's window."""
    text = text.strip()
    whole = f"{prefix} {text}".strip()
    language = _language(whole)
    if counter.count(whole) <= counter.window:
        return [Passage(heading, anchor, text, whole, language)]
    room = max(16, counter.window - counter.count(prefix) - 1)
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        size = counter.count(sentence) + 1
        if size > room:
            if current:
                pieces.append(" ".join(current))
                current, used = [], 0
            pieces.extend(counter.cut(sentence, room - 1))
            continue
        if used + size > room and current:
            pieces.append(" ".join(current))
            current, used = [], 0
        current.append(sentence)
        used += size
    if current:
        pieces.append(" ".join(current))
    return [
        Passage(heading, anchor, piece, f"{prefix} {piece}".strip(), _language(piece))
        for piece in pieces
    ]


def page_passages(*, title: str, body: str, counter: TokenCounter | None = None) -> list[Passage]:
    """A wiki page's passages: one or more per heading section, the title prefixed.

    A page without text still has one passage, its title, so it can be found by it.
    """
    counter = counter or token_counter()
    passages: list[Passage] = []
    for block in plain_text_blocks(body):
        heading = " › ".join(block.path)
        prefix = f"{title} › {heading}" if heading else title
        if not block.text:
            continue
        passages.extend(
            fit_passages(
                prefix=prefix,
                text=block.text,
                heading=heading,
                anchor=block.anchor,
                counter=counter,
            )
        )
    if not passages:
        passages.append(Passage("", "", "", title, _language(title)))
    return passages
