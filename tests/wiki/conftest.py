"""Wiki personas on top of the project's: who holds which role in the test spaces.

- ``manager``: admin of ``space`` (created it);
- ``teammate`` and ``subject``: editors;
- ``successor``: reader;
- ``outsider``: no role (a private space answers 404);
- anonymous: redirected to the login page.
"""

import io

import pytest
from PIL import Image

from wiki import services
from wiki.models import Role


@pytest.fixture
def space(manager, teammate, subject, successor):  # noqa: ANN001, ANN201
    """A private space with one persona per role."""
    space = services.create_space(name="Platform docs", key="platform", by=manager)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=teammate)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=subject)
    services.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    return space


@pytest.fixture
def public_space(manager):  # noqa: ANN001, ANN201
    """A space every signed-in user may read; only its admin may edit."""
    return services.create_space(name="Handbook", key="handbook", by=manager, is_private=False)


@pytest.fixture
def wiki_page(space, teammate):  # noqa: ANN001, ANN201
    """A page in ``space`` with two sections, written by the teammate."""
    return services.create_page(
        space=space,
        author=teammate,
        title="Deploy guide",
        body="Intro line.\n\n## Steps\n\nRun make deploy.\n\n## Rollback\n\nRun make rollback.\n",
    )


def edit(page, author, body, *, base=None, summary=""):  # noqa: ANN001, ANN201
    """Publish ``body`` on top of ``base`` (default: the page's current revision)."""
    page.refresh_from_db()
    return services.publish_revision(
        page=page,
        author=author,
        body=body,
        base_revision=base or page.current_revision,
        summary=summary,
    )


@pytest.fixture
def media_root(settings, tmp_path):  # noqa: ANN001, ANN201
    """Uploads of the test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes(size: tuple[int, int] = (4, 4), colour: str = "red") -> bytes:
    """A small, real PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()
