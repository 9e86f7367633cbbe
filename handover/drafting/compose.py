"""The text analysis of one topic: what a section says, each line with its sources.

Pure functions over ``handover.consent.read.ConsentedMessage`` values (already redacted,
pseudonymised and in scope); nothing here reads the database or calls a model. The
runner hands each topic's threads and its most representative messages in, and writes
the lines it gets back. A line always cites at least one message of the threads it was
given; the runner drops any that does not.

Tacit drafts knowledge, never a persona: nothing here describes how a person writes or
behaves, and people appear only as the read path names them (their name when they
consent, else their pseudonym).

Every part is extractive: the words of a line are a sentence of the threads, except the
few frames Tacit adds itself ("Ask … about …", "Recurring about every week: …"), which
come in the case's language. Each pass over the messages is linear in their number; the
runner calls this for topics of many thousands of messages.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core.cjk import CJK_RUN, cjk_pairs, has_cjk
from handover.consent.read import ConsentedMessage
from handover.privacy.labels import anonymous_subject_label


@dataclass(frozen=True)
class ThreadMessages:
    """One consented thread of a topic, its messages oldest first."""

    thread_id: int
    conversation_id: int
    conversation: str
    messages: tuple[ConsentedMessage, ...]


@dataclass(frozen=True)
class Line:
    """One sentence of a section: its part, its words, the messages it came from.

    ``part`` is a ``DraftSentence.Part`` value. ``details`` holds the part's own fields
    (see ``DraftSentence``): a decision's ``reason``, ``alternatives``, ``decided_at``
    (ISO date) and ``thread_id``; an open item's ``waiting``; a resource's ``url`` and
    ``kind``; a duty's ``cadence``.
    """

    part: str
    text: str
    message_ids: tuple[int, ...]
    details: dict = field(default_factory=dict)


# The parts, as ``DraftSentence.Part`` values (kept as strings: no model import here).
SUMMARY, DECISION, OPEN_ITEM, RESOURCE, PERSON, DUTY = (
    "summary",
    "decision",
    "open_item",
    "resource",
    "person",
    "duty",
)

MAX_SUMMARY = 4
MAX_DECISIONS = 8
_DECISION_CANDIDATES = 200
MAX_OPEN_ITEMS = 8
MAX_RESOURCES = 15
MAX_PEOPLE = 5
MAX_DUTIES = 6
MAX_CITATIONS = 5
MAX_LINE_CHARS = 320
REDUNDANT = 0.5  # Jaccard overlap above which two sentences say the same thing

# --- Words Tacit adds itself -------------------------------------------------------
#
# The English words are gettext message ids, translated under the case's language by the
# catalogue in locale/.


def _is_chinese(language: str) -> bool:
    return language.lower().startswith("zh")


def _say(msgid: str, language: str, **values: str) -> str:
    """``msgid`` in ``language``, with ``values`` filled in."""
    with translation.override(language):
        words = gettext(msgid)
    return words % values if values else words


# Marked for the catalogue; ``_say`` translates them at run time.
ASK_ABOUT = gettext_noop("Ask %(name)s about %(topic)s")
ASK = gettext_noop("Ask %(name)s")
EVERY_DAY = gettext_noop("Recurring about every day: %(phrase)s")
EVERY_WEEK = gettext_noop("Recurring about every week: %(phrase)s")
EVERY_TWO_WEEKS = gettext_noop("Recurring about every two weeks: %(phrase)s")
EVERY_MONTH = gettext_noop("Recurring about every month: %(phrase)s")
UNTITLED = gettext_noop("Untitled topic")

# --- Text clean-up and sentences ------------------------------------------------------

# Slack's <url|label>, <url>, <@U123>, <#C123|name>, <!here>.
_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp)://[^>|\s]+)(?:\|([^>]*))?>")
_SLACK_MARKUP = re.compile(r"<[@#!][^>]*>")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\[\]\"'`（）【】「」，。！？]+", re.IGNORECASE)
# Redaction placeholders ("[e-mail removed]", "[secret removed]", "[…]") and quoting marks.
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{0,40}\]|【[^【】\n]{0,20}】")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\s])|(?<=[。！？；])|\n+")
_SPACES = re.compile(r"\s+")
# The read path's pseudonyms ("Colleague A", "同事 A", "Colleague-AB" in a link) and the
# subject's when they are not named.
_PSEUDONYM = re.compile(
    r"\bColleague[ -][A-Z]{1,3}\b|同事[ -]?[A-Z]{1,3}\b|\bthe departing colleague\b|离职同事"
)
_WORD = re.compile(r"[a-z0-9][a-z0-9'_-]*[a-z0-9]|[a-z]", re.IGNORECASE)
_LETTERS = re.compile(r"[A-Za-z\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

_NOISE = re.compile(
    r"(?:has joined the (?:channel|group)|has left the (?:channel|group)|set the channel"
    r"|uploaded a file:|shared a file:|pinned a message|(?:archived|renamed|unarchived) the channel"
    r"|加入了(?:频道|群聊)|撤回了一条消息)",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|dear|thanks?|thank you|thx|ty|cheers|ok(?:ay)?|lol|haha|yes|"
    r"yeah|yep|no|nope|sure|cool|great|nice|awesome|good (?:morning|afternoon|evening)|"
    r"regards|best|rgds|\+1|你好|大家好|谢谢|多谢|好的|收到|嗯|哈哈|早上好|晚上好)\b",
    re.IGNORECASE,
)
# Quoted e-mail lines and signatures.
_QUOTED = re.compile(r"^\s*>|^\s*--\s*$|^On .{5,80} wrote:\s*$")


def _clean(text: str) -> str:
    """``text`` with Slack markup resolved to words (a link keeps its label or address)."""
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return _SLACK_MARKUP.sub(" ", text)


_BULLET = re.compile(r"^(?:[-*•·>]|\d+[.)]|[A-Za-z][.)])\s")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|approx|incl|cf|a\.k\.a|fig|no)|(?<![\w.])[A-Z])\.$",
    re.IGNORECASE,
)
_WRAPPED = 55  # an e-mail's hard-wrapped line is about this long or longer


def _unwrapped(lines: Iterable[str]) -> str:
    """Lines joined where an e-mail wrapped a sentence, kept apart where they end one."""
    out: list[str] = []
    previous = 0
    for raw in lines:
        line = raw.strip()
        if (
            out
            and line
            and previous >= _WRAPPED
            and not out[-1].endswith((".", "!", "?", ":", ";", "。", "！", "？", "：", "；"))
            and not _BULLET.match(line)
        ):
            out[-1] += " " + line
        else:
            out.append(line)
        previous = len(line)
    return "\n".join(out)


def _sentences(text: str) -> Iterator[str]:
    """The sentences of a message, quoted lines left out, whitespace folded."""
    body = _clean(_unwrapped(line for line in text.splitlines() if not _QUOTED.search(line)))
    pending = ""
    for piece in _SENTENCE_END.split(body):
        sentence = _SPACES.sub(" ", piece).strip(" -*•·\t")
        if not sentence:
            continue
        sentence = f"{pending} {sentence}" if pending else sentence
        if _ABBREVIATION.search(sentence) and len(sentence) < 400:
            pending = sentence
            continue
        pending = ""
        yield sentence
    if pending:
        yield pending


def _substance(sentence: str) -> str:
    """A sentence without links, placeholders and pseudonyms: what it says in words."""
    return _PSEUDONYM.sub(" ", _PLACEHOLDER.sub(" ", _URL.sub(" ", sentence)))


def _is_meaningful(sentence: str, *, min_words: int = 5, min_cjk: int = 6) -> bool:
    """Long enough to say something, not a greeting, a link or a channel notice."""
    if _NOISE.search(sentence):
        return False
    words = _substance(sentence)
    cjk = sum(len(run) for run in CJK_RUN.findall(words))
    latin = len(_WORD.findall(CJK_RUN.sub(" ", words)))
    if cjk < min_cjk and latin < min_words:
        return False
    greeting = _GREETING.match(words) is not None
    return not (greeting and cjk < 2 * min_cjk and latin < 2 * min_words)


def _shorten(text: str, limit: int = MAX_LINE_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:，；") + "…"


_STOP_WORDS: frozenset[str] | None = None


def _stop_words() -> frozenset[str]:
    global _STOP_WORDS  # noqa: PLW0603 - a lazily loaded constant
    if _STOP_WORDS is None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        extra = {
            "colleague",
            "departing",
            "removed",
            "http",
            "https",
            "www",
            "com",
            "org",
            "just",
            "like",
            "think",
            "know",
            "really",
            "going",
            "want",
            "got",
            "did",
            "does",
            "don't",
            "i'm",
            "it's",
            "that's",
            "i've",
            "i'll",
            "you're",
            "let's",
            "can't",
            "yeah",
            "thanks",
            "thank",
            "hi",
            "hello",
            "hey",
            "ok",
            "okay",
            "lol",
            "sure",
            "good",
            "great",
            "cool",
            "nice",
            "use",
            "used",
            "using",
            "make",
            "need",
            "way",
            "look",
            "looks",
            "lot",
            "things",
            "thing",
            "pretty",
            "maybe",
            "probably",
            "able",
            "new",
            "time",
            "day",
            "today",
            "yes",
            "wrote",
            "re",
            "fwd",
            "said",
            "say",
        }
        _STOP_WORDS = frozenset(ENGLISH_STOP_WORDS | extra)
    return _STOP_WORDS


def _tokens(text: str) -> set[str]:
    """Content words (English, lower case, no stop words) and CJK character pairs."""
    words = _substance(text)
    stop = _stop_words()
    found = {
        word.lower()
        for word in _WORD.findall(CJK_RUN.sub(" ", words))
        if len(word) > 2 and word.lower() not in stop
    }
    for run in CJK_RUN.findall(words):
        found.update(cjk_pairs(run))
    return found


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


class _Distinct:
    """Sentences kept so far; a new one is kept only if it overlaps none too much.

    Each check is against the few kept ones (a part's cap), so a pass stays linear.
    """

    def __init__(self, threshold: float = REDUNDANT) -> None:
        self.threshold = threshold
        self.kept: list[set[str]] = []

    def index_of(self, sentence: str) -> int | None:
        tokens = _tokens(sentence)
        for index, other in enumerate(self.kept):
            if _jaccard(tokens, other) > self.threshold:
                return index
        return None

    def add(self, sentence: str) -> bool:
        if self.index_of(sentence) is not None:
            return False
        self.kept.append(_tokens(sentence))
        return True


def _all_messages(threads: Sequence[ThreadMessages]) -> Iterator[ConsentedMessage]:
    for thread in threads:
        yield from thread.messages


# --- Summary ---------------------------------------------------------------------------


def _summary(threads: Sequence[ThreadMessages], representative_ids: Sequence[int]) -> list[Line]:
    by_id = {message.message_id: message for message in _all_messages(threads)}
    order = [by_id[i] for i in dict.fromkeys(representative_ids) if i in by_id]
    if len(order) < MAX_SUMMARY:
        # Too few representatives: each thread's opening messages follow them.
        seen = {message.message_id for message in order}
        extra = (m for t in threads for m in t.messages[:3] if m.message_id not in seen)
        order.extend(extra)
    lines: list[Line] = []
    distinct = _Distinct()
    for message in order:
        taken = 0
        for sentence in _sentences(message.text):
            if not _is_meaningful(sentence) or "?" in sentence[-2:] or "？" in sentence[-2:]:
                continue
            if not distinct.add(sentence):
                continue
            lines.append(Line(SUMMARY, _shorten(sentence), (message.message_id,)))
            taken += 1
            if taken == 2 or len(lines) == MAX_SUMMARY:
                break
        if len(lines) == MAX_SUMMARY:
            break
    return lines


# --- Decisions -------------------------------------------------------------------------

_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? decided|decided (?:to|on|that)|the decision is|decision:"
    r"|(?:we |we've |all |have |everyone )?agreed (?:to|on|that)|we agreed"
    r"|(?:we're|we are|i'm|i am|we'll be|we will be) going with"
    r"|we(?:'ll| will) (?:use|go with|stick with|switch to|move to)|let'?s (?:go with|use)"
    r"|settled on|opted for|we chose|we picked)\b"
    r"|决定|(?<![不没未])确定(?:了|用|采用|下来)|就用|采用|定了|选定|最终选择",
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(?:because|since|so that|due to|given that)\b\s*(.+)"
    r"|,\s*as\s+((?:it|we|they|the|this|that|there|our)\b.+)"
    r"|(?:因为|由于|为了|原因是)\s*(.+)",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(
    r"\b(?:instead of|rather than|rejected|ruled out"
    r"|over(?!\s+(?:to|the|a|an|time|there|here|night|it|them)\b))\s+([^,.;!?，。；！？()]+)"
    r"|\btried\s+([^,.;!?]+?)\s+but\b"
    r"|(?:而不是|放弃了?|不用|没选)\s*([^,.;!?，。；！？（）()]+)",
    re.IGNORECASE,
)


_REASON_START = re.compile(
    r"\s(?:because|since|so that|due to|given|as|which|but|and then)\b|因为|由于|为了",
    re.IGNORECASE,
)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" )\"'”").endswith(("?", "？"))


def _reason_in(sentence: str) -> str:
    match = _REASON.search(sentence)
    if not match:
        return ""
    reason = next(group for group in match.groups() if group is not None)
    # "Because X, we decided Y": the reason stops where the decision starts.
    decision = _DECISION.search(reason)
    if decision:
        reason = reason[: decision.start()]
    return _shorten(reason.strip(" ,.;:，。；："), 200)


def _alternatives_in(sentence: str) -> list[str]:
    found = []
    for match in _ALTERNATIVE.finditer(sentence):
        value = next(group for group in match.groups() if group is not None)
        value = _REASON_START.split(value, maxsplit=1)[0].strip(" ,.;:'\"，。；：")
        if value and len(value) <= 80 and value not in found:
            found.append(value)
    return found


def _decision_candidates(threads: Sequence[ThreadMessages]) -> Iterator[tuple[bool, Line]]:
    """Each decision sentence once (with whether it has a reason), thread by thread."""
    distinct = _Distinct()
    for thread in threads:
        messages = thread.messages
        for position, message in enumerate(messages):
            if not _DECISION.search(message.text):
                continue
            sentences = list(_sentences(message.text))
            for index, sentence in enumerate(sentences):
                if not _DECISION.search(sentence) or _is_question(sentence):
                    continue
                if not _is_meaningful(sentence, min_words=3, min_cjk=4):
                    continue
                if not distinct.add(sentence):
                    continue
                ids = [message.message_id]
                reason = _reason_in(sentence)
                alternatives = _alternatives_in(sentence)
                if not reason and index + 1 < len(sentences):
                    reason = _reason_in(sentences[index + 1])
                    alternatives += _alternatives_in(sentences[index + 1])
                if not reason and position + 1 < len(messages):
                    following = messages[position + 1]
                    for other in list(_sentences(following.text))[:3]:
                        reason = _reason_in(other)
                        if reason:
                            ids.append(following.message_id)
                            alternatives += _alternatives_in(other)
                            break
                line = Line(
                    DECISION,
                    _shorten(sentence),
                    tuple(ids),
                    {
                        "reason": reason,
                        "alternatives": list(dict.fromkeys(alternatives)),
                        "decided_at": message.sent_at.date().isoformat(),
                        "thread_id": thread.thread_id,
                    },
                )
                yield bool(reason), line


def _decisions(threads: Sequence[ThreadMessages]) -> list[Line]:
    found = list(itertools.islice(_decision_candidates(threads), _DECISION_CANDIDATES))
    # The ones with a reason first, then in the order they were taken.
    chosen = sorted(range(len(found)), key=lambda i: (not found[i][0], i))[:MAX_DECISIONS]
    return [found[i][1] for i in sorted(chosen)]


# --- Open questions and unfinished work -------------------------------------------------

_OPEN = re.compile(
    r"\b(?:still open|tbd|to be decided|not sure yet|undecided|open question|unresolved)\b"
    r"|待定|还没|未定|尚未|悬而未决",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\bTODO\b|\b(?:to-do|need to|needs to|will do|i'll|i will|can you|could you|please"
    r"|follow up|follow-up|action item)\b"
    r"|需要|待办|跟进|记得|麻烦你|请你",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"\b(?:done|fixed|merged|completed|finished|resolved|shipped|deployed|closed)\b"
    r"|完成|搞定|已修复|已合并|解决了|弄好了|做好了",
    re.IGNORECASE,
)
_REPLY_WINDOW_S = 24 * 3600


def _answered_singletons(threads: Sequence[ThreadMessages]) -> set[int]:
    """Messages alone in their thread that the next message of their conversation answers.

    Chat exports without threads make every message its own thread: a question there is
    answered when someone else writes next in the conversation within a day (outside a
    thread too: a reply in another thread answers something else).
    """
    by_conversation: dict[int, list[ConsentedMessage]] = defaultdict(list)
    for thread in threads:
        by_conversation[thread.conversation_id].extend(thread.messages)
    singletons = {t.messages[0].message_id for t in threads if len(t.messages) == 1}
    answered: set[int] = set()
    for messages in by_conversation.values():
        messages.sort(key=lambda m: (m.sent_at, m.message_id))
        for current, following in zip(messages, messages[1:], strict=False):
            if (
                current.message_id in singletons
                and following.message_id in singletons
                and following.author != current.author
                and (following.sent_at - current.sent_at).total_seconds() <= _REPLY_WINDOW_S
            ):
                answered.add(current.message_id)
    return answered


def _open_items(threads: Sequence[ThreadMessages]) -> list[Line]:
    answered_alone = _answered_singletons(threads)
    found: list[Line] = []
    for thread in threads:
        messages = thread.messages
        # Walking back: whether a later message closes the work, who wrote later.
        done_later = [False] * len(messages)
        later_authors: list[frozenset[str]] = [frozenset()] * len(messages)
        done, authors = False, set()
        for index in range(len(messages) - 1, -1, -1):
            done_later[index] = done
            later_authors[index] = frozenset(authors)
            message = messages[index]
            done = done or bool(_DONE.search(message.text))
            if len(authors) < 2:
                authors.add(message.author)
        for index, message in enumerate(messages):
            replied = bool(later_authors[index] - {message.author})
            if len(messages) == 1:
                replied = message.message_id in answered_alone
            for sentence in _sentences(message.text):
                if not _is_meaningful(sentence, min_words=3, min_cjk=4):
                    continue
                question = _is_question(sentence)
                action = bool(_ACTION.search(sentence))
                explicit = bool(_OPEN.search(sentence))
                is_open = (
                    (question and not replied)
                    or (action and not done_later[index])
                    or (explicit and not done_later[index])
                )
                if not is_open:
                    continue
                found.append(
                    Line(
                        OPEN_ITEM,
                        _shorten(sentence),
                        (message.message_id,),
                        {"waiting": message.author},
                    )
                )
    # The latest ones are likeliest still open; keep them, in the order they came.
    found.sort(key=lambda line: line.message_ids[0])
    distinct = _Distinct()
    kept: list[Line] = []
    for line in reversed(found):
        if distinct.add(line.text):
            kept.append(line)
            if len(kept) == MAX_OPEN_ITEMS:
                break
    return kept[::-1]


# --- Resources -------------------------------------------------------------------------

_TRACKING = re.compile(r"^(?:utm_.*|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|si|igshid|spm)$")
_FILE = re.compile(
    r"(?<![\w/.-])([\w][\w.-]{0,80}\.(?:pdf|docx?|xlsx?|pptx?|csv|tsv|txt|md|json|ya?ml|zip|"
    r"tar\.gz|png|jpe?g|gif|svg|ipynb|py|sql|rmd|kml|key|numbers|pages))(?![\w-])",
    re.IGNORECASE,
)
# "repo acme/billing", "repository `tacit`", "repo billing-export"; not "the repo owner".
_REPO_NAME = re.compile(
    r"\brepo(?:sitory)?\s+(?:`([\w./-]{2,80})`|'([\w./-]{2,80})'|\"([\w./-]{2,80})\""
    r"|([\w.-]+/[\w.-]+|[A-Za-z]\w*[-_.]\w[\w.-]*))"
)
_BOOK_TITLE = re.compile(r"《([^《》\n]{2,40})》")
# "the Release Checklist doc", "the "Q3 plan" spreadsheet": a document named in words.
_DOC_WORDS = r"(?:doc|document|spreadsheet|sheet|deck|slides|runbook|playbook|wiki page|checklist)"
_DOCUMENT = re.compile(
    r"\bthe\s+(?:\"([^\"\n]{3,60})\"|“([^”\n]{3,60})”"
    r"|((?:[A-Z0-9][\w-]*\s+){0,3}[A-Z0-9][\w-]*))\s+" + _DOC_WORDS + r"\b"
)
_REPO_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "gitee.com")
_DOC_HOSTS = (
    "docs.google.com",
    "drive.google.com",
    "notion.so",
    "www.notion.so",
    "dropbox.com",
    "www.dropbox.com",
    "sharepoint.com",
    "onedrive.live.com",
    "quip.com",
    "feishu.cn",
    "larksuite.com",
    "shimo.im",
    "yuque.com",
)


def _normalise_url(raw: str) -> str | None:
    url = raw
    while True:
        url = url.rstrip(".,;:!?]}>'\"*_~，。；：！？")
        # A closing bracket ends the link only when the link did not open it: "(see x.com/a)"
        # but "wiki/Set_(mathematics)".
        if url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1]
            continue
        break
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if "." not in host:
        return None
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=False)
            if not _TRACKING.match(k)
        ]
    )
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = parts.path.rstrip("/") if parts.path != "/" else ""
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def _url_kind(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    segments = [s for s in parts.path.split("/") if s]
    if host.endswith(_REPO_HOSTS) and len(segments) >= 2:
        return "repository"
    if host.endswith(_DOC_HOSTS):
        return "document"
    if _FILE.fullmatch(segments[-1] if segments else ""):
        return "file"
    return "link"


@dataclass
class _Resource:
    text: str
    url: str
    kind: str
    message_ids: list[int] = field(default_factory=list)
    mentions: int = 0


def _resources(threads: Sequence[ThreadMessages]) -> list[Line]:
    names = {m.author for m in _all_messages(threads) if m.author}
    found: dict[str, _Resource] = {}
    order: list[str] = []

    def note(key: str, text: str, url: str, kind: str, message_id: int) -> None:
        resource = found.get(key)
        if resource is None:
            resource = found[key] = _Resource(text=text, url=url, kind=kind)
            order.append(key)
        resource.mentions += 1
        if message_id not in resource.message_ids and len(resource.message_ids) < MAX_CITATIONS:
            resource.message_ids.append(message_id)

    for message in _all_messages(threads):
        text = message.text
        if not text:
            continue
        labels: dict[str, str] = {}
        for match in _SLACK_LINK.finditer(text):
            label = _SPACES.sub(" ", _PLACEHOLDER.sub(" ", match.group(2) or "")).strip()
            if label:
                labels[match.group(1)] = label
        plain = _SLACK_LINK.sub(lambda m: " " + m.group(1) + " ", text)
        plain = _PLACEHOLDER.sub(" ", plain)
        linked_files: set[str] = set()
        for match in _URL.finditer(plain):
            url = _normalise_url(match.group(0))
            if url is None:
                continue
            last = urlsplit(url).path.rsplit("/", 1)[-1].lower()
            linked_files.add(last)
            label = labels.get(match.group(0).rstrip(".,;:!?)"), "")
            shown = f"{label} ({url})" if label and label.lower() not in url.lower() else url
            note(url.lower(), shown[:1000], url, _url_kind(url), message.message_id)
        rest = _URL.sub(" ", plain)
        for match in _FILE.finditer(rest):
            name = match.group(1)
            if name.lower() in linked_files or not re.search(r"[A-Za-z]", name.split(".")[0]):
                continue
            if "." in name.rsplit(".", 1)[0] and name.lower().startswith(("www.", "e.g", "i.e")):
                continue
            note("file:" + name.lower(), name, "", "file", message.message_id)
        for match in _REPO_NAME.finditer(rest):
            name = next(group for group in match.groups() if group is not None).rstrip(".")
            if name.lower() in _stop_words() or _PSEUDONYM.search(name):
                continue
            note("repo:" + name.lower(), name, "", "repository", message.message_id)
        for match in _DOCUMENT.finditer(rest):
            title = next(group for group in match.groups() if group is not None).strip()
            if _PSEUDONYM.search(title) or any(name in title for name in names):
                continue
            shown = match.group(0)[4:].strip()  # without "the "
            note("doc:" + shown.lower(), shown, "", "document", message.message_id)
        for match in _BOOK_TITLE.finditer(rest):
            title = match.group(1).strip()
            note("doc:" + title, f"《{title}》", "", "document", message.message_id)
    ranked = sorted(range(len(order)), key=lambda i: (-found[order[i]].mentions, i))
    lines = []
    for index in ranked[:MAX_RESOURCES]:
        resource = found[order[index]]
        lines.append(
            Line(
                RESOURCE,
                resource.text if resource.url else _shorten(resource.text),
                tuple(resource.message_ids),
                {"url": resource.url, "kind": resource.kind},
            )
        )
    return lines


# --- People to ask ---------------------------------------------------------------------


def _people(threads: Sequence[ThreadMessages], language: str) -> list[Line]:
    written: Counter[str] = Counter()
    cited: dict[str, list[int]] = defaultdict(list)
    for message in _all_messages(threads):
        if not message.author_is_named or message.author_is_subject or not message.author:
            continue
        written[message.author] += 1
        ids = cited[message.author]
        ids.append(message.message_id)
        if len(ids) > 3:
            del ids[0]  # the latest three
    if not written:
        return []
    separator = "、" if _is_chinese(language) else ", "
    topic = separator.join(_keywords(threads, names=set(written), limit=2))
    lines = []
    for name, _count in sorted(written.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PEOPLE]:
        if topic:
            text = _say(ASK_ABOUT, language, name=name, topic=topic)
        else:
            text = _say(ASK, language, name=name)
        lines.append(Line(PERSON, text, tuple(cited[name])))
    return lines


# --- Recurring duties ------------------------------------------------------------------

_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekday|week"
_DUTY_PHRASE = re.compile(
    r"\b(?:every|each)\s+(?:single\s+)?(day|morning|evening|night|" + _WEEKDAYS + r"|"
    r"other week|two weeks|fortnight|sprint|month|quarter|year)s?\b"
    r"|\b(weekly|bi-?weekly|fortnightly|monthly|quarterly)\b"
    r"|\b(daily|annually|yearly)\b"
    r"\s+(?:stand-?up|meeting|sync|report|review|check|call|release|backup|update|digest|"
    r"retro|planning|deploy|rota|on-?call|newsletter|meetup|summary|email|status)"
    r"|\b(stand-?up)s?\b"
    r"|每(天|日|早|晚|周[一二三四五六日天]?|星期[一二三四五六日天]?|礼拜|两周|双周|个?月|季度|年)"
    r"|(双周)",
    re.IGNORECASE,
)
_CADENCES = {
    "day": "daily",
    "morning": "daily",
    "evening": "daily",
    "night": "daily",
    "daily": "daily",
    "stand-up": "daily",
    "standup": "daily",
    "other week": "biweekly",
    "two weeks": "biweekly",
    "fortnight": "biweekly",
    "fortnightly": "biweekly",
    "biweekly": "biweekly",
    "bi-weekly": "biweekly",
    "sprint": "sprint",
    "weekday": "daily",
    "month": "monthly",
    "monthly": "monthly",
    "quarter": "quarterly",
    "quarterly": "quarterly",
    "year": "yearly",
    "yearly": "yearly",
    "annually": "yearly",
    "天": "daily",
    "日": "daily",
    "早": "daily",
    "晚": "daily",
    "两周": "biweekly",
    "双周": "biweekly",
    "月": "monthly",
    "个月": "monthly",
    "季度": "quarterly",
    "年": "yearly",
}


def _cadence_of(word: str) -> str:
    """The cadence a duty phrase's word names; weekdays, "周五", "weekly" are weekly."""
    return _CADENCES.get(word.lower(), "weekly")


# Intervals between the messages of a repeated phrase, in days: cadence, low, high.
_INTERVALS = (
    ("daily", 0.5, 1.5, EVERY_DAY),
    ("weekly", 6.0, 8.0, EVERY_WEEK),
    ("biweekly", 13.0, 15.0, EVERY_TWO_WEEKS),
    ("monthly", 27.0, 32.0, EVERY_MONTH),
)
_DIGITS = re.compile(r"[\d０-９]+")
_LEADING_WORDS = 4
_LEADING_CJK = 6


def _leading_key(text: str) -> str:
    """The normalised opening words of a message: what repeats in a recurring post."""
    words = _DIGITS.sub(" ", _substance(_clean(text))).strip()
    if has_cjk(words[:12]):
        chars = "".join(CJK_RUN.findall(words))
        return chars[:_LEADING_CJK] if len(chars) >= 4 else ""
    tokens = [w.lower() for w in _WORD.findall(words)]
    if len(tokens) < 2:
        return ""
    return " ".join(tokens[:_LEADING_WORDS])


def _opening(text: str) -> str:
    for sentence in _sentences(text):
        if _LETTERS.search(_substance(sentence)):
            return _shorten(sentence, 120)
    return ""


def _periodic(threads: Sequence[ThreadMessages], language: str) -> list[Line]:
    groups: dict[str, list[ConsentedMessage]] = defaultdict(list)
    for message in _all_messages(threads):
        if _NOISE.search(message.text):
            continue
        key = _leading_key(message.text)
        if key and not _GREETING.match(key):
            groups[key].append(message)
    lines = []
    for messages in groups.values():
        if len(messages) < 3:
            continue
        messages.sort(key=lambda m: (m.sent_at, m.message_id))
        gaps = [
            (b.sent_at - a.sent_at).total_seconds() / 86400
            for a, b in zip(messages, messages[1:], strict=False)
        ]
        typical = statistics.median(gaps)
        for cadence, low, high, frame in _INTERVALS:
            if not low <= typical <= high:
                continue
            regular = sum(1 for gap in gaps if low <= gap <= high)
            if regular >= 2 and regular >= 0.6 * len(gaps):
                phrase = _opening(messages[-1].text)
                if phrase:
                    ids = tuple(m.message_id for m in messages[-MAX_CITATIONS:])
                    text = _say(frame, language, phrase=phrase)
                    lines.append(Line(DUTY, text, ids, {"cadence": cadence}))
            break
    return lines


def _duties(threads: Sequence[ThreadMessages], language: str) -> list[Line]:
    stated: list[tuple[str, str, list[int]]] = []
    distinct = _Distinct()
    for message in _all_messages(threads):
        if not _DUTY_PHRASE.search(message.text):
            continue
        for sentence in _sentences(message.text):
            match = _DUTY_PHRASE.search(sentence)
            if not match or _is_question(sentence):
                continue
            if not _is_meaningful(sentence, min_words=3, min_cjk=4):
                continue
            index = distinct.index_of(sentence)
            if index is not None:
                ids = stated[index][2]
                if message.message_id not in ids and len(ids) < MAX_CITATIONS:
                    ids.append(message.message_id)
                continue
            if len(stated) == MAX_DUTIES:
                continue
            distinct.add(sentence)
            word = next(group for group in match.groups() if group is not None)
            stated.append((_shorten(sentence), _cadence_of(word), [message.message_id]))
    lines = [Line(DUTY, text, tuple(ids), {"cadence": cadence}) for text, cadence, ids in stated]
    for line in _periodic(threads, language):
        if len(lines) >= MAX_DUTIES + 2:
            break
        if not set(line.message_ids) & {i for known in lines for i in known.message_ids}:
            lines.append(line)
    return lines


# --- The section -----------------------------------------------------------------------


def compose_section(
    *,
    threads: Sequence[ThreadMessages],
    representative_ids: Sequence[int],
    language: str = "en",
) -> list[Line]:
    """Every line of a topic's section, in reading order of the parts.

    ``representative_ids`` are the topic's messages nearest its centre, best first
    (the runner ranks them with the embedding model); the summary draws from them.
    ``language`` is the case's language, for the words Tacit adds itself.
    """
    threads = [thread for thread in threads if thread.messages]
    if not threads:
        return []
    lines = [
        *_summary(threads, representative_ids),
        *_decisions(threads),
        *_open_items(threads),
        *_resources(threads),
        *_people(threads, language),
        *_duties(threads, language),
    ]
    known = {message.message_id for message in _all_messages(threads)}
    return [line for line in lines if line.message_ids and set(line.message_ids) <= known]


# --- Titles ----------------------------------------------------------------------------

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|aw|sv|wg|回复|答复|转发)\s*(?:\[\d+\])?\s*[:：]\s*|\[[^\]]{0,40}\]\s*)+",
    re.IGNORECASE,
)
_TITLE_MAX = 60


