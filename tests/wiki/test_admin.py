"""The wiki in the admin: operators can look, not rewrite history."""

import pytest
from django.urls import reverse

from wiki import services

pytestmark = pytest.mark.django_db


def test_operators_see_pages_read_only(operator, wiki_page, client_for):
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    client = client_for(operator)
    listing = client.get(reverse("admin:wiki_page_changelist"))
    assert listing.status_code == 200
    assert "Deploy guide" in listing.content.decode()
    detail = client.get(reverse("admin:wiki_page_change", args=[wiki_page.pk]))
    assert detail.status_code == 200
    posted = client.post(
        reverse("admin:wiki_page_change", args=[wiki_page.pk]), {"title": "Hacked"}
    )
    assert posted.status_code == 403
    wiki_page.refresh_from_db()
    assert wiki_page.title == "Deploy guide"
    assert client.get(reverse("admin:wiki_page_add")).status_code == 403


def test_global_templates_are_managed_in_the_admin(operator, space, teammate, client_for):
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    response = client_for(operator).post(
        reverse("admin:wiki_pagetemplate_add"),
        {"space": "", "name": "Meeting notes", "description": "", "body": "# {{title}}"},
    )
    assert response.status_code == 302
    page = services.create_page_from_template(
        space=space,
        author=teammate,
        title="Weekly sync",
        template=space.templates.model.objects.get(name="Meeting notes"),
    )
    assert page.current_revision.body == "# Weekly sync"
