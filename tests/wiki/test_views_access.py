"""Each persona's access to every wiki view: status codes, 404-not-403, wrong methods."""

import pytest
from django.urls import reverse

from wiki import services

pytestmark = pytest.mark.django_db

# role needed -> persona -> expected GET status in the private space
RANK = {"outsider": 0, "successor": 1, "teammate": 2, "subject": 2, "manager": 3}
NEED = {"reader": 1, "editor": 2, "admin": 3}


def _views(space, page):  # noqa: ANN001, ANN202
    key, path = space.key, page.path
    return [
        ("wiki:space-detail", {"key": key}, "reader"),
        ("wiki:page-view", {"key": key, "path": path}, "reader"),
        ("wiki:page-history", {"key": key, "path": path}, "reader"),
        ("wiki:page-children", {"key": key, "path": path}, "reader"),
        ("wiki:page-diff", {"key": key, "path": path}, "reader"),
        ("wiki:revision-view", {"key": key, "path": path, "number": 1}, "reader"),
        ("wiki:space-stale", {"key": key}, "reader"),
        ("wiki:template-list", {"key": key}, "reader"),
        ("wiki:page-edit", {"key": key, "path": path}, "editor"),
        ("wiki:section-edit", {"key": key, "path": path, "index": 1}, "editor"),
        ("wiki:page-create", {"key": key}, "editor"),
        ("wiki:page-move", {"key": key, "path": path}, "editor"),
        ("wiki:page-delete", {"key": key, "path": path}, "editor"),
        ("wiki:page-settings", {"key": key, "path": path}, "editor"),
        ("wiki:space-trash", {"key": key}, "editor"),
        ("wiki:space-audit", {"key": key}, "admin"),
        ("wiki:space-settings", {"key": key}, "admin"),
    ]


@pytest.mark.parametrize("persona", list(RANK))
def test_each_persona_gets_the_right_status_on_every_view(
    request, persona, space, wiki_page, client_for
):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for name, kwargs, need in _views(space, wiki_page):
        response = client.get(reverse(name, kwargs=kwargs))
        if RANK[persona] == 0:
            expected = 404  # a private space does not reveal that it exists
        elif RANK[persona] >= NEED[need]:
            expected = 200
        else:
            expected = 403
        assert response.status_code == expected, (name, persona, response.status_code)


def test_anonymous_is_sent_to_log_in(space, wiki_page, client_for):
    client = client_for(None)
    for name, kwargs, _need in _views(space, wiki_page):
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login"))
    for name in ("wiki:space-list", "wiki:search", "wiki:notification-list", "wiki:stale-mine"):
        assert client.get(reverse(name)).status_code == 302


def test_outsider_gets_404_for_posts_too(space, wiki_page, outsider, client_for):
    client = client_for(outsider)
    key, path = space.key, wiki_page.path
    posts = [
        reverse("wiki:page-edit", kwargs={"key": key, "path": path}),
        reverse("wiki:revision-restore", kwargs={"key": key, "path": path, "number": 1}),
        reverse("wiki:comment-create", kwargs={"key": key, "path": path}),
        reverse("wiki:page-watch", kwargs={"key": key, "path": path}),
        reverse("wiki:page-verify", kwargs={"key": key, "path": path}),
        reverse("wiki:page-preview", kwargs={"key": key}),
        reverse("wiki:space-watch", kwargs={"key": key}),
    ]
    for url in posts:
        assert client.post(url, {"body": "x", "base": 1}).status_code == 404, url
    assert client.get(reverse("wiki:search"), {"q": "deploy"}).context["hits"] == []