def _names_in(threads: Sequence[ThreadMessages]) -> set[str]:
    """Every person's label the threads show: authors, named or pseudonymous."""
    names = {m.author for m in _all_messages(threads) if m.author}
    names.update(anonymous_subject_label(language) for language in ("en", "zh-hans"))
    return names


def _name_words(names: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for name in names:
        words.update(word.lower() for word in _WORD.findall(name))
        for run in CJK_RUN.findall(name):
            words.update(cjk_pairs(run))
    return words


def _without_people(text: str, names: set[str]) -> str:
    text = _PSEUDONYM.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        if name and name in text:
            text = text.replace(name, " ")
    return text


_PATHLIKE = re.compile(r"\S*[/\\_=]\S*|\S*\d\S*\d\S*\d\S*")


def _terms(text: str, stop: frozenset[str]) -> list[str]:
    """English words and word pairs, and CJK character pairs, of ``text``: TF-IDF's terms."""
    words = _substance(text)
    words = _PATHLIKE.sub(" ", words)
    terms: list[str] = []
    for chunk in re.split(r"[.,;:!?()\[\]{}\"“”…\n]|" + CJK_RUN.pattern, words):
        tokens = [w.lower() for w in _WORD.findall(chunk)]
        kept = [t if (len(t) > 2 and t not in stop and not t.isdigit()) else "" for t in tokens]
        terms.extend(t for t in kept if t)
        terms.extend(f"{a} {b}" for a, b in zip(kept, kept[1:], strict=False) if a and b)
    for run in CJK_RUN.findall(words):
        if len(run) >= 2:
            terms.extend(pair for pair in cjk_pairs(run) if pair not in stop)
    return terms


# Words that name someone the read path could not know of ("met Les Becker", "ask Priya"):
# a title never names a person, so such words are never a title's.
_PERSON_CONTEXT = re.compile(
    r"\b(?:(?P<strong>met|ask|asked|asking|thanks|thank|told|tell|cc|hi|hey|hello|dear|ping"
    r"|pinged|talked to|spoke to|heard from)|with|from|meeting)"
    r"\s+(?P<first>[A-Z][a-z]+)(?:\s+(?P<last>[A-Z][a-z]+))?\b"
)


def _mentioned_people(text: str) -> set[str]:
    """A capitalised word after "with"/"from"; a name of one or two after "met", "ask"...

    A word the text also writes in lower case ("stories with Data", "data") is a word,
    not a name.
    """
    found: set[str] = set()
    for match in _PERSON_CONTEXT.finditer(text):
        if match.group("last") is None:
            found.add(match.group("first").lower())
        elif match.group("strong"):
            found.update((match.group("first").lower(), match.group("last").lower()))
    if not found:
        return found
    lower = {word for word in _WORD.findall(text) if word.islower()}
    return found - lower


def _keywords(
    threads: Sequence[ThreadMessages],
    *,
    names: set[str] | None = None,
    others: Sequence[str] = (),
    limit: int = 3,
) -> list[str]:
    """The topic's most distinctive terms (TF-IDF against ``others``), as written."""
    names = (names or set()) | _names_in(threads)
    stop = _stop_words() | _name_words(names)
    text = _without_people(
        "\n".join(_clean(m.text) for m in _all_messages(threads) if not _NOISE.search(m.text)),
        names,
    )
    if not text.strip():
        return []
    stop = stop | _mentioned_people(text)
    analyzer = lambda document: _terms(document, stop)  # noqa: E731
    if others:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True)
        try:
            matrix = vectorizer.fit_transform([text, *others])
        except ValueError:  # no terms at all
            return []
        row = matrix[0].toarray().ravel()
        vocabulary = vectorizer.get_feature_names_out()
        scored = sorted(
            ((row[i], vocabulary[i]) for i in row.nonzero()[0]), key=lambda s: (-s[0], s[1])
        )
    else:
        counts = Counter(analyzer(text))
        scored = sorted(((c, t) for t, c in counts.items() if c > 0), key=lambda s: (-s[0], s[1]))
    # Pairs count for a little more: they read as phrases.
    ranked = sorted(
        scored[:40],
        key=lambda s: -(s[0] * (1.3 if (" " in s[1] or len(s[1]) == 2) else 1.0)),
    )
    chosen: list[str] = []
    folded_chosen: list[str] = []
    for _score, term in ranked:
        folded = re.sub(r"[\s-]", "", term)
        if any(folded in other or other in folded for other in folded_chosen):
            continue
        folded_chosen.append(folded)
        chosen.append(term)
        if len(chosen) == limit:
            break
    return [_surface(term, text) for term in _join_cjk(chosen, [t for _, t in scored[:40]])]


