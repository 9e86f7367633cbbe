"""Topics left out by default, in English and Chinese, without the engineering false positives."""

from pathlib import Path

import pytest

from handover.importers.archive import ExportSource
from handover.importers.base import MessageRecord
from handover.importers.slack import importer as slack_importer
from handover.privacy.out_of_scope import (
    LEXICON,
    TOPIC_LABELS,
    Topic,
    TopicMatch,
    detect_out_of_scope,
    out_of_scope_topics,
)


def topics(text: str) -> list[str]:
    return [str(topic) for topic in out_of_scope_topics(text)]


@pytest.mark.parametrize(
    "text, topic, phrase",
    [
        ("I'm on sick leave until Monday", "health", "sick leave"),
        ("Off sick today, back tomorrow", "health", "Off sick"),
        ("She was diagnosed last week", "health", "diagnosed"),
        ("Doctor's appointment at 3, I'll be offline", "health", "Doctor's"),
        ("she is pregnant, so she'll be out in spring", "health", "pregnant"),
        ("I have therapy on Thursdays", "health", "therapy"),
        ("he was hospitalized on Friday", "health", "hospitalized"),
        ("going through a divorce, sorry for the delay", "family", "divorce"),
        ("my kids' school called, I need to leave", "family", "my kids"),
        ("the funeral is on Saturday", "family", "funeral"),
        ("Can anyone vouch for a babysitter?", "family", "babysitter"),
        ("what is your salary band?", "compensation", "salary"),
        ("I asked for a raise", "compensation", "a raise"),
        ("my bonus was cut", "compensation", "my bonus"),
        ("his pay is lower than mine", "compensation", "his pay"),
        ("our annual bonus came in", "compensation", "annual bonus"),
        ("my performance review is next week", "performance_review", "performance review"),
        ("they put him on a PIP", "performance_review", "PIP"),
        ("the appraisal forms are due", "performance_review", "appraisal"),
        ("a disciplinary hearing", "discipline", "disciplinary"),
        ("she got a written warning", "discipline", "written warning"),
        ("I filed an HR complaint", "discipline", "HR complaint"),
    ],
)
def test_it_finds_english_topics_and_says_which_words(text: str, topic: str, phrase: str) -> None:
    matches = detect_out_of_scope(text)
    assert [(m.topic, m.phrase) for m in matches] == [(topic, phrase)]
    assert text[matches[0].start : matches[0].end] == phrase


@pytest.mark.parametrize(
    "text, topic, phrase",
    [
        ("明天请病假", "health", "病假"),
        ("我去医院复查", "health", "医院"),
        ("家里有点事，先走了", "family", "家里"),
        ("今天要去接孩子", "family", "孩子"),
        ("他们在办离婚", "family", "离婚"),
        ("这个月工资还没发", "compensation", "工资"),
        ("薪资调整方案", "compensation", "薪资"),
        ("年底奖金多少", "compensation", "奖金"),
        ("听说今年涨薪", "compensation", "涨薪"),
        ("下周绩效面谈", "performance_review", "绩效"),
        ("季度考核结果", "performance_review", "考核"),
        ("他受了处分", "discipline", "处分"),
        ("收到一封警告信", "discipline", "警告信"),
        ("被给了书面警告", "discipline", "书面警告"),
    ],
)
def test_it_finds_chinese_topics_and_says_which_words(text: str, topic: str, phrase: str) -> None:
    assert [(m.topic, m.phrase) for m in detect_out_of_scope(text)] == [(topic, phrase)]


@pytest.mark.parametrize(
    "text",
    [
        "the health check on node 3 failed",
        "GET /healthz returns 503",
        "cluster health issues after the upgrade",
        "performance regression in the query planner",
        "run the performance tests before merging",
        "the payload is too big",
        "the payment API is down, pay attention to retries",
        "bonus points if it works on Safari",
        "warning: deprecated call to foo()",
        "kill the child process when the parent exits",
        "my child process died with SIGKILL",
        "walk up to the parent node",
        "the database is sick again",
        "run brew doctor first",
        "pip install -r requirements.txt",
        "raise an exception if the token expired",
        "see https://example.com/hospital-payments-explorer",
        "the font family is wrong",
    ],
)
def test_it_leaves_engineering_chat_in_scope(text: str) -> None:
    assert detect_out_of_scope(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "这个警告：已弃用的接口",
        "编译警告太多了",
        "父节点和子节点",
        "杀掉子进程",
        "健康检查失败",
        "性能回归了",
        "我对这个方案不感冒",
        "他是个音响发烧友",
        "支付接口超时",
    ],
)
def test_it_leaves_chinese_engineering_chat_in_scope(text: str) -> None:
    assert detect_out_of_scope(text) == []


def test_it_finds_english_phrases_inside_chinese_text() -> None:
    assert topics("我明天sick leave") == ["health"]


def test_it_lists_each_match_in_order_and_each_topic_once() -> None:
    text = "孩子发烧了, so sick leave today; 孩子 is fine by Friday"
    assert [m.phrase for m in detect_out_of_scope(text)] == ["孩子", "发烧", "sick leave", "孩子"]
    assert topics(text) == ["family", "health"]


def test_it_matches_simple_inflections_and_hyphens() -> None:
    assert topics("two sick days") == ["health"]
    assert topics("Sick-leave form") == ["health"]
    assert topics("the divorced parents") == ["family"]


def test_a_match_is_a_frozen_record_of_where_it_was() -> None:
    assert detect_out_of_scope("on sick leave") == [
        TopicMatch(topic="health", phrase="sick leave", start=3, end=13)
    ]


def test_the_lexicon_covers_every_topic_in_both_languages() -> None:
    for topic in Topic:
        assert LEXICON[topic].english and LEXICON[topic].chinese
        assert str(TOPIC_LABELS[topic])


def test_it_finds_few_topics_in_the_real_slack_export(shared_data: Path) -> None:
    with ExportSource(shared_data / "slack/houstondatavis") as source:
        texts = [
            record.text
            for record in slack_importer.iter_records(source)
            if isinstance(record, MessageRecord)
        ]
    flagged = [text for text in texts if detect_out_of_scope(text)]
    # A public meetup community: a babysitter, a parent's kids, a joke about a doctor,
    # a hospital data set. Nothing about pay, reviews or discipline.
    assert 0 < len(flagged) <= 6
    assert {m.topic for text in flagged for m in detect_out_of_scope(text)} <= {"health", "family"}
