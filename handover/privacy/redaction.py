"""Personal data and secrets in message text: find them, mask them for review, remove them.

Pure functions on strings (no database, no models), so services and worker tasks can
call them on every message of an import. Each detector leans on a well-kept library
for the part that decides whether a candidate is real:

- phone numbers: ``phonenumbers.PhoneNumberMatcher`` (Google's libphonenumber rules);
- national ID numbers, card numbers, IBANs: ``python-stdnum`` checksums;
- IP addresses: the standard library's ``ipaddress``;
- API keys and tokens: the regular expressions of ``detect-secrets``' plugins, run
  directly (never its scan or verify machinery, which wants files, settings and network).

What stays hand-written is only the finding of candidates in free text (short, linear
regular expressions) and the keyword anchors for numbers too ambiguous on their own.

The review flow: ``find_redactions`` gives spans with a ``masked`` preview the subject
recognises; the subject releases some and marks others by hand (kind ``manual``); the
caller then passes the final list to ``apply_redactions``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.cn import ric
from stdnum.es import dni, nie
from stdnum.in_ import aadhaar
from stdnum.nl import bsn
from stdnum.us import ssn

__all__ = [
    "KIND_LABELS",
    "PLACEHOLDERS",
    "Redaction",
    "RedactionKind",
    "apply_redactions",
    "find_redactions",
    "mask",
]


class RedactionKind(StrEnum):
    """What a redacted span is; ``MANUAL`` is a span the subject marked by hand."""

    EMAIL = "email"
    PHONE = "phone"
    NATIONAL_ID = "national_id"
    CARD = "card"
    IBAN = "iban"
    BANK_ACCOUNT = "bank_account"
    IP = "ip"
    SECRET = "secret"  # noqa: S105 - a kind name, not a password
    MANUAL = "manual"


KIND_LABELS: dict[str, Promise] = {
    RedactionKind.EMAIL: _("E-mail address"),
    RedactionKind.PHONE: _("Phone number"),
    RedactionKind.NATIONAL_ID: _("National ID number"),
    RedactionKind.CARD: _("Payment card number"),
    RedactionKind.IBAN: _("IBAN"),
    RedactionKind.BANK_ACCOUNT: _("Bank account number"),
    RedactionKind.IP: _("IP address"),
    RedactionKind.SECRET: _("Password, key or token"),
    RedactionKind.MANUAL: _("Marked by you"),
}

PLACEHOLDERS: dict[str, Promise] = {
    RedactionKind.EMAIL: _("[e-mail removed]"),
    RedactionKind.PHONE: _("[phone number removed]"),
    RedactionKind.NATIONAL_ID: _("[ID number removed]"),
    RedactionKind.CARD: _("[card number removed]"),
    RedactionKind.IBAN: _("[IBAN removed]"),
    RedactionKind.BANK_ACCOUNT: _("[account number removed]"),
    RedactionKind.IP: _("[IP address removed]"),
    RedactionKind.SECRET: _("[secret removed]"),
    RedactionKind.MANUAL: _("[removed]"),
}


@dataclass(frozen=True, slots=True)
class Redaction:
    """One span of ``text[start:end]`` to remove, with what the subject sees in review."""

    kind: str
    start: int
    end: int
    masked: str


# When two detectors claim overlapping text the union is removed, and it is reported
# as the most specific kind (lowest rank; then the longer claim).
_RANK: dict[str, int] = {
    RedactionKind.SECRET: 0,
    RedactionKind.NATIONAL_ID: 1,
    RedactionKind.IBAN: 1,
    RedactionKind.CARD: 2,
    RedactionKind.BANK_ACCOUNT: 3,
    RedactionKind.EMAIL: 3,
    RedactionKind.IP: 4,
    RedactionKind.PHONE: 5,
    RedactionKind.MANUAL: 6,
}

BULLET = "•"

# --- e-mail ----------------------------------------------------------------------------------

# ASCII local part so that "请联系zhang@example.com" does not pull the Chinese in.
# Each domain label ends with its dot, so the only repetition is unambiguous.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-][A-Za-z0-9._%+-]{0,63}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def _find_emails(text: str) -> Iterator[tuple[str, int, int]]:
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        start = match.start()
        if text[start - 1 : start] == ":" and text[max(0, start - 7) : start].lower() != "mailto:":
            # "https://user:password@host": the user:password is a secret, not an address.
            continue
        yield RedactionKind.EMAIL, start, match.end()


# --- phone -----------------------------------------------------------------------------------

# libphonenumber does the finding; CN as the default region also accepts US national
# formats as valid ("(713) 555-0123"), and every "+" number is read by its own code.
PHONE_REGION = "CN"
# Cheap gate: seven digits with only phone punctuation between them.
_PHONE_GATE = re.compile(r"\d(?:[\s().\-/]{0,3}\d){6}")
_DECIMAL_BEFORE = re.compile(r"\d[.:,]$")
_DECIMAL_AFTER = re.compile(r"[.:,]\d")
_COLUMN_GAP = re.compile(r"\s{2,}|\n")


def _find_phones(text: str) -> Iterator[tuple[str, int, int]]:
    if not _PHONE_GATE.search(text):
        return
    matcher = phonenumbers.PhoneNumberMatcher(
        text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID
    )
    for match in matcher:
        start, end = match.start, match.end
        # libphonenumber reads "37.230937  1537" in a log line as a number: a phone
        # number is not the tail of a decimal or time, nor spread over a column gap.
        if (
            _DECIMAL_BEFORE.search(text, max(0, start - 2), start)
            or _DECIMAL_AFTER.match(text, end)
            or _COLUMN_GAP.search(match.raw_string)
        ):
            continue
        yield RedactionKind.PHONE, start, end


# --- national ID numbers ---------------------------------------------------------------------

# PRC resident ID: 18 characters, the last a check digit or X; the checksum and the
# embedded birth date make a random 18-digit number pass rarely, so no keyword is needed.
_CN_RIC = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")


@dataclass(frozen=True, slots=True)
class _AnchoredNumber:
    """A number valid only by a weak checksum (or none): it counts after its keyword only."""

    keyword: re.Pattern[str]
    candidate: re.Pattern[str]
    is_valid: Callable[[str], bool]


# How far before a candidate its keyword may stand ("SSN: ", "BSN-nummer ", "DNI nº ").
_ANCHOR_WINDOW = 24

_ANCHORED_IDS: tuple[_AnchoredNumber, ...] = (
    _AnchoredNumber(  # US Social Security number: format and assigned ranges only
        re.compile(r"\b(?:SSN|social security)\b", re.IGNORECASE),
        re.compile(r"(?<![\d-])\d{3}-?\d{2}-?\d{4}(?![\d-])"),
        ssn.is_valid,
    ),
    _AnchoredNumber(  # Dutch citizen service number: 11-test, one in eleven passes
        re.compile(r"\b(?:BSN|burgerservicenummer|sofinummer)", re.IGNORECASE),
        re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d.])"),
        bsn.is_valid,
    ),
    _AnchoredNumber(  # Indian Aadhaar: Verhoeff, one in ten passes
        re.compile(r"\b(?:aadhaa?r|UIDAI)\b", re.IGNORECASE),
        re.compile(r"(?<!\d)[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}(?!\d)"),
        aadhaar.is_valid,
    ),
    _AnchoredNumber(  # Spanish DNI: a check letter, one in 23 passes
        re.compile(r"\b(?:DNI|NIF)\b", re.IGNORECASE),
        re.compile(r"(?<![0-9A-Za-z])\d{8}-?[A-Za-z](?![0-9A-Za-z])"),
        dni.is_valid,
    ),
    _AnchoredNumber(  # Spanish NIE (foreigners): X/Y/Z, seven digits, a check letter
        re.compile(r"\b(?:NIE|NIF)\b", re.IGNORECASE),
        re.compile(r"(?<![0-9A-Za-z])[XYZxyz]-?\d{7}-?[A-Za-z](?![0-9A-Za-z])"),
        nie.is_valid,
    ),
)


def _anchored(text: str, start: int, keyword: re.Pattern[str]) -> bool:
    return keyword.search(text, max(0, start - _ANCHOR_WINDOW), start) is not None


def _find_national_ids(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _CN_RIC.finditer(text):
        if ric.is_valid(match.group()):
            yield RedactionKind.NATIONAL_ID, match.start(), match.end()
    for spec in _ANCHORED_IDS:
        if not spec.keyword.search(text):
            continue
        for match in spec.candidate.finditer(text):
            if _anchored(text, match.start(), spec.keyword) and spec.is_valid(match.group()):
                yield RedactionKind.NATIONAL_ID, match.start(), match.end()


# --- payment cards, IBANs, bank accounts -----------------------------------------------------

# 13-19 digits, optionally in groups split by single spaces or dashes.
_CARD = re.compile(r"(?<![\d.,/-])\d(?:[ -]?\d){12,18}(?![\d/]|[.,-]\d)")
_SEPARATORS = re.compile(r"[ -]")


def _card_issuer_known(digits: str) -> bool:
    """Whether the number's prefix and length belong to a card scheme (ISO/IEC 7812 IINs)."""
    length = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return length == 16
    if two in (34, 37):  # American Express
        return length == 15
    if two == 62 or digits[:4] == "6011" or two == 65 or 644 <= int(digits[:3]) <= 649:
        return 16 <= length <= 19  # UnionPay, Discover
    if 3528 <= four <= 3589:  # JCB
        return 16 <= length <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners Club
        return 14 <= length <= 19
    if two == 50 or 56 <= two <= 58 or two == 67:  # Maestro
        return 13 <= length <= 19
    return False


