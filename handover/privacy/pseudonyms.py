"""Stable keyed pseudonyms for third parties: "Colleague A" instead of a colleague's name.

A case has a random key (``new_case_key``). Each third party of the case is known to
it only by ``person_digest`` (an HMAC of the person's id under the key) mapped to a
label, so destroying the key makes the stored pseudonyms unlinkable to anyone; the
same key and id always give the same digest, so a person keeps their label across
every message and every rerun of the case.

``Pseudonymiser`` replaces what names a person in message text with their label. Pure
functions on strings: the caller (a service or task) loads the people, builds one
``Pseudonymiser`` per case and applies it to each message.

What is replaced, and the trade-offs:

- full display names, case-insensitively as whole words ("Anna Lee", "anna lee"), and
  CJK names (张伟) wherever they occur, since CJK text has no spaces to bound a word
  (张伟 inside 张伟明 is replaced too, unless 张伟明 is a person of the case as well:
  longer names are matched first);
- e-mail addresses, case-insensitively;
- handles and platform ids (a Slack ``U061A1R2R``, a username ``jsmith``) as whole
  tokens, and any of these as a mention: ``@jsmith``, ``@Anna Lee``, Slack's
  ``<@U061A1R2R>`` and ``<@U061A1R2R|jsmith>``. A mention becomes the plain label,
  without the ``@`` ("thanks Colleague A");
- the parts of a Latin full name ("Anna", "Lee" of "Anna Lee") when written capitalised
  as a word, at least three letters long, and not a common English word (``COMMON_WORDS``:
  "Will", "May", "Bill", "Mark" ...). People are often called by their first name
  alone, so leaving parts would leak most mentions; in exchange an unrelated "Lee" or
  "Anna" is replaced too. A part shared by two people of the case names neither and is
  left as it is. A one-word name or handle that is a common word ("will", "may") or
  shorter than three characters is replaced only as a mention (``@will``);
- inside links (``https://…``, ``mailto:…``) the same names are replaced by the label
  with hyphens for spaces ("Colleague-A"), so a link stays one token: it stops working
  but no longer names anyone, and the text around it keeps its shape.

A form shared by two people (the same display name) is given to the first of them in
the order passed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "COMMON_WORDS",
    "NameForms",
    "Pseudonymiser",
    "new_case_key",
    "person_digest",
    "pseudonym_label",
    "pseudonymise_text",
]

CASE_KEY_BYTES = 32
_MIN_KEY_BYTES = 16


def new_case_key() -> bytes:
    """A new random key for one case (32 bytes from the operating system's CSPRNG)."""
    return secrets.token_bytes(CASE_KEY_BYTES)


def person_digest(*, key: bytes, person_id: int) -> str:
    """The case's name for a person: HMAC-SHA256 of the person's id under the case key, hex.

    Stable for the same key and id, unrelated across keys; without the key a digest
    cannot be tied back to the person.
    """
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"a case key has at least {_MIN_KEY_BYTES} bytes, got {len(key)}")
    return hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()


# The label's word by the case's language, explicit rather than through gettext: the
# label belongs to the case, whatever language the reader's request is in.
_LABEL_WORDS = {"en": "Colleague", "zh": "同事"}


def _letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB ... (bijective base 26, like spreadsheet columns)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def pseudonym_label(index: int, *, language: str) -> str:
    """The ``index``-th label of a case: "Colleague A", "Colleague AA"; "同事 A" in Chinese.

    ``language`` is the case's language code; any ``zh`` variant gives the Chinese
    label, anything else the English one.
    """
    if index < 0:
        raise ValueError(f"a label index is 0 or more, got {index}")
    word = _LABEL_WORDS["zh" if language.lower().startswith("zh") else "en"]
    return f"{word} {_letters(index)}"


@dataclass(frozen=True)
class NameForms:
    """Everything that names one third party in text, and the label that replaces it.

    ``names``: display names (full names, CJK names). ``handles``: usernames and platform
    ids, e.g. ``Person.handles`` plus the person's Slack user id, so that ``<@U…>``
    mentions are found. ``emails``: their addresses.
    """

    label: str
    names: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


