"""Topics left out of a handover by default: a person's health, family, pay, reviews, discipline.

A message that touches one of these is kept out of drafts unless the subject puts it
back. ``detect_out_of_scope`` says which topic and which words in the text made it so,
so the subject can see why. Pure functions on strings: no database, no models.

No well-kept library classifies these topics in English and Chinese chat, so this is a
curated lexicon, all of it in ``LEXICON`` below for review. It leans towards precision
on engineering chat, where the same words mean something else: "health check",
"performance regression", "payload", "bonus points", "warning: deprecated", "kill the
child process", "父节点", "警告：". Phrases are therefore mostly two words (a possessive
and a noun, a noun and its context) rather than single ambiguous words, and each topic
lists the engineering phrases that cancel a match inside them.

English phrases (matched case-insensitively, on ASCII word boundaries so that they are
also found inside Chinese text):

- words are separated by one space, which matches any whitespace or a hyphen;
- a trailing ``*`` on a word lets it continue with letters (``diagnos*``: diagnosis,
  diagnosed), the simple inflections;
- ``<my>`` stands for a possessive: my, his, her, their, our, your;
- an entry written all in capitals (``PIP``) matches only in capitals.

Chinese phrases are plain substrings (Chinese has no spaces between words). Bare 警告
("warning") is not a phrase: it is how Chinese tools print warnings; its disciplinary
compounds (书面警告, 警告信, 严重警告 ...) are. Words inside links count in neither language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = [
    "LEXICON",
    "TOPIC_LABELS",
    "Topic",
    "TopicLexicon",
    "TopicMatch",
    "detect_out_of_scope",
    "out_of_scope_topics",
]


class Topic(StrEnum):
    """A private matter about a person that a handover leaves out by default."""

    HEALTH = "health"
    FAMILY = "family"
    COMPENSATION = "compensation"
    PERFORMANCE_REVIEW = "performance_review"
    DISCIPLINE = "discipline"


TOPIC_LABELS: dict[str, Promise] = {
    Topic.HEALTH: _("Health"),
    Topic.FAMILY: _("Family"),
    Topic.COMPENSATION: _("Pay and compensation"),
    Topic.PERFORMANCE_REVIEW: _("Performance review"),
    Topic.DISCIPLINE: _("Disciplinary matter"),
}


@dataclass(frozen=True)
class TopicLexicon:
    """The phrases of one topic, and the phrases that cancel a match inside them."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]
    english_exceptions: tuple[str, ...] = ()
    chinese_exceptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """Where a topic was found: ``text[start:end]`` is ``phrase``, the words that matched."""

    topic: str
    phrase: str
    start: int
    end: int