def _grouped_like_a_card(raw: str) -> bool:
    """One run of digits, or groups of 4-6 (the last may be shorter): not "1 2 3 4 5 ..."."""
    groups = _SEPARATORS.split(raw)
    return len(groups) == 1 or all(4 <= len(group) <= 6 for group in groups[:-1])


def _is_card(raw: str) -> bool:
    digits = _SEPARATORS.sub("", raw)
    return (
        13 <= len(digits) <= 19
        and _grouped_like_a_card(raw)
        and _card_issuer_known(digits)
        and luhn.is_valid(digits)
    )


def _find_cards(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _CARD.finditer(text):
        if _is_card(match.group()):
            yield RedactionKind.CARD, match.start(), match.end()


# Country, check digits, then up to 30 alphanumerics in optional groups of four.
_IBAN = re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[0-9A-Z]{1,4}){3,8}(?![0-9A-Za-z])")


def _find_ibans(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _IBAN.finditer(text):
        raw = match.group()
        # The greedy groups may have taken a following word ("... 3000 THEN"): try shorter.
        while raw:
            if stdnum_iban.is_valid(raw):
                yield RedactionKind.IBAN, match.start(), match.start() + len(raw)
                break
            head, _space, _tail = raw.rpartition(" ")
            raw = head


# A bank account number has no checksum to go by: it counts only right after its keyword.
_BANK_ACCOUNT = re.compile(
    r"(?:\b(?:account|acct|a/c)\.?\s*(?:no\.?|number|num|#)|\bacct\b\.?|\ba/c\b"
    r"|银行账户|银行帐户|银行卡号|账号|帐号|账户|帐户|卡号)"
    r"[\s:：#=.]{0,4}(?:是|为)?\s*(\d(?:[ -]?\d){7,29})(?![\d-])",
    re.IGNORECASE,
)


def _find_bank_accounts(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _BANK_ACCOUNT.finditer(text):
        digits = _SEPARATORS.sub("", match.group(1))
        if 8 <= len(digits) <= 30:
            yield RedactionKind.BANK_ACCOUNT, match.start(1), match.end(1)


# --- IP addresses ----------------------------------------------------------------------------

# Not after a letter, digit or dot ("v1.2.3.4", "1.2.3.4.5"), not before another ".digit".
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])"
)
# "version 1.2.3.4", "section 7.7.5.1": numbered things that parse as addresses.
_VERSION_WORD = re.compile(
    r"(?:version|release|ver\.?|build|section|clause|chapter|table|figure|fig\.|§)\s*\(?$",
    re.IGNORECASE,
)