def _join_cjk(chosen: list[str], pool: list[str]) -> list[str]:
    """CJK pairs that chain in the pool ("部署", "署流", "流程") joined as one phrase."""
    joined = []
    for term in chosen:
        if has_cjk(term) and len(term) == 2:
            phrase = term
            for _ in range(4):
                nxt = next(
                    (p for p in pool if len(p) == 2 and p[0] == phrase[-1] and has_cjk(p)), None
                )
                if nxt is None or nxt[1] in phrase:
                    break
                phrase += nxt[1]
            term = phrase
        joined.append(term)
    return joined


def _surface(term: str, text: str) -> str:
    """``term`` as the text mostly writes it (its case), else as it is."""
    if has_cjk(term):
        return term
    pattern = re.compile(r"\b" + r"\s+".join(re.escape(w) for w in term.split()) + r"\b", re.I)
    forms = Counter(match.group(0) for match in pattern.finditer(text[:200000]))
    return forms.most_common(1)[0][0] if forms else term


def _clean_title(text: str, names: set[str]) -> str:
    text = _without_people(_PLACEHOLDER.sub(" ", _URL.sub(" ", text)), names)
    text = _SPACES.sub(" ", text).strip(" -–—:：,，|")
    if len(text) > _TITLE_MAX:
        cut = text[:_TITLE_MAX]
        space = cut.rfind(" ")
        text = (cut[:space] if space > 20 else cut).rstrip(" ,;:-")
    return text


