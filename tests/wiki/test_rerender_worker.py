"""Pages that link to a renamed, moved or trashed page are re-rendered on a real worker."""

import pytest

from tests.conftest import wait_for
from wiki import services
from wiki.models import Page

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _html(page: Page) -> str:
    return (
        Page.objects.select_related("current_revision")
        .get(pk=page.pk)
        .current_revision.rendered_html
    )


def test_a_worker_turns_links_red_and_points_them_at_moved_pages(celery_worker, space, teammate):  # noqa: ANN001
    target = services.create_page(space=space, author=teammate, title="Target", body="t")
    folder = services.create_page(space=space, author=teammate, title="Folder", body="f")
    source = services.create_page(space=space, author=teammate, title="Index", body="[[Target]]")
    assert 'href="/wiki/platform/target/"' in _html(source)

    services.move_page(page=target, by=teammate, new_parent=folder)
    wait_for(lambda: 'href="/wiki/platform/folder/target/"' in _html(source), timeout=60)

    services.delete_page(page=Page.objects.get(pk=target.pk), by=teammate)
    wait_for(lambda: "wikilink-missing" in _html(source), timeout=60)

    services.undelete_page(page=Page.objects.get(pk=target.pk), by=teammate)
    wait_for(lambda: "wikilink-missing" not in _html(source), timeout=60)
    # Only the cached HTML changed: the source's text and revision number did not.
    assert Page.objects.get(pk=source.pk).current_revision.number == 1
