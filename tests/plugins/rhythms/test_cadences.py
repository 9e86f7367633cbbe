"""Cadences and response times from timestamps and phrases, thresholded on distinct people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugins.rhythms.selectors import MessageRow, detect_cadences, response_buckets

# A Friday afternoon, and the Fridays after it.
FRIDAY = datetime(2026, 11, 6, 15, 0, tzinfo=UTC)


def _row(person: int, at: datetime, text: str, *, own: bool = True, group: int = 1) -> MessageRow:
    return MessageRow(
        person=person,
        sent_at=at,
        group=("conversation", group),
        own=own,
        author="subject" if own else "Colleague A",
        text=text,
    )


def _weekly_reports(people: int) -> list[MessageRow]:
    return [
        _row(person, FRIDAY + timedelta(weeks=week, minutes=person), "Here is my weekly report")
        for person in range(people)
        for week in range(4)
    ]


def _cadence(rows: list[MessageRow], key: str):  # noqa: ANN202
    return next(c for c in detect_cadences(rows, 5) if c.key == key)


def test_a_weekly_report_of_five_people_is_found_on_its_weekday() -> None:
    cadence = _cadence(_weekly_reports(5), "weekly_report")
    assert cadence.statement == "usually on Friday, in the afternoon, roughly every 7 days"


def test_a_weekly_report_of_four_people_is_suppressed() -> None:
    cadence = _cadence(_weekly_reports(4), "weekly_report")
    assert cadence.suppressed and cadence.statement is None
    assert all(c.suppressed for c in detect_cadences(_weekly_reports(4), 5))


def test_one_persons_habit_does_not_make_the_teams_weekday() -> None:
    # Five people mention releases, but only one of them on Tuesdays, every fortnight.
    rows = [_row(0, FRIDAY + timedelta(days=4 + 14 * n), f"release 1.{n} is out") for n in range(6)]
    rows += [
        _row(person, FRIDAY + timedelta(days=person), "before the release")
        for person in range(1, 5)
    ]
    statement = _cadence(rows, "release").statement
    assert statement is not None and "usually on" not in statement and "every" not in statement


def test_chinese_phrases_are_found_too() -> None:
    rows = [
        _row(person, FRIDAY + timedelta(weeks=week), "本周周报已发")
        for person in range(5)
        for week in range(3)
    ]
    assert not _cadence(rows, "weekly_report").suppressed


def test_response_times_count_only_with_five_people() -> None:
    def answered(people: int, gap: timedelta) -> list[MessageRow]:
        rows = []
        for person in range(people):
            asked = FRIDAY + timedelta(hours=person)
            rows += [
                _row(person, asked, "a question?", own=False),
                _row(person, asked + gap, "yes"),
            ]
        return rows

    buckets = {b.key: b for b in response_buckets(answered(5, timedelta(minutes=3)), 5)}
    assert buckets["under_5_minutes"].value == 5
    assert buckets["under_1_hour"].suppressed and buckets["longer"].suppressed
    four = {b.key: b for b in response_buckets(answered(4, timedelta(minutes=3)), 5)}
    assert four["under_5_minutes"].suppressed
    # More than a week later is a new message, not an answer.
    late = {b.key: b for b in response_buckets(answered(5, timedelta(days=9)), 5)}
    assert all(bucket.suppressed for bucket in late.values())
