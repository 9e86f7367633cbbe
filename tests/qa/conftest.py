"""Spaces and pages for the Q&A tests: a private space with a role per persona, a public one."""

import pytest

from wiki import services
from wiki.models import Role


@pytest.fixture
def space(manager, teammate, subject, successor):  # noqa: ANN001, ANN201
    """A private space: the teammate and subject edit, the successor reads, outsiders nothing."""
    space = services.create_space(name="Platform docs", key="platform", by=manager)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=teammate)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=subject)
    services.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    return space


@pytest.fixture
def public_space(manager):  # noqa: ANN001, ANN201
    return services.create_space(name="Handbook", key="handbook", by=manager, is_private=False)