def _subject_title(threads: Sequence[ThreadMessages], names: set[str]) -> str:
    """The topic's e-mail subject, when one stands out."""
    subjects: Counter[str] = Counter()
    shown: dict[str, str] = {}
    total = 0
    for message in _all_messages(threads):
        if not message.subject_line:
            continue
        total += 1
        subject = _SUBJECT_PREFIX.sub("", message.subject_line).strip()
        if subject:
            key = subject.lower()
            subjects[key] += 1
            shown.setdefault(key, subject)
    if not subjects:
        return ""
    key, count = subjects.most_common(1)[0]
    if count < 2 and len(threads) > 1 and total > 1:
        return ""
    title = _clean_title(shown[key], names)
    return title if _LETTERS.search(title) else ""


def topic_title(*, threads: Sequence[ThreadMessages], others: Sequence[str] = ()) -> str:
    """A short, human-readable title drawn from the topic's own text.

    ``others`` are texts of the other topics, so the title names what sets this
    topic apart.
    """
    threads = [thread for thread in threads if thread.messages]
    names = _names_in(threads)
    title = _subject_title(threads, names)
    if title:
        return title
    if threads:
        words = _keywords(threads, others=others, limit=3)
        parts: list[str] = []
        for word in words:
            candidate = ", ".join([*parts, word])
            if len(candidate) > _TITLE_MAX or len(" ".join([*parts, word]).split()) > 5:
                break
            parts.append(word)
        title = _clean_title(", ".join(parts), names)
        if title and has_cjk(title):
            title = title.replace(", ", "、")
        if title:
            return title[0].upper() + title[1:] if title[0].isascii() else title
        fallback = _clean_title(threads[0].conversation.lstrip("#"), names)
        if fallback:
            return fallback
    return _say(UNTITLED, translation.get_language() or "en")
