"""The text analysis of a topic: each part of a section, in English and Chinese, and titles."""

import datetime
import itertools
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from core.cjk import has_cjk
from handover.consent.read import ConsentedMessage, iter_consented_messages
from handover.drafting.compose import Line, ThreadMessages, compose_section, topic_title
from handover.models import Purpose
from tests.handover.consent.test_read_path import _share_everything, _third_party_identifiers

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
_ids = itertools.count(1)


def _message(
    text: str,
    *,
    author: str = "Colleague A",
    thread_id: int = 1,
    conversation_id: int = 1,
    at: datetime.datetime | None = None,
    named: bool = False,
    subject: bool = False,
    subject_line: str = "",
    conversation: str = "platform",
) -> ConsentedMessage:
    message_id = next(_ids)
    return ConsentedMessage(
        message_id=message_id,
        case_id=1,
        conversation_id=conversation_id,
        thread_id=thread_id,
        sent_at=at or START + datetime.timedelta(minutes=message_id),
        conversation=conversation,
        author=author,
        author_is_subject=subject,
        author_is_named=named,
        subject_line=subject_line,
        text=text,
        may_quote=False,
    )


def _thread(*messages: ConsentedMessage) -> ThreadMessages:
    first = messages[0]
    return ThreadMessages(
        thread_id=first.thread_id,
        conversation_id=first.conversation_id,
        conversation=first.conversation,
        messages=tuple(sorted(messages, key=lambda m: (m.sent_at, m.message_id))),
    )


def _section(*threads: ThreadMessages, representative=(), language="en") -> list[Line]:  # noqa: ANN001
    lines = compose_section(threads=threads, representative_ids=representative, language=language)
    known = {m.message_id for t in threads for m in t.messages}
    for line in lines:
        assert line.message_ids and set(line.message_ids) <= known, line
    return lines


def _part(lines: list[Line], part: str) -> list[Line]:
    return [line for line in lines if line.part == part]


# --- Summary ---------------------------------------------------------------------------


def test_it_summarises_from_the_representative_messages_best_first() -> None:
    greeting = _message("Hi all!")
    link = _message("https://example.com/one")
    first = _message(
        "The nightly export job copies the billing tables to the warehouse. It runs at two."
    )
    repeat = _message("The nightly export job copies the billing tables into the warehouse.")
    second = _message("Failures page the on-call engineer through the alerting channel.")
    thread = _thread(greeting, link, first, repeat, second)
    order = [greeting.message_id, link.message_id, second.message_id, first.message_id]
    summary = _part(_section(thread, representative=order + [repeat.message_id]), "summary")
    assert [line.text for line in summary] == [
        "Failures page the on-call engineer through the alerting channel.",
        "The nightly export job copies the billing tables to the warehouse.",
    ]
    assert summary[0].message_ids == (second.message_id,)
    assert summary[1].message_ids == (first.message_id,)


def test_it_summarises_chinese_sentences() -> None:
    one = _message("每天晚上的导出任务会把账单表复制到数据仓库。谢谢！")
    two = _message("如果任务失败，值班工程师会在告警群里收到通知。")
    summary = _part(_section(_thread(one, two), representative=[two.message_id]), "summary")
    assert summary[0].text == "如果任务失败，值班工程师会在告警群里收到通知。"
    assert "每天晚上的导出任务会把账单表复制到数据仓库。" in [line.text for line in summary]
    assert all("谢谢" not in line.text for line in summary)


# --- Decisions -------------------------------------------------------------------------


def test_it_finds_a_decision_with_its_reason_and_the_alternative_rejected() -> None:
    at = datetime.datetime(2026, 1, 15, 10, 0, tzinfo=datetime.UTC)
    message = _message(
        "After the benchmark we decided to go with PostgreSQL instead of MySQL because "
        "it handles JSON columns well.",
        thread_id=7,
        at=at,
    )
    [decision] = _part(_section(_thread(message)), "decision")
    assert decision.text.startswith("After the benchmark we decided to go with PostgreSQL")
    assert decision.message_ids == (message.message_id,)
    assert decision.details == {
        "reason": "it handles JSON columns well",
        "alternatives": ["MySQL"],
        "decided_at": "2026-01-15",
        "thread_id": 7,
    }