def test_public_space_is_readable_by_outsiders_but_not_editable(
    public_space, manager, outsider, client_for
):
    page = services.create_page(space=public_space, author=manager, title="Welcome", body="Hi")
    client = client_for(outsider)
    url = reverse("wiki:page-view", kwargs={"key": "handbook", "path": page.path})
    assert client.get(url).status_code == 200
    edit = reverse("wiki:page-edit", kwargs={"key": "handbook", "path": page.path})
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"body": "mine", "base": 1}).status_code == 403
    page.refresh_from_db()
    assert page.current_revision.body == "Hi"


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("wiki:revision-restore", "get"),
        ("wiki:page-verify", "get"),
        ("wiki:page-watch", "get"),
        ("wiki:comment-create", "get"),
        ("wiki:attachment-upload", "get"),
        ("wiki:page-view", "post"),
        ("wiki:page-history", "post"),
        ("wiki:page-diff", "post"),
        ("wiki:page-edit", "put"),
        ("wiki:page-delete", "delete"),
    ],
)
def test_wrong_methods_answer_405(name, method, space, wiki_page, teammate, client_for):
    kwargs = {"key": space.key, "path": wiki_page.path}
    if name == "wiki:revision-restore":
        kwargs["number"] = 1
    response = getattr(client_for(teammate), method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("wiki:space-list", "post"),
        ("wiki:search", "post"),
        ("wiki:page-preview", "get"),
        ("wiki:space-watch", "get"),
    ],
)
def test_wrong_methods_on_space_level_views_answer_405(name, method, space, teammate, client_for):
    kwargs = {} if name in ("wiki:space-list", "wiki:search") else {"key": space.key}
    response = getattr(client_for(teammate), method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 405


def test_htmx_requests_get_partials_and_others_full_pages(space, wiki_page, teammate, client_for):
    client = client_for(teammate)
    urls = [
        reverse("wiki:page-view", kwargs={"key": space.key, "path": wiki_page.path}),
        reverse("wiki:page-history", kwargs={"key": space.key, "path": wiki_page.path}),
        reverse("wiki:page-diff", kwargs={"key": space.key, "path": wiki_page.path})
        + "?from=1&to=1",
        reverse("wiki:space-detail", kwargs={"key": space.key}),
        reverse("wiki:search") + "?q=deploy",
        reverse("wiki:notification-list"),
        reverse("wiki:space-stale", kwargs={"key": space.key}),
        reverse("wiki:page-children", kwargs={"key": space.key, "path": wiki_page.path}),
    ]
    for url in urls:
        full = client.get(url)
        partial = client.get(url, headers={"HX-Request": "true"})
        assert full.status_code == partial.status_code == 200, url
        assert b"<html" in full.content, url
        assert b"<html" not in partial.content, url
        assert len(partial.content) < len(full.content), url


def test_page_list_views_use_a_bounded_number_of_queries(
    space, teammate, client_for, django_assert_max_num_queries
):
    import datetime

    for number in range(12):
        page = services.create_page(
            space=space, author=teammate, title=f"Page {number}", body=f"[[Page {number + 1}]]"
        )
        services.set_review_by(page=page, by=teammate, review_by=datetime.date(2020, 1, 1))
    client = client_for(teammate)
    urls = [
        reverse("wiki:space-detail", kwargs={"key": space.key}),
        reverse("wiki:space-stale", kwargs={"key": space.key}),
        reverse("wiki:stale-mine"),
        reverse("wiki:space-list"),
        reverse("wiki:search") + "?q=page",
        reverse("wiki:page-history", kwargs={"key": space.key, "path": "page-3"}),
        reverse("wiki:page-view", kwargs={"key": space.key, "path": "page-3"}),
        reverse("wiki:notification-list"),
        reverse("wiki:space-trash", kwargs={"key": space.key}),
    ]
    for url in urls:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200, url


def _posts(space, page):  # noqa: ANN001, ANN202
    """(url name, kwargs, data maker, role needed, success status), in a safe order."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    key, path = space.key, page.path

    def base() -> dict:
        page.refresh_from_db()
        return {"base": page.current_revision.number}

    return [
        ("wiki:page-preview", {"key": key}, lambda: {"body": "*x*"}, "reader", 200),
        ("wiki:comment-create", {"key": key, "path": path}, lambda: {"body": "hi"}, "reader", 302),
        ("wiki:page-watch", {"key": key, "path": path}, dict, "reader", 302),
        ("wiki:space-watch", {"key": key}, dict, "reader", 302),
        ("wiki:page-presence", {"key": key, "path": path}, dict, "editor", 200),
        (
            "wiki:page-edit",
            {"key": key, "path": path},
            lambda: {"body": "Edited.\n\n## Part\n\ntext\n", **base()},
            "editor",
            302,
        ),
        (
            "wiki:section-edit",
            {"key": key, "path": path, "index": 1},
            lambda: {"body": "## Part\n\nnew text\n", **base()},
            "editor",
            302,
        ),
        ("wiki:revision-restore", {"key": key, "path": path, "number": 1}, dict, "editor", 302),
        (
            "wiki:attachment-upload",
            {"key": key, "path": path},
            lambda: {"file": SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")},
            "editor",
            302,
        ),
        (
            "wiki:page-settings",
            {"key": key, "path": path},
            lambda: {"owners": "teammate", "review_by": "", "tags": "x"},
            "editor",
            302,
        ),
        (
            "wiki:template-list",
            {"key": key},
            lambda: {"name": "Runbook", "body": "# {{title}}"},
            "editor",
            302,
        ),
        (
            "wiki:space-settings",
            {"key": key},
            lambda: {"form": "space", "name": "Renamed space", "description": ""},
            "admin",
            302,
        ),
        ("wiki:page-delete", {"key": key, "path": path}, dict, "editor", 302),
    ]


@pytest.mark.parametrize("persona", list(RANK))
def test_each_persona_gets_the_right_status_on_every_post(
    request, persona, space, wiki_page, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(request.getfixturevalue(persona))
    for name, kwargs, data, need, success in _posts(space, wiki_page):
        response = client.post(reverse(name, kwargs=kwargs), data())
        if RANK[persona] == 0:
            expected = 404
        elif RANK[persona] >= NEED[need]:
            expected = success
        else:
            expected = 403
        assert response.status_code == expected, (name, persona, response.status_code)


def test_anonymous_posts_are_sent_to_log_in_and_change_nothing(space, wiki_page, client_for):
    client = client_for(None)
    for name, kwargs, data, _need, _success in _posts(space, wiki_page):
        response = client.post(reverse(name, kwargs=kwargs), data())
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login"))
    wiki_page.refresh_from_db()
    assert wiki_page.current_revision.number == 1
    assert not wiki_page.is_deleted
