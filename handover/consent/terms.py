"""The consent terms, versioned: the exact words a subject is shown and agrees to.

The texts live here rather than in the translation catalogue so that a grant's stored
text and its SHA-256 change only when a new version is written on purpose. Changing a
word means a new ``CURRENT_VERSION``; grants given under an older version stop being
live (``handover.consent.read``) and the subject is asked again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from handover.models import Purpose

CURRENT_VERSION = "2026-12-01"
NAMING_VERSION = "2026-12-01"

_PREAMBLE = {
    "en": (
        "You decide what of your own imported conversations Tacit may use, and for what. "
        "Each purpose below is separate and off until you tick it. Refusing, or ticking "
        "nothing, has no consequence for you. You can withdraw all of it, one purpose or one "
        "conversation at any time, also after your last day; serving stops at once and every "
        "copy made from it is deleted, with a receipt.\n"
        "Tacit never builds a persona of you, never imitates how you write or speak, never "
        "profiles your behaviour, and never uses your messages to train a model. Other people "
        "in your conversations are shown under pseudonyms unless they consent themselves. "
        "Personal data and secrets are removed before anything is drafted or indexed, and "
        "messages about health, family, pay, performance reviews or discipline are left out "
        "unless you include them."
    ),
    "zh-hans": (
        "由你决定 Tacit 可以使用你自己导入的哪些对话，以及用于什么目的。下面每个目的都是独立的，"
        "在你勾选之前均为关闭。拒绝或不勾选任何一项，对你不会有任何影响。你可以随时撤回全部、"
        "某一个目的或某一个对话，离职之后也可以；撤回会立即停止使用，由此产生的所有副本都会被删除，"
        "并给你一份删除回执。\n"
        "Tacit 绝不会构建你的人格画像，绝不模仿你的写作或说话方式，绝不对你的行为进行画像分析，"
        "也绝不用你的消息训练模型。对话中的其他人以化名显示，除非他们本人同意署名。"
        "在起草或建立索引之前，个人数据和密钥会被移除；涉及健康、家庭、薪酬、绩效评估或纪律处分的"
        "消息默认不纳入，除非你主动纳入。"
    ),
}

_PURPOSES = {
    "en": {
        Purpose.PUBLISH: (
            "Publish handover pages drafted from the chosen conversations to the case's wiki "
            "space, after you have reviewed and approved each one."
        ),
        Purpose.INDEX: (
            "Index the chosen conversations so that the team's questions can be answered "
            "from them, with citations."
        ),
        Purpose.QUOTE: (
            "Quote your own messages word for word in answers. Without this, answers "
            "summarise and cite but do not quote."
        ),
        Purpose.ATTRIBUTE: (
            "Name you as the source of pages and answers. Without this, the knowledge is "
            "kept and you are removed: nothing names you."
        ),
        Purpose.RHYTHMS: (
            "Include the chosen conversations in team-level working rhythms (for example "
            "which weekday a report is due), only as aggregates of the team, never per person."
        ),
        Purpose.EXTERNAL_PROCESSOR: (
            "Let the external processor your operator configured (a language model "
            "endpoint) read the chosen, redacted conversations to help write drafts."
        ),
    },
    "zh-hans": {
        Purpose.PUBLISH: (
            "在你审阅并批准每一页之后，将根据所选对话起草的交接页面发布到本案的维基空间。"
        ),
        Purpose.INDEX: ("为所选对话建立索引，使团队的问题可以据此回答，并附引用。"),
        Purpose.QUOTE: (
            "在回答中逐字引用你本人的消息。未勾选时，回答只做概括和引用来源，不逐字引用。"
        ),
        Purpose.ATTRIBUTE: (
            "在页面和回答中署你的名字作为来源。未勾选时，保留知识而移除你本人：不会出现你的名字。"
        ),
        Purpose.RHYTHMS: (
            "将所选对话纳入团队层面的工作节奏（例如周报在周几提交），"
            "只以团队汇总的形式呈现，绝不按个人统计。"
        ),
        Purpose.EXTERNAL_PROCESSOR: (
            "允许运维人员配置的外部处理器（语言模型接口）读取所选的、已脱敏的对话，以帮助撰写草稿。"
        ),
    },
}

_NAMING = {
    "en": (
        "You appear in conversations that a departing colleague chose to hand over. Unless "
        "you agree here, you are shown under a pseudonym and never quoted word for word. If "
        "you agree, your name may be shown and your messages in these conversations may be "
        "quoted in this handover's pages and answers. You can withdraw at any time."
    ),
    "zh-hans": (
        "你出现在一位离职同事选择交接的对话中。除非你在此同意，否则你将以化名显示，且绝不会被逐字引用。"
        "如果你同意，本交接的页面和回答中可以显示你的名字，并可以引用你在这些对话中的消息。你可以随时撤回。"
    ),
}


@dataclass(frozen=True)
class Terms:
    """The words shown for one purpose in one language, and their digest."""

    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def terms_language(language: str | None) -> str:
    """The terms language for a request language: Chinese for any ``zh`` variant."""
    return "zh-hans" if (language or "").lower().startswith("zh") else "en"


def preamble(language: str | None) -> str:
    """What the consent form says before the purposes."""
    return _PREAMBLE[terms_language(language)]


def purpose_text(purpose: str, language: str | None) -> str:
    """The words of one purpose, as shown beside its tick box."""
    return _PURPOSES[terms_language(language)][Purpose(purpose)]


def terms_for(purpose: str, language: str | None) -> Terms:
    """The full terms a grant of ``purpose`` stores: the preamble and the purpose's words."""
    lang = terms_language(language)
    text = f"{_PREAMBLE[lang]}\n\n{_PURPOSES[lang][Purpose(purpose)]}"
    return Terms(version=CURRENT_VERSION, language=lang, text=text)


def naming_terms(language: str | None) -> Terms:
    """The terms a third party agrees to when they consent to be named."""
    lang = terms_language(language)
    return Terms(version=NAMING_VERSION, language=lang, text=_NAMING[lang])