# Capitalised English words that are also first or last names; as a name part they are
# left alone (sentence starts, months, "Mark as done"). Full names are still replaced.
COMMON_WORDS = frozenset(
    """
    will may bill mark grace hope joy faith rose june april august summer autumn winter
    frank sue pat rob chase art guy ray max miles page long young white black brown green
    gray grey little hall hill park lane bell west north south east king rich best love
    dawn ivy lily iris holly sky river hunter cash drew dean gene ward wood case field
    can van von der del
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_CJK_RANGES = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)
_CJK = re.compile(f"[{_CJK_RANGES}]")
# A word character that is not CJK: Latin names are bounded by these, so a Latin name
# right next to Chinese text ("我和Anna说") is still a whole word.
_WORD = f"[^\\W{_CJK_RANGES}]"
_LATIN_BEFORE = f"(?<!{_WORD})(?<![.+@-])"
_LATIN_AFTER = f"(?!{_WORD}|@|[.-]{_WORD})"
_LINK = r"(?:[A-Za-z][A-Za-z0-9+.-]*://|mailto:)[^\s<>\"|]+"
_SLACK_MENTION = r"<@(?P<uid>[A-Za-z0-9._-]+)(?:\|(?P<uname>[^<>|\n]*))?>"
_MIN_TOKEN = 3


class _Rule(Enum):
    ALWAYS = "always"
    MENTION_ONLY = "mention_only"  # common words and very short handles: only as @handle
    CAPITALISED = "capitalised"  # a part of a full name: only as a capitalised word


@dataclass(frozen=True, slots=True)
class _Form:
    label: str
    rule: _Rule


class Pseudonymiser:
    """Replaces the names, handles, addresses and mentions of a case's people by labels.

    Built once per case (the patterns are compiled here) and applied to each message.
    """

    def __init__(self, people: Sequence[NameForms]) -> None:
        """Index every form of every person; see the module docstring for the rules."""
        self._forms: dict[str, _Form] = {}
        for person in people:
            for email in person.emails:
                self._add(email, person.label, _Rule.ALWAYS)
            for name in person.names:
                self._add(name, person.label, self._rule_for_word(name))
            for handle in person.handles:
                self._add(handle, person.label, self._rule_for_word(handle))
        for part, label in self._name_parts(people).items():
            self._add(part, label, _Rule.CAPITALISED)

        latin = [form for form in self._forms if not _CJK.search(form)]
        cjk = [form for form in self._forms if _CJK.search(form)]
        names = []
        if latin:
            names.append(f"{_LATIN_BEFORE}@?(?:{_alternation(latin)}){_LATIN_AFTER}")
        if cjk:
            names.append(f"@?(?:{_alternation(cjk)})")
        name_pattern = "|".join(names) or r"(?!)"
        self._pattern = re.compile(
            f"(?P<mention>{_SLACK_MENTION})|(?P<link>{_LINK})|(?P<name>{name_pattern})",
            re.IGNORECASE,
        )
        self._in_link = re.compile(name_pattern, re.IGNORECASE)

    @staticmethod
    def _rule_for_word(form: str) -> _Rule:
        if " " in form.strip() or _CJK.search(form):
            return _Rule.ALWAYS
        if len(form) < _MIN_TOKEN or form.casefold() in COMMON_WORDS:
            return _Rule.MENTION_ONLY
        return _Rule.ALWAYS

    @staticmethod
    def _name_parts(people: Iterable[NameForms]) -> dict[str, str]:
        """Capitalisable parts of Latin full names that belong to exactly one person."""
        owners: dict[str, set[str]] = {}
        for person in people:
            for name in person.names:
                words = name.split()
                if len(words) < 2 or _CJK.search(name):
                    continue
                for word in words:
                    if len(word) >= _MIN_TOKEN and word.isalpha() and word[0].isupper():
                        owners.setdefault(word.casefold(), set()).add(person.label)
        return {
            part: next(iter(labels))
            for part, labels in owners.items()
            if len(labels) == 1 and part not in COMMON_WORDS
        }

    def _add(self, form: str, label: str, rule: _Rule) -> None:
        key = _key(form)
        if key and key not in self._forms:
            self._forms[key] = _Form(label=label, rule=rule)

    def apply(self, text: str) -> str:
        """``text`` with every name form of the case's people replaced by its label."""
        if not self._forms or not text:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        if match.group("mention") is not None:
            return self._mention(match)
        if match.group("link") is not None:
            return self._in_link.sub(self._replace_in_link, match.group())
        return self._label(match.group()) or match.group()

    def _mention(self, match: re.Match[str]) -> str:
        for key in (match.group("uid"), match.group("uname")):
            form = self._forms.get(_key((key or "").strip().lstrip("@")))
            if form is not None:
                return form.label
        return match.group()

    def _replace_in_link(self, match: re.Match[str]) -> str:
        label = self._label(match.group())
        return label.replace(" ", "-") if label else match.group()

    def _label(self, matched: str) -> str | None:
        """The label for a matched form, or None where its rule does not allow it here."""
        mention = matched.startswith("@")
        bare = matched[1:] if mention else matched
        form = self._forms.get(_key(bare))
        if form is None:
            return None
        if form.rule is _Rule.MENTION_ONLY and not mention:
            return None
        if form.rule is _Rule.CAPITALISED and not (mention or bare[:1].isupper()):
            return None
        return form.label


def _key(form: str) -> str:
    """How a form is looked up: case-folded, runs of whitespace as one space."""
    return " ".join(form.split()).casefold()


def _alternation(forms: list[str]) -> str:
    # Longest first: "Anna Lee" before "Anna", 张伟明 before 张伟. Spaces in a name match
    # any run of whitespace (a line break in a wrapped e-mail).
    ordered = sorted(forms, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, form.split())) for form in ordered)


def pseudonymise_text(text: str, people: Sequence[NameForms]) -> str:
    """``text`` with ``people``'s names replaced by their labels (one-off; see Pseudonymiser).

    For many messages of one case, build a ``Pseudonymiser`` once and call ``apply``.
    """
    return Pseudonymiser(people).apply(text)
