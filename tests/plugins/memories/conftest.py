"""Fixtures of the memories tests, with the personas of ``tests/conftest.py`` in these parts:

- a note: the teammate (its author) thanks the successor (its recipient);
- a story: the teammate (its author) names the successor and the subject;
- the farewell board of the subject's handover case (the ``case`` fixture);
- a ritual of the platform team.

The manager is "a team member" who is none of these; the outsider is in no team; the
operator and the superuser are staff in no team.
"""

import pytest

from plugins.memories import services
from plugins.memories.models import AppreciationNote, FarewellBoard, Story, TeamRitual

NOTE = "Thank you for pairing on the billing migration."
STORY = "The night we moved the billing database and nobody noticed."


@pytest.fixture
def note(team, teammate, successor) -> AppreciationNote:  # noqa: ANN001
    return services.write_appreciation_note(author=teammate, recipient=successor, text=NOTE)


@pytest.fixture
def story(team, teammate, successor, subject) -> Story:  # noqa: ANN001
    return services.write_story(
        team=team,
        author=teammate,
        title="The quiet migration",
        text=STORY,
        named=[successor, subject],
    )


@pytest.fixture
def board(case) -> FarewellBoard:  # noqa: ANN001
    return services.open_farewell_board(
        case_id=case.pk, subject_id=case.subject_id, team_id=case.team_id, last_day=case.last_day
    )


@pytest.fixture
def ritual(team, teammate, subject) -> TeamRitual:  # noqa: ANN001
    return services.save_team_ritual(
        team=team,
        by=teammate,
        kind=TeamRitual.Kind.RITUAL,
        what="Friday demo",
        when="Every Friday at 16:00",
        why="So everyone sees what shipped.",
        keepers=[subject],
    )


@pytest.fixture
def htmx() -> dict:
    """The header htmx sends, for the partial variant of a view."""
    return {"HTTP_HX_REQUEST": "true"}