def test_it_takes_the_reason_from_the_next_message_of_the_thread() -> None:
    decided = _message("Let's go with Celery for the scheduled jobs.", thread_id=3)
    reason = _message(
        "Yes, since cron on the old box kept failing silently.", author="Colleague B", thread_id=3
    )
    [decision] = _part(_section(_thread(decided, reason)), "decision")
    assert decision.details["reason"] == "cron on the old box kept failing silently"
    assert decision.message_ids == (decided.message_id, reason.message_id)


def test_a_question_about_a_decision_is_not_one() -> None:
    message = _message("Should we go with Celery for the scheduled jobs, or keep cron?")
    assert not _part(_section(_thread(message)), "decision")


def test_it_finds_a_chinese_decision() -> None:
    message = _message("我们最后决定采用飞书而不是钉钉，因为大家平时都在用飞书。", thread_id=9)
    [decision] = _part(_section(_thread(message)), "decision")
    assert decision.text == "我们最后决定采用飞书而不是钉钉，因为大家平时都在用飞书。"
    assert decision.details["reason"] == "大家平时都在用飞书"
    assert decision.details["alternatives"] == ["钉钉"]
    assert decision.details["thread_id"] == 9


# --- Open questions and unfinished work --------------------------------------------------


def test_an_unanswered_question_is_open_and_waits_for_its_author() -> None:
    asked = _message("Who owns the renewal of the TLS certificates?", author="Colleague C")
    answered = _message("Where is the staging database hosted?", thread_id=2)
    reply = _message("It lives in the eu-west account.", author="Colleague B", thread_id=2)
    lines = _part(_section(_thread(asked), _thread(answered, reply)), "open_item")
    assert [(line.text, line.details) for line in lines] == [
        ("Who owns the renewal of the TLS certificates?", {"waiting": "Colleague C"})
    ]
    assert lines[0].message_ids == (asked.message_id,)


def test_an_action_item_closed_by_done_is_not_open() -> None:
    asked = _message("Can you rotate the deploy keys before Friday?", author="Colleague D")
    closed = _message("Done, the new keys are in the vault.", author="Colleague B")
    todo = _message("TODO: archive the old build logs from last year.", thread_id=2)
    lines = _part(_section(_thread(asked, closed), _thread(todo)), "open_item")
    assert [line.text for line in lines] == ["TODO: archive the old build logs from last year."]
    assert lines[0].details == {"waiting": "Colleague A"}


def test_the_subjects_own_request_waits_for_them_by_the_name_the_read_path_gives() -> None:
    request = _message(
        "I still need to hand over the vendor contacts.",
        author="the departing colleague",
        subject=True,
    )
    [line] = _part(_section(_thread(request)), "open_item")
    assert line.details == {"waiting": "the departing colleague"}


def test_it_finds_chinese_open_items() -> None:
    pending = _message("合同续签的事情需要跟进一下。", author="同事甲")
    reminder = _message("记得更新一下部署文档。", thread_id=2)
    finished = _message("部署文档已经更新完成了。", author="同事乙", thread_id=2)
    undecided = _message("服务器迁移的时间还没确定。", thread_id=3)
    lines = _part(
        _section(_thread(pending), _thread(reminder, finished), _thread(undecided)), "open_item"
    )
    assert [(line.text, line.details["waiting"]) for line in lines] == [
        ("合同续签的事情需要跟进一下。", "同事甲"),
        ("服务器迁移的时间还没确定。", "Colleague A"),
    ]


# --- Resources -------------------------------------------------------------------------


