"""Fixtures of the relationships tests: a note about the subject, topics on the map."""

import pytest

from plugins.relationships import services
from plugins.relationships.models import PersonNote


@pytest.fixture
def note(team, subject, teammate) -> PersonNote:  # noqa: ANN001
    """A note the teammate wrote about the subject."""
    return services.write_person_note(
        about=subject, author=teammate, text="Ask her about the billing migration."
    )


@pytest.fixture
def htmx() -> dict:
    """The header htmx sends, for the partial variant of a view."""
    return {"HTTP_HX_REQUEST": "true"}
