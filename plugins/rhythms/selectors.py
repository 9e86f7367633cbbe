"""Reads of the rhythms plugin: who may see a team's rhythms, and the aggregation itself.

Consenting people are the subjects of the team's handover cases with a live ``RHYTHMS``
grant; their messages are read only through ``handover.consent.read`` (so a withdrawal,
an expiry or a narrowed scope counts from the next request on). Every figure is a
team-level aggregate: a heatmap cell, a response-time bucket or a cadence is shown only
when at least ``min_group()`` distinct consenting people contributed to it, else it is
suppressed (never shown as zero). Nothing here names a person or keeps a figure per person;
the sets of contributors are counted and dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.models import Team
from handover.consent.read import consented_messages, live_grant_q
from handover.models import ConsentGrant, HandoverCase, Message, Purpose
from plugins.rhythms.models import WorkingAgreement
from wiki.models import Revision

# Below this many distinct people an aggregate can point at one of them. The setting may
# raise it, never lower it (config.env refuses a lower value; checks.py reports one set in
# code).
MIN_GROUP_FLOOR = 5
HOURS = range(24)
DAYS = range(7)  # Monday first, as datetime.weekday()


def min_group() -> int:
    """The fewest distinct consenting people an aggregate is shown for (never below 5)."""
    return max(MIN_GROUP_FLOOR, int(getattr(settings, "RHYTHMS_MIN_GROUP", MIN_GROUP_FLOOR)))


# --- Access ----------------------------------------------------------------------------------


def list_teams_for_member(*, user: AbstractBaseUser) -> QuerySet[Team]:
    """Teams the user is a member of (any role), by name. Staff see only their own teams."""
    if not getattr(user, "is_authenticated", False):
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).distinct().order_by("name", "pk")


def get_team_for_member(*, slug: str, user: AbstractBaseUser) -> Team:
    """The team with ``slug`` if the user is one of its members (any role), else 404.

    Every member, the manager and HR alike, sees the same rhythms; nobody else sees them
    (staff and superusers included: they hold no right over anyone's consent).
    """
    team = list_teams_for_member(user=user).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def get_working_agreement(*, team: Team) -> WorkingAgreement | None:
    """The team's written working agreements, or None before anyone wrote them."""
    return WorkingAgreement.objects.filter(team=team).first()


# --- What the page shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One hour of one weekday: ``value`` is None when suppressed; ``level`` 1-4 shades it."""

    weekday: int
    hour: int
    value: int | None
    level: int

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class HeatmapRow:
    weekday: int
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Heatmap:
    """Activity by weekday (rows, Monday first) and hour of day (columns, 0-23)."""

    key: str
    rows: tuple[HeatmapRow, ...]

    @property
    def shown(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if not cell.suppressed)


@dataclass(frozen=True)
class Bucket:
    """One range of response times: how many responses, None when suppressed."""

    key: str
    label: str
    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Cadence:
    """A recurring event of the team; ``statement`` is None when suppressed."""

    key: str
    label: str
    statement: str | None

    @property
    def suppressed(self) -> bool:
        return self.statement is None


@dataclass(frozen=True)
class TeamRhythms:
    """Everything the rhythms page and API show for one team, the same for every member."""

    min_group: int
    enough_people: bool
    timezone_name: str
    messages: Heatmap
    wiki: Heatmap
    responses: tuple[Bucket, ...]
    cadences: tuple[Cadence, ...]


@dataclass(frozen=True)
class MessageRow:
    """One consented message, reduced to what the aggregation needs.

    ``person`` is the id of the consenting subject whose grant covers it (counted for the
    threshold, never shown); ``own``: they wrote it; ``author`` a label to tell authors
    apart within a case (a pseudonym), never shown; ``group`` the thread or flat channel.
    """

    person: int
    sent_at: datetime
    group: tuple[str, int]
    own: bool
    author: str
    text: str


def consenting_cases(*, team: Team, now: datetime | None = None) -> list[HandoverCase]:
    """The team's cases whose subject has a live ``RHYTHMS`` grant now."""
    live = ConsentGrant.objects.filter(live_grant_q(now=now), purpose=Purpose.RHYTHMS).filter(
        case__team=team
    )
    return list(HandoverCase.objects.filter(pk__in=live.values("case_id")).order_by("pk"))


def _rows(cases: Iterable[HandoverCase], now: datetime) -> list[MessageRow]:
    rows: list[MessageRow] = []
    # A person with two cases in the team (one reopened) shares the same imported messages.
    seen: set[tuple[int, int]] = set()
    for case in cases:
        messages = (
            consented_messages(purpose=Purpose.RHYTHMS, case=case, now=now)
            .filter(message__kind=Message.Kind.MESSAGE)
            .values_list(
                "message_id",
                "message__sent_at",
                "message__conversation_id",
                "message__thread_id",
                "author_is_subject",
                "author_label",
                "text",
                "subject_line",
            )
        )
        found = [row for row in messages if (case.subject_id, row[0]) not in seen]
        seen.update((case.subject_id, row[0]) for row in found)
        per_thread = Counter(row[3] for row in found)
        for _id, sent_at, conversation, thread, own, author, text, subject_line in found:
            # A thread with replies is its own conversation; flat channels answer in line.
            group = ("thread", thread) if per_thread[thread] > 1 else ("conversation", conversation)
            rows.append(
                MessageRow(
                    person=case.subject_id,
                    sent_at=sent_at,
                    group=group,
                    own=own,
                    author=author,
                    text=f"{subject_line}\n{text}",
                )
            )
    return rows


def _heatmap(key: str, events: Iterable[tuple[int, datetime]], threshold: int) -> Heatmap:
    counts: dict[tuple[int, int], int] = Counter()
    people: dict[tuple[int, int], set[int]] = defaultdict(set)
    for person, moment in events:
        local = timezone.localtime(moment)
        slot = (local.weekday(), local.hour)
        counts[slot] += 1
        people[slot].add(person)
    shown = {slot: counts[slot] for slot in counts if len(people[slot]) >= threshold}
    peak = max(shown.values(), default=0)
    rows = []
    for day in DAYS:
        cells = []
        for hour in HOURS:
            value = shown.get((day, hour))
            level = 0 if value is None else max(1, math.ceil(4 * value / peak))
            cells.append(Cell(weekday=day, hour=hour, value=value, level=level))
        rows.append(HeatmapRow(weekday=day, label=str(WEEKDAYS[day]), cells=tuple(cells)))
    return Heatmap(key=key, rows=tuple(rows))


# --- Response times --------------------------------------------------------------------------

# A consenting person's message after someone else's in the same thread (or flat channel) is
# a response; after more than a week it is a new message, not an answer.
RESPONSE_WINDOW = timedelta(days=7)
_BUCKETS: tuple[tuple[str, Promise, timedelta], ...] = (
    ("under_5_minutes", _("Under 5 minutes"), timedelta(minutes=5)),
    ("under_1_hour", _("5 minutes to 1 hour"), timedelta(hours=1)),
    ("under_1_day", _("1 hour to 1 day"), timedelta(days=1)),
    ("longer", _("1 day or longer (up to a week)"), RESPONSE_WINDOW),
)


def response_buckets(rows: list[MessageRow], threshold: int) -> tuple[Bucket, ...]:
    counts: Counter[str] = Counter()
    people: dict[str, set[int]] = defaultdict(set)
    groups: dict[tuple[int, tuple[str, int]], list[MessageRow]] = defaultdict(list)
    for row in rows:
        groups[(row.person, row.group)].append(row)
    for found in groups.values():
        found.sort(key=lambda row: row.sent_at)
        for previous, current in zip(found, found[1:], strict=False):
            if not current.own or previous.own or previous.author == current.author:
                continue
            gap = current.sent_at - previous.sent_at
            if gap > RESPONSE_WINDOW:
                continue
            key = next(key for key, _label, limit in _BUCKETS if gap < limit or key == "longer")
            counts[key] += 1
            people[key].add(current.person)
    return tuple(
        Bucket(
            key=key,
            label=str(label),
            value=counts[key] if len(people[key]) >= threshold else None,
        )
        for key, label, _limit in _BUCKETS
    )


# --- Cadences --------------------------------------------------------------------------------

_CADENCES: tuple[tuple[str, Promise, re.Pattern[str]], ...] = (
    (
        "standup",
        _("Stand-ups"),
        re.compile(r"\bstand[- ]?ups?\b|\bdaily (?:sync|scrum)\b|站会|晨会", re.IGNORECASE),
    ),
    (
        "weekly_report",
        _("Weekly reports"),
        re.compile(
            r"\bweekly (?:report|update|status)s?\b|\bstatus reports?\b|周报", re.IGNORECASE
        ),
    ),
    (
        "release",
        _("Releases"),
        re.compile(
            r"\breleas(?:e|es|ed|ing)\b|\bdeploy(?:s|ed|ing|ment)?\b|发布|上线", re.IGNORECASE
        ),
    ),
    (
        "meetup",
        _("Meetings and meetups"),
        re.compile(r"\bmeet[- ]?ups?\b|\bmeetings?\b|例会|聚会", re.IGNORECASE),
    ),
)
_PARTS = (
    (5, 12, _("morning")),
    (12, 17, _("afternoon")),
    (17, 22, _("evening")),
)


def _part_of_day(hour: int) -> Promise:
    for start, end, label in _PARTS:
        if start <= hour < end:
            return label
    return _("night")


def _timing(matches: list[MessageRow], threshold: int) -> tuple[str, str | None]:
    """The usual weekday and part of day of the mentions, and their regular interval."""
    days: set[date] = set()
    weekday_people: dict[int, set[int]] = defaultdict(set)
    weekday_days: dict[int, set[date]] = defaultdict(set)
    hour_people: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for row in matches:
        local = timezone.localtime(row.sent_at)
        days.add(local.date())
        weekday_people[local.weekday()].add(row.person)
        weekday_days[local.weekday()].add(local.date())
        hour_people[local.weekday()][local.hour].add(row.person)
    if not days:
        return str(_("on no fixed weekday")), None
    usual = max(weekday_days, key=lambda day: (len(weekday_days[day]), -day))
    share = len(weekday_days[usual]) / len(days)
    workdays = {day for day in weekday_days if day < 5}
    # The usual day must be one the group shares, not one person's habit.
    if share >= 0.4 and len(weekday_people[usual]) >= threshold and len(days) >= 3:
        by_hour = hour_people[usual]
        hour = max(by_hour, key=lambda hour: (len(by_hour[hour]), -hour))
        # Translators: "usually on Friday, in the afternoon".
        when = _("usually on %(weekday)s, in the %(part)s") % {
            "weekday": WEEKDAYS[usual],
            "part": _part_of_day(hour),
        }
    elif len(workdays) == 5 and all(len(weekday_people[day]) >= threshold for day in workdays):
        when = _("on every weekday")
    else:
        when = _("on no fixed weekday")
    ordered = sorted(days)
    gaps = [(later - earlier).days for earlier, later in zip(ordered, ordered[1:], strict=False)]
    interval = None
    if len(gaps) >= 3:
        typical = median(gaps)
        spread = median(abs(gap - typical) for gap in gaps)
        if typical >= 2 and spread <= typical / 3:
            count = round(typical)
            interval = ngettext(
                "roughly every %(days)s day", "roughly every %(days)s days", count
            ) % {"days": count}
    return str(when), interval


def _cadence_statement(matches: list[MessageRow], threshold: int) -> str:
    """When the team's mentions fall, saying only what no single person decides.

    Each part (the usual weekday, the interval) is kept only when it stays the same with
    any one person's messages left out, so the statement is never one person's habit.
    """
    when, interval = _timing(matches, threshold)
    for person in {row.person for row in matches}:
        others = [row for row in matches if row.person != person]
        other_when, other_interval = _timing(others, threshold - 1)
        if other_when != when:
            when = str(_("on no fixed weekday"))
        if other_interval != interval:
            interval = None
    return ", ".join(part for part in (when, interval) if part)


def detect_cadences(
    rows: list[MessageRow], threshold: int, heatmap: Heatmap | None = None
) -> tuple[Cadence, ...]:
    found = []
    for key, label, pattern in _CADENCES:
        matches = [row for row in rows if row.own and pattern.search(row.text)]
        people = {row.person for row in matches}
        statement = _cadence_statement(matches, threshold) if len(people) >= threshold else None
        found.append(Cadence(key=key, label=str(label), statement=statement))
    if heatmap is not None:
        found.append(_daily_hour(heatmap))
    return tuple(found)


def _daily_hour(heatmap: Heatmap) -> Cadence:
    """From timestamps alone: an hour of the (already thresholded) heatmap that is busy on
    most weekdays, as a daily stand-up or start of the day would be."""
    weekdays = heatmap.rows[:5]
    shown = [row for row in weekdays if any(not cell.suppressed for cell in row.cells)]
    label = str(_("A busy hour every weekday"))
    if not shown:
        return Cadence(key="daily_hour", label=label, statement=None)
    days_per_hour = Counter(
        cell.hour for row in weekdays for cell in row.cells if not cell.suppressed
    )
    hour, days = max(days_per_hour.items(), key=lambda item: (item[1], -item[0]))
    if days >= 4:
        statement = _("around %(hour)s on most weekdays") % {"hour": f"{hour:02d}:00"}
    else:
        statement = _("no hour stands out on most weekdays")
    return Cadence(key="daily_hour", label=label, statement=str(statement))


# --- The whole page --------------------------------------------------------------------------


def get_team_rhythms(*, team: Team, now: datetime | None = None) -> TeamRhythms:
    """The team's rhythms as of now, computed from the read path (nothing is stored).

    Consenting people's own messages make the message heatmap, cadences and response
    times; their edits of the team's wiki spaces make the wiki heatmap. The wiki edits of
    anyone who did not grant ``RHYTHMS`` are not counted.
    """
    now = now or timezone.now()
    threshold = min_group()
    cases = consenting_cases(team=team, now=now)
    people = {case.subject_id for case in cases}
    rows = _rows(cases, now)
    own = [(row.person, row.sent_at) for row in rows if row.own]
    messages = _heatmap("messages", own, threshold)
    edits = Revision.objects.filter(
        page__space__team=team, author_id__in=people, page__deleted_at__isnull=True
    ).values_list("author_id", "created_at")
    return TeamRhythms(
        min_group=threshold,
        enough_people=len(people) >= threshold,
        timezone_name=timezone.get_current_timezone_name(),
        messages=messages,
        wiki=_heatmap("wiki", edits, threshold),
        responses=response_buckets(rows, threshold),
        cadences=detect_cadences(rows, threshold, messages),
    )