LEXICON: dict[Topic, TopicLexicon] = {
    Topic.HEALTH: TopicLexicon(
        english=(
            "sick leave",
            "sick day*",
            "sick note",
            "off sick",
            "out sick",
            "call* in sick",
            "feeling sick",
            "feel sick",
            "got sick",
            "getting sick",
            "been sick",
            "i'm sick",
            "i am sick",
            "medical leave",
            "medical appointment*",
            "medical condition*",
            "medical reasons",
            "diagnosed",
            "<my> diagnosis",
            "doctor",
            "doctors",
            "doctor's",
            "dentist*",
            "hospital",
            "hospitals",
            "hospitali*ed",
            "surgery",
            "illness*",
            "pregnan*",
            "miscarriage",
            "therapy",
            "therapist*",
            "mental health",
            "<my> health",
            "health issue*",
            "health problem*",
            "health reasons",
            "medication*",
            "chemo*",
            "migraine*",
            "burnout",
            "burned out",
            "burnt out",
            "depression",
            "anxiety",
            "the flu",
            "tested positive",
            "injury",
            "injured",
            "physio*",
        ),
        english_exceptions=(
            "brew doctor",
            "flutter doctor",
            "npm doctor",
            "yarn doctor",
            "expo doctor",
            "react-native doctor",
            "doctor who",
            "cluster health",
            "node health",
            "service health",
            "system health",
            "server health",
            "database health",
            "db health",
            "pod health",
            "disk health",
            "health check*",
        ),
        chinese=(
            "病假",
            "生病",
            "看病",
            "看医生",
            "医院",
            "医生",
            "住院",
            "手术",
            "确诊",
            "诊断出",
            "怀孕",
            "孕检",
            "产检",
            "流产",
            "心理咨询",
            "心理医生",
            "抑郁",
            "焦虑",
            "吃药",
            "发烧",
            "感冒",
            "体检",
            "身体不舒服",
            "身体原因",
        ),
        chinese_exceptions=("发烧友", "不感冒", "电脑体检", "系统体检"),
    ),
    Topic.FAMILY: TopicLexicon(
        english=(
            "divorce*",
            "<my> kid",
            "<my> kids",
            "<my> child",
            "<my> children",
            "<my> son",
            "<my> sons",
            "<my> daughter*",
            "<my> wife",
            "<my> husband",
            "<my> mum",
            "<my> mom",
            "<my> mother",
            "<my> father",
            "<my> dad",
            "<my> parents",
            "<my> grandmother",
            "<my> grandfather",
            "<my> grandma",
            "<my> grandpa",
            "<my> baby",
            "<my> family",
            "family emergency",
            "family reasons",
            "family matter*",
            "family issue*",
            "school run",
            "funeral",
            "passed away",
            "bereavement",
            "childcare",
            "daycare",
            "babysitter",
            "nanny",
            "maternity",
            "paternity",
            "parental leave",
            "wedding",
            "custody",
        ),
        english_exceptions=(
            "child process*",
            "child node*",
            "child element*",
            "child component*",
            "child theme*",
            "child table*",
            "child class*",
            "child row*",
            "child span*",
            "child window*",
            "family of",
            "font family",
        ),
        chinese=(
            "家里",
            "家人",
            "家事",
            "家庭原因",
            "孩子",
            "小孩",
            "儿子",
            "女儿",
            "老婆",
            "老公",
            "妻子",
            "丈夫",
            "爸爸",
            "妈妈",
            "爸妈",
            "父母",
            "离婚",
            "葬礼",
            "去世",
            "丧假",
            "婚假",
            "婚礼",
            "产假",
            "陪产假",
            "育儿",
            "带娃",
        ),
        chinese_exceptions=("孩子节点",),
    ),
    Topic.COMPENSATION: TopicLexicon(
        english=(
            "salar*",
            "<my> pay",
            "pay rise",
            "pay raise",
            "payrise",
            "pay cut",
            "pay slip*",
            "payslip*",
            "paycheck*",
            "pay check*",
            "pay stub*",
            "pay grade",
            "pay band",
            "pay review",
            "back pay",
            "overtime pay",
            "a raise",
            "<my> raise",
            "<my> bonus",
            "bonuses",
            "annual bonus",
            "year-end bonus",
            "yearly bonus",
            "performance bonus",
            "signing bonus",
            "sign-on bonus",
            "retention bonus",
            "bonus payment*",
            "compensation package",
            "total compensation",
            "<my> compensation",
            "comp package",
            "equity grant*",
            "stock option*",
            "RSU",
            "RSUs",
            "severance",
            "wage",
            "wages",
        ),
        english_exceptions=("bonus point*", "bonuses and penalties"),
        chinese=(
            "工资",
            "薪资",
            "薪水",
            "薪酬",
            "奖金",
            "涨薪",
            "加薪",
            "调薪",
            "降薪",
            "年终奖",
            "年薪",
            "月薪",
            "底薪",
            "期权",
            "股权激励",
            "补偿金",
            "赔偿金",
        ),
    ),
    Topic.PERFORMANCE_REVIEW: TopicLexicon(
        english=(
            "performance review*",
            "performance improvement plan*",
            "PIP",
            "PIPs",
            "appraisal*",
            "performance rating*",
            "performance evaluation*",
            "performance feedback",
            "performance goals",
            "annual review*",
            "mid-year review*",
            "year-end review*",
            "360 review*",
            "360 feedback",
            "self assessment*",
            "calibration meeting*",
            "promotion case",
            "promotion packet",
        ),
        chinese=(
            "绩效",
            "考核",
            "述职",
            "年终评估",
            "360评估",
            "末位淘汰",
            "晋升答辩",
        ),
    ),
    Topic.DISCIPLINE: TopicLexicon(
        english=(
            "disciplinary",
            "disciplin* action",
            "warning letter",
            "written warning",
            "final warning",
            "verbal warning",
            "formal warning",
            "hr complaint*",
            "complaint to hr",
            "complain* to hr",
            "reported to hr",
            "reported me to hr",
            "reported him to hr",
            "reported her to hr",
            "hr investigation",
            "grievance*",
            "misconduct",
            "harass*",
            "got fired",
            "getting fired",
            "fired me",
            "dismissal",
        ),
        chinese=(
            "处分",
            "书面警告",
            "口头警告",
            "警告信",
            "严重警告",
            "最后警告",
            "被警告",
            "违纪",
            "记过",
            "通报批评",
            "开除",
            "辞退",
            "劝退",
            "骚扰",
            "HR投诉",
            "向HR投诉",
            "投诉到HR",
            "人事投诉",
        ),
    ),
}

# --- compiling the lexicon -------------------------------------------------------------------