def test_it_lists_each_resource_once_citing_every_message() -> None:
    one = _message("The runbook is at https://wiki.example.com/ops/runbook.")
    two = _message(
        "See https://wiki.example.com/ops/runbook#restarts?utm_source=slack for restarts"
    )
    three = _message("<https://wiki.example.com/ops/runbook/|the runbook> again")
    repo = _message(
        "Code lives in https://github.com/acme/billing-export, report in report.pdf; the "
        "deploy scripts are in repo `ops-tools`."
    )
    secret = _message(
        "Send it to [e-mail removed] with the token [secret removed], as the Release "
        "Checklist doc says (https://en.wikipedia.org/wiki/Set_(mathematics))."
    )
    lines = _part(_section(_thread(one, two, three, repo, secret)), "resource")
    by_url = {line.details["url"]: line for line in lines if line.details["url"]}
    runbook = by_url["https://wiki.example.com/ops/runbook"]
    assert runbook.message_ids == (one.message_id, two.message_id, three.message_id)
    assert runbook.details["kind"] == "link"
    assert by_url["https://github.com/acme/billing-export"].details["kind"] == "repository"
    [report] = [line for line in lines if line.text == "report.pdf"]
    assert report.details == {"url": "", "kind": "file"} and report.message_ids == (
        repo.message_id,
    )
    [checklist] = [line for line in lines if line.details["kind"] == "document"]
    assert checklist.text == "Release Checklist doc" and checklist.message_ids == (
        secret.message_id,
    )
    [tools] = [line for line in lines if line.text == "ops-tools"]
    assert tools.details == {"url": "", "kind": "repository"}
    assert "https://en.wikipedia.org/wiki/Set_(mathematics)" in by_url
    assert len(lines) == 6
    assert not any("removed" in line.text or "[" in line.text for line in lines)


def test_it_lists_chinese_documents_and_links() -> None:
    one = _message("流程写在《运维手册》里，链接：https://docs.example.cn/ops。")
    two = _message("请先看《运维手册》。")
    lines = _part(_section(_thread(one, two)), "resource")
    texts = {line.text: line for line in lines}
    assert texts["《运维手册》"].message_ids == (one.message_id, two.message_id)
    assert texts["《运维手册》"].details["kind"] == "document"
    assert "https://docs.example.cn/ops" in texts


# --- People to ask ---------------------------------------------------------------------


def _people_threads() -> list[ThreadMessages]:
    messages = [
        _message(
            "The billing export needs the warehouse credentials.", author="Jane Doe", named=True
        ),
        _message("Billing export retries three times.", author="Jane Doe", named=True),
        _message("The billing export owner is on the data team.", author="Colleague B"),
        _message("Billing export runs nightly.", author="the departing colleague", subject=True),
        _message(
            "Billing export failures show up in the warehouse log.", author="Li Wei", named=True
        ),
    ]
    return [_thread(*messages)]


def test_it_names_only_people_who_consent_ranked_by_their_messages() -> None:
    lines = _part(_section(*_people_threads()), "person")
    assert [line.text.split(" about ")[0] for line in lines] == ["Ask Jane Doe", "Ask Li Wei"]
    assert "billing" in lines[0].text.lower()
    assert len(lines[0].message_ids) == 2
    text = " ".join(line.text for line in lines)
    assert "Colleague B" not in text and "departing" not in text
    assert not re.search(r"\d", text)  # no counts


def test_it_words_people_to_ask_in_chinese() -> None:
    lines = _part(_section(*_people_threads(), language="zh-hans"), "person")
    assert lines[0].text.startswith("关于") and lines[0].text.endswith("可以问Jane Doe")


# --- Recurring duties ------------------------------------------------------------------


def test_it_finds_a_weekly_duty_from_a_phrase() -> None:
    message = _message("I send the status report to finance every Friday.")
    chinese = _message("每周五下午要给财务发周报。", thread_id=2)
    lines = _part(_section(_thread(message), _thread(chinese)), "duty")
    assert [(line.text, line.details["cadence"]) for line in lines] == [
        ("I send the status report to finance every Friday.", "weekly"),
        ("每周五下午要给财务发周报。", "weekly"),
    ]