def _is_personal_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Loopback and "any" addresses name no machine; everything else may identify one.
    return not (address.is_loopback or address.is_unspecified)


def _find_ips(text: str) -> Iterator[tuple[str, int, int]]:
    if "." in text:
        for match in _IPV4.finditer(text):
            try:
                address = ipaddress.IPv4Address(match.group())
            except ValueError:
                continue
            if _VERSION_WORD.search(text, max(0, match.start() - 10), match.start()):
                continue
            if _is_personal_ip(address):
                yield RedactionKind.IP, match.start(), match.end()
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            raw = match.group()
            # At least three groups with digits: "a::b" in code is a scope, not an address.
            if sum(1 for part in raw.split(":") if part) < 3:
                continue
            try:
                address6 = ipaddress.IPv6Address(raw)
            except ValueError:
                continue
            if _is_personal_ip(address6):
                yield RedactionKind.IP, match.start(), match.end()


# --- secrets ---------------------------------------------------------------------------------

# detect-secrets' plugins whose patterns we run as they are. Left out: its private-key
# plugin (it finds only the BEGIN line; the whole block is found below), its public-IP
# plugin (IPs are their own kind here), and the keyword and entropy plugins (their rules
# depend on a file's type and quoting; chat has neither, see _KEYWORD_SECRET).
_SECRET_PLUGINS = (
    ArtifactoryDetector,
    AWSKeyDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    CloudantDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    IbmCloudIamDetector,
    IbmCosHmacDetector,
    JwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SoftlayerDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[str], bool] | None], ...] = tuple(
    (
        pattern,
        JwtTokenDetector.is_formally_valid if plugin is JwtTokenDetector else None,
    )
    for plugin in _SECRET_PLUGINS
    for pattern in plugin.denylist
)
# Some plugins' patterns include the character before and after the token.
_EDGE_CHARACTERS = " \t\r\n\"'=:"
_SHORTEST_TOKEN = 8
_BASIC_AUTH = BasicAuthDetector.denylist[0]
_JWT = JwtTokenDetector.denylist[0]
_BASE64URL = re.compile(r"[A-Za-z0-9_\-+/=]+")