_POSSESSIVE = r"(?:my|his|her|their|our|your)"
_SPACE = r"[\s-]+"
# ASCII boundaries: an English phrase inside Chinese text ("我请了sick leave") still counts.
_BEFORE = r"(?<![A-Za-z0-9_])"
_AFTER = r"(?![A-Za-z0-9_])"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _english_pattern(phrase: str) -> str:
    words = []
    for word in phrase.split(" "):
        if word == "<my>":
            words.append(_POSSESSIVE)
            continue
        stem, star, rest = word.partition("*")
        # "hospitali*ed": letters in the middle; "diagnos*": letters at the end.
        words.append(re.escape(stem) + (r"[a-z]*" if star else "") + re.escape(rest))
    body = _SPACE.join(words)
    if phrase.isupper():
        body = f"(?-i:{body})"
    return body


def _alternation(patterns: list[str]) -> str:
    # Longest first, so that at one position the longest phrase wins.
    return "|".join(sorted(patterns, key=len, reverse=True))


def _english_body(phrases: tuple[str, ...]) -> str:
    body = _alternation([_english_pattern(phrase) for phrase in phrases])
    return f"{_BEFORE}(?:{body}){_AFTER}"


def _english_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_english_body(phrases), re.IGNORECASE)


def _chinese_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_alternation([re.escape(phrase) for phrase in phrases]), re.IGNORECASE)


def _topic_groups(regex_for: dict[Topic, str]) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?P<{topic.value}>{body})" for topic, body in regex_for.items()),
        re.IGNORECASE,
    )


def _english_by_first_letter() -> re.Pattern[str]:
    """All topics' English phrases in one pattern, dispatched on the first letter.

    A group per first letter, each holding one named group per topic
    (``health__3``): the engine tries a couple of dozen letters at a word start
    rather than every phrase, about four times faster on chat text.
    """
    by_letter: dict[str, dict[Topic, list[str]]] = {}
    for topic, lexicon in LEXICON.items():
        for phrase in lexicon.english:
            letter = "<my>" if phrase.startswith("<my>") else phrase[0].lower()
            by_letter.setdefault(letter, {}).setdefault(topic, []).append(phrase)
    branches = []
    for index, (letter, by_topic) in enumerate(by_letter.items()):
        if letter == "<my>":
            first = "[mhtoy]"
        elif letter.isalpha():
            first = f"[{letter}{letter.upper()}]"
        else:
            first = re.escape(letter)
        topics = "|".join(
            f"(?P<{topic.value}__{index}>{_alternation([_english_pattern(p) for p in phrases])})"
            for topic, phrases in by_topic.items()
        )
        branches.append(f"(?={first})(?:{topics})")
    return re.compile(f"{_BEFORE}(?:{'|'.join(branches)}){_AFTER}", re.IGNORECASE)


_ENGLISH = _english_by_first_letter()
_CHINESE = _topic_groups(
    {
        topic: _alternation([re.escape(phrase) for phrase in lexicon.chinese])
        for topic, lexicon in LEXICON.items()
        if lexicon.chinese
    }
)
_ENGLISH_EXCEPTIONS = {
    topic: _english_regex(lexicon.english_exceptions)
    for topic, lexicon in LEXICON.items()
    if lexicon.english_exceptions
}
_CHINESE_EXCEPTIONS = {
    topic: _chinese_regex(lexicon.chinese_exceptions)
    for topic, lexicon in LEXICON.items()
    if lexicon.chinese_exceptions
}


# --- detecting -------------------------------------------------------------------------------


def _matches(
    text: str, regex: re.Pattern[str], exceptions: dict[Topic, re.Pattern[str]]
) -> list[TopicMatch]:
    found = []
    excepted: dict[Topic, list[tuple[int, int]]] = {}
    for match in regex.finditer(text):
        topic = Topic(str(match.lastgroup).partition("__")[0])
        start, end = match.span()
        if topic in exceptions:
            if topic not in excepted:
                excepted[topic] = [m.span() for m in exceptions[topic].finditer(text)]
            if any(s < end and start < e for s, e in excepted[topic]):
                continue
        found.append(TopicMatch(topic=topic, phrase=match.group(), start=start, end=end))
    return found


def detect_out_of_scope(text: str) -> list[TopicMatch]:
    """Every out-of-scope phrase in ``text``, in order; empty when the text is in scope.

    Each match names its topic and the words of ``text`` that matched, for the subject
    to see why a message was left out.
    """
    found = _matches(text, _ENGLISH, _ENGLISH_EXCEPTIONS)
    if _CJK.search(text):
        found.extend(_matches(text, _CHINESE, _CHINESE_EXCEPTIONS))
        found.sort(key=lambda match: match.start)
    if found and "://" in text:
        # A link's words name a page ("/hospital-payments-explorer"), not the writer's life.
        links = [m.span() for m in _URL.finditer(text)]
        found = [m for m in found if not any(s <= m.start < e for s, e in links)]
    return found


def out_of_scope_topics(text: str) -> list[Topic]:
    """The topics ``text`` touches, each once, in the order they first appear."""
    return list(dict.fromkeys(Topic(match.topic) for match in detect_out_of_scope(text)))