def test_it_finds_a_weekly_duty_from_the_timestamps() -> None:
    monday = datetime.datetime(2026, 2, 2, 9, 0, tzinfo=datetime.UTC)
    posts = [
        _message(
            f"Sales figures for the north region: {n * 3} new accounts.",
            thread_id=10 + n,
            at=monday + datetime.timedelta(days=7 * n, hours=n % 2),
        )
        for n in range(4)
    ]
    other = _message("Sales figures look odd today, checking.", thread_id=20, at=monday)
    threads = [_thread(post) for post in posts] + [_thread(other)]
    [duty] = _part(_section(*threads), "duty")
    assert (
        duty.text
        == "Recurring about every week: Sales figures for the north region: 9 new accounts."
    )
    assert duty.details == {"cadence": "weekly"}
    assert set(duty.message_ids) == {post.message_id for post in posts}
    [chinese] = _part(_section(*threads, language="zh-hans"), "duty")
    assert chinese.text.startswith("大约每周一次：Sales figures")


def test_irregular_repeats_are_no_duty() -> None:
    days = [0, 2, 17, 18]
    posts = [
        _message(
            "Sales figures for the north region look fine.",
            thread_id=30 + d,
            at=START + datetime.timedelta(days=d),
        )
        for d in days
    ]
    assert not _part(_section(*[_thread(p) for p in posts]), "duty")


# --- Titles ----------------------------------------------------------------------------


def test_the_title_is_a_frequent_subject_line_without_prefixes() -> None:
    threads = [
        _thread(_message("Draft attached.", subject_line="[dev-list] Release planning for 2.0")),
        _thread(
            _message(
                "Looks fine.", thread_id=2, subject_line="Re: [dev-list] Release planning for 2.0"
            )
        ),
        _thread(
            _message("Ship it.", thread_id=3, subject_line="Fwd: Re: Release planning for 2.0")
        ),
    ]
    assert topic_title(threads=threads) == "Release planning for 2.0"


def test_the_title_is_never_a_name_a_placeholder_or_a_link() -> None:
    texts = [
        "Jane Doe: the billing export to the warehouse failed again https://ci.example.com/job/42",
        "Colleague A says the billing export needs new warehouse credentials [secret removed]",
        "Thanks Jane Doe, billing export fixed, mail [e-mail removed] https://ci.example.com/job/42",
        "Colleague A: billing export warehouse load is slow https://ci.example.com/job/42",
    ]
    authors = ["Jane Doe", "Colleague A", "Jane Doe", "Colleague A"]
    threads = [
        _thread(_message(t, author=a, named=a == "Jane Doe", thread_id=i))
        for i, (t, a) in enumerate(zip(texts, authors, strict=True))
    ]
    title = topic_title(threads=threads, others=["the website redesign and the new logo colours"])
    assert title and len(title) <= 60 and 2 <= len(title.split()) <= 5
    lowered = title.lower()
    for banned in ("jane", "doe", "colleague", "removed", "secret", "http", "example.com", "["):
        assert banned not in lowered, title
    assert "billing" in lowered or "warehouse" in lowered


def test_a_chinese_title_is_drawn_from_the_chinese_text() -> None:
    texts = ["部署流程需要先跑测试。", "部署流程在周五更新了。", "新的部署流程写进文档了。"]
    threads = [_thread(_message(t, thread_id=i, author="同事甲")) for i, t in enumerate(texts)]
    title = topic_title(threads=threads, others=["报销审批要找财务。"])
    assert "部署" in title and "同事" not in title and len(title) <= 60


def test_the_title_falls_back_to_the_conversation_name() -> None:
    threads = [_thread(_message("https://example.com/a", conversation="release-notes"))]
    assert topic_title(threads=threads) == "release-notes"


# --- The real Slack export through the read path -----------------------------------------