_PRIVATE_KEY_BEGIN = re.compile(r"-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_PRIVATE_KEY_END = re.compile(r"-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n|```")

# A value after a credential keyword and an assignment: "password=…", "token: …",
# "DB_PASSWORD=…", "my password is …", "密码：…", "密码是…".
_KEYWORD_SECRET = re.compile(
    r"(?:(?<![A-Za-z0-9])(?:[A-Za-z0-9]+[_-])*"
    r"(?:password|passwd|passphrase|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|secret[_-]?key|private[_-]?key|client[_-]?secret|credentials?)"
    r"[\"']?\s*(?:[:=]|\bis\b|：)"
    r"|(?:密码|口令|密钥|秘钥|令牌)\s*(?:[:=：]|是|为)?)"
    r"\s*[\"'`]?([^\s\"'`,;<>()\[\]{}]{6,256})",
    re.IGNORECASE,
)
# "$TOKEN", "${PASSWORD}", "<your token>", "%(password)s", "******": names, not values.
_PLACEHOLDER_START = ("$", "%", "*", "•", "…", "<", "{")


def _shannon_entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _looks_like_a_secret(value: str) -> bool:
    """A credential value, not a word: mixed character classes, or long and random."""
    if value.startswith(_PLACEHOLDER_START) or len(set(value)) < 4:
        return False
    classes = (
        any(c.isdigit() for c in value)
        # An upper-case letter after the first: "Required" is a word, "hunTer" is not.
        + any(c.isupper() for c in value[1:])
        + any(c.islower() for c in value)
        + any(not c.isalnum() and c not in "-_." for c in value)
    )
    return classes >= 2 or (len(value) >= 16 and _shannon_entropy(value) >= 3.0)


def _secret_span(text: str, match: re.Match[str]) -> tuple[int, int]:
    """Where the token itself is in a plugin's match (some match their context too)."""
    pattern = match.re
    if pattern is _BASIC_AUTH:
        # "://user:password@": the whole user:password, not only the password.
        return match.start() + 3, match.end() - 1
    # An assignment pattern captures the value (long); a prefix group ("ghp") is short.
    groups = [match.span(i) for i in range(1, pattern.groups + 1) if match.group(i)]
    start, end = max(groups, key=lambda span: span[1] - span[0], default=match.span())
    if end - start < _SHORTEST_TOKEN:
        start, end = match.span()
    value = text[start:end]
    start += len(value) - len(value.lstrip(_EDGE_CHARACTERS))
    end -= len(value) - len(value.rstrip(_EDGE_CHARACTERS))
    if pattern is _JWT:
        # detect-secrets' JWT pattern ends lazily, before the signature: take it too.
        tail = _BASE64URL.match(text, end)
        end = tail.end() if tail else end
    return start, end


def _find_secrets(text: str) -> Iterator[tuple[str, int, int]]:
    for pattern, is_valid in _SECRET_PATTERNS:
        for match in pattern.finditer(text):
            start, end = _secret_span(text, match)
            if start < end and (is_valid is None or is_valid(text[start:end])):
                yield RedactionKind.SECRET, start, end
    if "PRIVATE KEY" in text:
        for begin in _PRIVATE_KEY_BEGIN.finditer(text):
            end_match = _PRIVATE_KEY_END.search(text, begin.end())
            if end_match is not None:
                yield RedactionKind.SECRET, begin.start(), end_match.end()
                continue
            # A key cut off (a truncated paste): remove to the end of its paragraph.
            paragraph = _PARAGRAPH_END.search(text, begin.end())
            yield RedactionKind.SECRET, begin.start(), paragraph.start() if paragraph else len(text)
    for match in _KEYWORD_SECRET.finditer(text):
        if _looks_like_a_secret(match.group(1)):
            yield RedactionKind.SECRET, match.start(1), match.end(1)


# --- finding ---------------------------------------------------------------------------------

_DETECTORS: tuple[Callable[[str], Iterator[tuple[str, int, int]]], ...] = (
    _find_secrets,
    _find_emails,
    _find_national_ids,
    _find_cards,
    _find_ibans,
    _find_bank_accounts,
    _find_ips,
    _find_phones,
)
_HAS_DIGIT = re.compile(r"\d")
# Detectors whose every match contains a digit, skipped on text without one.
_DIGIT_DETECTORS = frozenset({_find_national_ids, _find_cards, _find_ibans, _find_bank_accounts})


def find_redactions(text: str) -> list[Redaction]:
    """Every span of personal data or secret in ``text``, sorted and non-overlapping.

    Offsets index into ``text``. Where detectors overlap, the union of their spans is
    one redaction, reported as the most specific kind (a secret before an ID number
    before a card ... before a phone number; then the longer claim), so no part of a
    value is ever left visible.
    """
    if not text:
        return []
    has_digit = _HAS_DIGIT.search(text) is not None
    found: list[tuple[str, int, int]] = []
    for detector in _DETECTORS:
        if has_digit or detector not in _DIGIT_DETECTORS:
            found.extend(detector(text))
    return [
        Redaction(kind=kind, start=start, end=end, masked=mask(kind, text[start:end]))
        for kind, start, end in _merge(found)
    ]


def _merge(spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Join overlapping spans; the joined span takes the best-ranked kind among them."""
    merged: list[tuple[str, int, int]] = []
    best: tuple[int, int] = (0, 0)
    for kind, start, end in sorted(spans, key=lambda span: (span[1], -span[2])):
        claim = (_RANK.get(kind, len(_RANK)), start - end)
        if merged and start < merged[-1][2]:
            last_kind, last_start, last_end = merged[-1]
            if claim < best:
                best, last_kind = claim, kind
            merged[-1] = (last_kind, last_start, max(last_end, end))
        else:
            merged.append((kind, start, end))
            best = claim
    return merged


# --- masking ---------------------------------------------------------------------------------


def mask(kind: str, value: str) -> str:
    """What the subject sees of ``value`` in review: enough to recognise, too little to reuse.

    ``j•••@e•••.com``, ``+86 138 •••• 8000``, ``1101••••••••••••1X``,
    ``•••• •••• •••• 4242``, ``AKIA••••••••``. Never longer than needed and never
    the whole value.
    """
    masker = _MASKERS.get(kind, _mask_secret)
    return masker(value)


def _mask_email(value: str) -> str:
    local, _at, domain = value.rpartition("@")
    host, _dot, tld = domain.rpartition(".")
    return f"{local[:1]}{BULLET * 3}@{host[:1]}{BULLET * 3}.{tld}"


def _keep_digits(value: str, *, head: int, tail: int) -> str:
    """``value`` with its digits masked except the first ``head`` and the last ``tail``."""
    total = sum(c.isdigit() for c in value)
    if head + tail >= total:
        head, tail = 0, min(tail, total // 3)
    out = []
    seen = 0
    for char in value:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= head or seen > total - tail else BULLET)
        else:
            out.append(char)
    return "".join(out)


def _mask_phone(value: str) -> str:
    if value.lstrip("( ").startswith("+"):
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None:
            formatted = phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
            code, _space, national = formatted.partition(" ")
            return f"{code} {_mask_national(national)}"
    return _mask_national(value.strip())


def _mask_national(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    return _keep_digits(value, head=3 if digits >= 10 else 0, tail=4 if digits >= 8 else 2)


def _mask_national_id(value: str) -> str:
    compact = re.sub(r"[\s.-]", "", value)
    if len(compact) >= 15:
        return compact[:4] + BULLET * (len(compact) - 6) + compact[-2:]
    return BULLET * (len(compact) - 2) + compact[-2:]


def _mask_card(value: str) -> str:
    digits = _SEPARATORS.sub("", value)
    hidden = BULLET * (len(digits) - 4)
    groups = [hidden[i : i + 4] for i in range(0, len(hidden), 4)]
    return " ".join([*groups, digits[-4:]])


def _mask_iban(value: str) -> str:
    compact = value.replace(" ", "").upper()
    hidden = BULLET * (len(compact) - 8)
    groups = [hidden[i : i + 4] for i in range(0, len(hidden), 4)]
    return " ".join([compact[:4], *groups, compact[-4:]])


def _mask_bank_account(value: str) -> str:
    digits = _SEPARATORS.sub("", value)
    return BULLET * (len(digits) - 4) + digits[-4:]


def _mask_ip(value: str) -> str:
    if ":" in value:
        groups = value.split(":")
        return ":".join([groups[0], *(BULLET * 3 if g else "" for g in groups[1:])])
    octets = value.split(".")
    return ".".join([octets[0], BULLET, BULLET, octets[-1]])


# A token's prefix names its type (AKIA…, ghp_…, xoxb-…) and, on 20 characters or more,
# leaves plenty unknown. Shorter values (passwords) show nothing but their kind.
_SECRET_PREFIX_MIN_LENGTH = 20


def _mask_secret(value: str) -> str:
    begin = _PRIVATE_KEY_BEGIN.match(value)
    if begin is not None:
        return f"{begin.group()} {BULLET * 8}"
    if len(value) >= _SECRET_PREFIX_MIN_LENGTH:
        return value[:4] + BULLET * 8
    return BULLET * 8


_MASKERS: dict[str, Callable[[str], str]] = {
    RedactionKind.EMAIL: _mask_email,
    RedactionKind.PHONE: _mask_phone,
    RedactionKind.NATIONAL_ID: _mask_national_id,
    RedactionKind.CARD: _mask_card,
    RedactionKind.IBAN: _mask_iban,
    RedactionKind.BANK_ACCOUNT: _mask_bank_account,
    RedactionKind.IP: _mask_ip,
    RedactionKind.SECRET: _mask_secret,
    RedactionKind.MANUAL: _mask_secret,
}


# --- applying --------------------------------------------------------------------------------


def apply_redactions(
    text: str, redactions: Sequence[Redaction], *, language: str | None = None
) -> str:
    """``text`` with each span replaced by its kind's placeholder, e.g. ``[e-mail removed]``.

    ``redactions`` is the final list the caller decided on: detected spans the subject
    did not release, plus spans the subject marked by hand (kind ``manual``). They may
    come in any order and overlap (a manual span around a detected one); overlapping
    spans are removed as one, under the most specific kind's placeholder. Placeholders
    are translated into ``language`` (the case's language) when given, else into the
    active language. A span outside ``text`` raises ``ValueError``.
    """
    for redaction in redactions:
        if not 0 <= redaction.start < redaction.end <= len(text):
            raise ValueError(
                f"redaction {redaction.start}:{redaction.end} is outside a text of "
                f"{len(text)} characters"
            )
    spans = _merge([(r.kind, r.start, r.end) for r in redactions])
    if not spans:
        return text
    with translation.override(language) if language else nullcontext():
        parts: list[str] = []
        position = 0
        for kind, start, end in spans:
            parts.append(text[position:start])
            parts.append(str(PLACEHOLDERS.get(kind, PLACEHOLDERS[RedactionKind.MANUAL])))
            position = end
        parts.append(text[position:])
    return "".join(parts)
