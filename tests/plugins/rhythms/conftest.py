"""Five departing colleagues of one team, each with the real Slack export imported, a case,
and a live RHYTHMS grant over every conversation: built once per module.

Each of them is, in the export, one of its five most active Slack users (their own messages
are that user's), so the heatmap runs on the export's real timestamps.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.models import Membership, Team
from handover.cases import services as case_services
from handover.consent import services as consent
from handover.models import Conversation, HandoverCase, PersonIdentity, Purpose
from handover.privacy import services as privacy_services
from tests.conftest import PASSWORD
from tests.handover.conftest import import_export

SLACK = Path("slack") / "houstondatavis"
# Monday 23:00 UTC: a slot in which each of the export's five most active users wrote.
SHARED_SLOT = (0, 23)


@dataclass
class RhythmTeam:
    team: Team
    people: list  # the five consenting colleagues (users)
    cases: list[HandoverCase]
    slack_ids: list[str]
    # Every name the export or the accounts give the five: none may appear on a page.
    names: set[str]


def top_slack_users(shared_data: Path, count: int = 5) -> list[str]:
    """The export's most active human authors, most active first."""
    authors: Counter[str] = Counter()
    for day in (shared_data / SLACK).glob("*/*.json"):
        for message in json.loads(day.read_text()):
            if message.get("subtype") is None and message.get("user"):
                authors[message["user"]] += 1
    return [user for user, _n in authors.most_common(count)]


def slot_count(shared_data: Path, slack_ids: list[str], slot: tuple[int, int]) -> int:
    """How many messages of these users the export has in one weekday-hour (UTC)."""
    total = 0
    for day in (shared_data / SLACK).glob("*/*.json"):
        for message in json.loads(day.read_text()):
            if message.get("user") in slack_ids:
                moment = datetime.datetime.fromtimestamp(float(message["ts"]), datetime.UTC)
                total += (moment.weekday(), moment.hour) == slot
    return total


def _names(shared_data: Path, slack_ids: list[str], users: list) -> set[str]:
    found: set[str] = set()
    for user in json.loads((shared_data / SLACK / "users.json").read_text()):
        if user["id"] in slack_ids:
            profile = user.get("profile", {})
            for value in (
                user.get("name"),
                user.get("real_name"),
                profile.get("real_name"),
                profile.get("display_name"),
            ):
                if value and len(value.strip()) >= 3:
                    found.add(value.strip())
    for user in users:
        found |= {user.username, user.first_name, user.get_full_name()}
    return {name for name in found if name}


def share_for_rhythms(case: HandoverCase, user) -> None:  # noqa: ANN001
    ids = list(Conversation.objects.filter(owner=user).values_list("pk", flat=True))
    consent.record_consent(case=case, by=user, purposes=[Purpose.RHYTHMS], conversation_ids=ids)
    privacy_services.prepare_case_messages(case_id=case.pk)


@pytest.fixture(scope="module")
def rhythm_team(django_db_setup, django_db_blocker, shared_data: Path) -> Iterator[RhythmTeam]:  # noqa: ANN001
    """Built in one transaction that is rolled back after the module; each test runs in a
    savepoint inside it, so what a test changes (a withdrawal) is undone after it."""
    slack_ids = top_slack_users(shared_data)
    first_names = ["Avery", "Blake", "Casey", "Devon", "Emery"]
    with django_db_blocker.unblock(), transaction.atomic():
        team = Team.objects.create(name="Delivery", slug="delivery")
        people, cases = [], []
        for index, (first, slack_id) in enumerate(zip(first_names, slack_ids, strict=True)):
            user = get_user_model().objects.create_user(
                username=f"leaver{index}",
                password=PASSWORD,
                email=f"leaver{index}@example.com",
                first_name=first,
                last_name="Quillfeather",
            )
            Membership.objects.create(team=team, user=user, role=Membership.Role.MEMBER)
            import_export(user, shared_data / SLACK)
            case = case_services.open_case(
                subject=user,
                team=team,
                by=user,
                last_day=timezone.localdate() + datetime.timedelta(days=14),
            )
            own = PersonIdentity.objects.get(owner=user, platform="slack", external_key=slack_id)
            case_services.set_subject_people(case=case, by=user, person_ids=[own.person_id])
            share_for_rhythms(case, user)
            case.refresh_from_db()
            people.append(user)
            cases.append(case)
        yield RhythmTeam(
            team=team,
            people=people,
            cases=cases,
            slack_ids=slack_ids,
            names=_names(shared_data, slack_ids, people),
        )
        transaction.set_rollback(True)


@pytest.fixture
def personas_in(rhythm_team, subject, manager, successor, teammate, hr) -> RhythmTeam:  # noqa: ANN001
    """The project's personas in the rhythm team too (HR and the manager with their roles)."""
    Membership.objects.create(team=rhythm_team.team, user=manager, role=Membership.Role.MANAGER)
    Membership.objects.create(team=rhythm_team.team, user=hr, role=Membership.Role.HR)
    for member in (subject, successor, teammate):
        Membership.objects.create(team=rhythm_team.team, user=member, role=Membership.Role.MEMBER)
    return rhythm_team


def main_of(html: str) -> str:
    """The page's <main> (the header names the viewer), with per-session tokens blanked."""
    match = re.search(r"<main\b.*?</main>", html, re.DOTALL)
    assert match, "no <main> in the page"
    token = r'name="csrfmiddlewaretoken" value="[^"]*"'
    return re.sub(token, 'name="csrfmiddlewaretoken"', match[0])
