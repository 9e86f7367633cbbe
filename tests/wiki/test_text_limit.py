"""A page longer than WIKI_PAGE_MAX_CHARS is refused with a clear message; nothing is saved."""

import pytest
from django.urls import reverse

from wiki import services
from wiki.models import Page, Revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(settings):  # noqa: ANN001, ANN201
    settings.WIKI_PAGE_MAX_CHARS = 2000
    return settings.WIKI_PAGE_MAX_CHARS


def _url(name, page):  # noqa: ANN001, ANN202
    return reverse(name, kwargs={"key": page.space.key, "path": page.path})


def test_the_edit_form_refuses_a_too_long_text_and_keeps_it(
    wiki_page, teammate, client_for, small_limit
):  # noqa: ANN001
    too_long = "word " * 500  # 2,500 characters
    revisions = Revision.objects.count()
    response = client_for(teammate).post(
        _url("wiki:page-edit", wiki_page),
        {"body": too_long, "summary": "", "base": wiki_page.current_revision.number},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "2,500 characters long" in html and "2,000" in html
    assert too_long.strip() in html  # the text is kept in the form, not lost
    assert Revision.objects.count() == revisions


def test_creating_a_too_long_page_saves_nothing(space, teammate, small_limit) -> None:  # noqa: ANN001
    with pytest.raises(services.TextTooLongError):
        services.create_page(space=space, author=teammate, title="Huge", body="x" * 2001)
    assert not Page.objects.filter(title="Huge").exists()


def test_the_preview_says_the_text_is_too_long(space, teammate, client_for, small_limit) -> None:  # noqa: ANN001
    response = client_for(teammate).post(
        reverse("wiki:page-preview", kwargs={"key": space.key}),
        {"body": "y" * 2001},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "the most a page may hold is 2,000" in response.content.decode()


def test_the_api_refuses_a_too_long_body(wiki_page, teammate, client_for, small_limit) -> None:  # noqa: ANN001
    client = client_for(teammate)
    url = f"/api/wiki/pages/{wiki_page.pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"body": "z" * 2001}, content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400, response.content
    assert "the most a page may hold" in response.json()["detail"]
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision.body.startswith("Intro line.")