@pytest.mark.django_db
def test_it_composes_sections_from_a_real_export_citing_only_consented_messages(
    case,
    subject,
    slack_import,
    shared_data: Path,  # noqa: ANN001
) -> None:
    _share_everything(case, subject, purposes=(Purpose.PUBLISH,))
    served = list(iter_consented_messages(purpose=Purpose.PUBLISH, case=case))
    assert served
    consented = {message.message_id for message in served}
    by_conversation: dict[int, dict[int, list[ConsentedMessage]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for message in served:
        by_conversation[message.conversation_id][message.thread_id].append(message)
    names, emails = _third_party_identifiers(shared_data)
    name_pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    texts = {
        conversation_id: " ".join(m.text for ms in threads.values() for m in ms)
        for conversation_id, threads in by_conversation.items()
    }
    parts: set[str] = set()
    for conversation_id, grouped in by_conversation.items():
        threads = [
            ThreadMessages(
                thread_id=thread_id,
                conversation_id=conversation_id,
                conversation=messages[0].conversation,
                messages=tuple(messages),
            )
            for thread_id, messages in grouped.items()
        ]
        representative = [m.message_id for t in threads for m in t.messages][::5]
        lines = compose_section(threads=threads, representative_ids=representative, language="en")
        for line in lines:
            assert line.message_ids and set(line.message_ids) <= consented, line
            assert not name_pattern.search(line.text), line.text
            assert not any(email in line.text.lower() for email in emails), line.text
            parts.add(line.part)
        others = [text for other, text in texts.items() if other != conversation_id]
        title = topic_title(threads=threads, others=others)
        assert title and len(title) <= 60, title
        assert not name_pattern.search(title) and "Colleague" not in title, title
        assert "http" not in title and "[" not in title, title
    assert {"summary", "open_item", "resource"} <= parts


# --- Sentences and scale ---------------------------------------------------------------


def test_a_reason_before_the_decision_stops_where_the_decision_starts() -> None:
    message = _message("Because cron kept failing silently, we decided to move the jobs to Celery.")
    [decision] = _part(_section(_thread(message)), "decision")
    assert decision.details["reason"] == "cron kept failing silently"


def test_it_reads_hard_wrapped_e_mail_as_whole_sentences() -> None:
    body = (
        "Hi all,\n\n"
        "I am not handling the packaging of the desktop release myself; it would be\n"
        "worth checking with the distribution team, e.g. the people who maintain\n"
        "the language packs.\n\n"
        "> quoted text from an earlier mail that should not be summarised at all\n"
        "Thanks,\nColleague A"
    )
    message = _message(body, subject_line="Re: Packaging")
    summary = _part(_section(_thread(message), representative=[message.message_id]), "summary")
    assert [line.text for line in summary] == [
        "I am not handling the packaging of the desktop release myself; it would be worth "
        "checking with the distribution team, e.g. the people who maintain the language packs."
    ]


def test_it_stays_quick_on_a_large_topic() -> None:
    import time

    texts = [
        "We decided to use the blue pipeline because the green one is slow.",
        "Can you check the nightly job logs at https://ci.example.com/job/7?",
        "Done, it was a flaky disk.",
        "The weekly report for the sales team goes out every Friday.",
        "I think the dashboard numbers are off by a few percent again today.",
    ]
    threads = [
        _thread(
            *(
                _message(texts[(t + i) % 5] + f" Note {t}.", thread_id=t, author=f"Colleague {a}")
                for i, a in enumerate("ABCDE")
            )
        )
        for t in range(2000)
    ]
    started = time.monotonic()
    lines = _section(*threads, representative=[t.messages[0].message_id for t in threads[:50]])
    topic_title(threads=threads, others=["something else entirely"])
    assert time.monotonic() - started < 30
    assert {line.part for line in lines} >= {"summary", "decision", "resource", "duty"}


def test_a_redacted_link_keeps_no_trace_of_its_secret() -> None:
    message = _message(
        "Reset it at <https://admin.example.com/reset?token=[secret removed]|[secret removed]> "
        "or ask the repo owner."
    )
    lines = _part(_section(_thread(message)), "resource")
    assert [(line.text, line.details) for line in lines] == [
        (
            "https://admin.example.com/reset",
            {"url": "https://admin.example.com/reset", "kind": "link"},
        )
    ]


def _chinese_export(folder: Path) -> Path:
    """A small Slack export in Chinese: a weekly post, a decision, an open question."""
    users = [
        {"id": "U1", "name": "zhangwei", "real_name": "张伟", "profile": {"real_name": "张伟"}},
        {"id": "U2", "name": "lina", "real_name": "李娜", "profile": {"real_name": "李娜"}},
        {"id": "U3", "name": "wangfang", "real_name": "王芳", "profile": {"real_name": "王芳"}},
    ]
    channel = {"id": "C1", "name": "yunwei", "created": "1772409600", "members": ["U1", "U2", "U3"]}
    (folder / "yunwei").mkdir(parents=True)
    (folder / "users.json").write_text(json.dumps(users, ensure_ascii=False))
    (folder / "channels.json").write_text(json.dumps([channel]))
    monday = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    days: dict[str, list[dict]] = defaultdict(list)

    def post(at: datetime.datetime, user: str, text: str, thread: str | None = None) -> str:
        ts = f"{at.timestamp():.6f}"
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread:
            message["thread_ts"] = thread
        days[at.date().isoformat()].append(message)
        return ts

    for week in range(4):
        at = monday + datetime.timedelta(days=7 * week)
        post(at, "U1", f"运维周报：本周部署了{week + 2}次，数据库备份正常。")
    root = post(monday + datetime.timedelta(hours=3), "U2", "张伟，我们决定采用飞书而不是钉钉。")
    post(monday + datetime.timedelta(hours=4), "U1", "好的，因为大家平时都在用飞书。", thread=root)
    post(monday + datetime.timedelta(days=1), "U3", "谁负责续签服务器的证书？《运维手册》里没写。")
    for day, messages in days.items():
        (folder / "yunwei" / f"{day}.json").write_text(json.dumps(messages, ensure_ascii=False))
    return folder


@pytest.mark.django_db
def test_it_composes_a_chinese_section_through_the_read_path(case, subject, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.handover.conftest import import_export

    case.language = "zh-hans"
    case.save(update_fields=["language"])
    import_export(subject, _chinese_export(tmp_path / "export"))
    _share_everything(case, subject, purposes=(Purpose.PUBLISH,))
    served = list(iter_consented_messages(purpose=Purpose.PUBLISH, case=case))
    assert len(served) == 7
    grouped: dict[int, list[ConsentedMessage]] = defaultdict(list)
    for message in served:
        grouped[message.thread_id].append(message)
    threads = [
        ThreadMessages(
            thread_id=thread_id,
            conversation_id=messages[0].conversation_id,
            conversation=messages[0].conversation,
            messages=tuple(messages),
        )
        for thread_id, messages in grouped.items()
    ]
    lines = compose_section(
        threads=threads, representative_ids=[m.message_id for m in served], language="zh-hans"
    )
    consented = {m.message_id for m in served}
    for line in lines:
        assert line.message_ids and set(line.message_ids) <= consented
        for name in ("张伟", "李娜", "王芳", "zhangwei", "lina", "wangfang"):
            assert name not in line.text and name not in json.dumps(line.details), line
    [decision] = _part(lines, "decision")
    assert "飞书" in decision.text and decision.details["reason"] == "大家平时都在用飞书"
    assert decision.details["alternatives"] == ["钉钉"] and len(decision.message_ids) == 2
    [question] = [line for line in _part(lines, "open_item") if "证书" in line.text]
    assert question.details["waiting"].startswith("同事")
    assert any(line.text == "《运维手册》" for line in _part(lines, "resource"))
    [duty] = _part(lines, "duty")
    assert duty.details["cadence"] == "weekly" and duty.text.startswith("大约每周一次：运维周报")
    assert len(duty.message_ids) == 4
    title = topic_title(threads=threads, others=["报销审批要找财务部门。"])
    assert has_cjk(title) and "同事" not in title and len(title) <= 60
    assert not any(name in title for name in ("张伟", "李娜", "王芳"))


def test_the_title_leaves_out_people_the_text_mentions_by_name() -> None:
    texts = [
        "Met Priya Raman at the county health conference, she has a flu dataset.",
        "Still waiting to hear from Priya about the flu dataset.",
        "Priya says the flu dataset covers every county.",
        "The flu dataset needs cleaning before the data jam.",
    ]
    threads = [_thread(_message(t, thread_id=i)) for i, t in enumerate(texts)]
    title = topic_title(threads=threads, others=["the website redesign"])
    assert "priya" not in title.lower() and "raman" not in title.lower(), title
    assert "flu" in title.lower() or "dataset" in title.lower(), title
