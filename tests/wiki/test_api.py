"""The wiki's REST API: each persona on each endpoint, ETag/If-Match, bad inputs, schema."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from tests.conftest import PASSWORD
from tests.wiki.conftest import png_bytes
from wiki import services
from wiki.models import Attachment, Comment, Page, Revision
from wiki.selectors.rendering import page_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

# How far each persona reaches in the private ``space`` fixture.
RANK = {"outsider": 0, "successor": 1, "teammate": 2, "manager": 3}
NEED = {"reader": 1, "editor": 2, "admin": 3}


def _png() -> bytes:
    return png_bytes((4, 4), "blue")


def url(name: str, **kwargs) -> str:  # noqa: ANN003
    return reverse(f"api:wiki:{name}", kwargs=kwargs)


def send(client, method: str, path: str, data=None, **headers):  # noqa: ANN001, ANN003, ANN201
    """A JSON request (``data`` None sends no body)."""
    call = getattr(client, method.lower())
    if data is None:
        return call(path, headers=headers)
    return call(path, json.dumps(data), content_type="application/json", headers=headers)


def _expected(persona: str, need: str, allowed: int = 200) -> int:
    if RANK[persona] == 0:
        return 404  # a private space does not reveal that it exists
    return allowed if RANK[persona] >= NEED[need] else 403


def _reads(space, page):  # noqa: ANN001, ANN202
    number = page.current_revision.number
    return [
        (url("space-detail", key=space.key), "reader"),
        (url("page-list", key=space.key), "reader"),
        (url("page-by-path", key=space.key, path=page.path), "reader"),
        (url("page-detail", page_id=page.pk), "reader"),
        (url("revision-list", page_id=page.pk), "reader"),
        (url("revision-detail", page_id=page.pk, number=number), "reader"),
        (url("page-diff", page_id=page.pk) + "?from=1&to=1", "reader"),
        (url("comment-list", page_id=page.pk), "reader"),
        (url("attachment-list", page_id=page.pk), "reader"),
        (url("space-stale", key=space.key), "reader"),
        (url("space-trash", key=space.key), "editor"),
        (url("space-roles", key=space.key), "admin"),
        (url("space-audit", key=space.key), "admin"),
        (url("space-export", key=space.key), "admin"),
    ]


@pytest.mark.parametrize("persona", list(RANK))
def test_each_persona_gets_the_right_status_on_every_read(
    request, persona, space, wiki_page, client_for
):
    client = client_for(request.getfixturevalue(persona))
    for path, need in _reads(space, wiki_page):
        response = client.get(path)
        assert response.status_code == _expected(persona, need), (path, persona)


def test_anonymous_gets_401_with_a_token_challenge_everywhere(space, wiki_page, client_for):
    client = client_for(None)
    paths = [path for path, _need in _reads(space, wiki_page)]
    paths += [url("space-list"), url("search") + "?q=deploy", url("stale-mine")]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == "Token"
    response = send(client, "post", url("page-list", key=space.key), {"title": "x"})
    assert response.status_code == 401
    assert not Page.objects.filter(title="x").exists()


def _writes(space, page, successor):  # noqa: ANN001, ANN202
    """(method, path, body, role needed, success status) for every write endpoint."""
    pid = page.pk
    return [
        ("post", url("page-list", key=space.key), {"title": "New one", "body": "x"}, "editor", 201),
        ("put", url("page-tags", page_id=pid), {"tags": ["ops"]}, "editor", 200),
        ("put", url("page-owners", page_id=pid), {"owners": ["teammate"]}, "editor", 200),
        ("put", url("page-review", page_id=pid), {"review_by": "2030-01-01"}, "editor", 200),
        ("post", url("comment-list", page_id=pid), {"body": "Looks right."}, "reader", 201),
        ("post", url("revision-restore", page_id=pid, number=1), None, "editor", 201),
        ("post", url("page-move", page_id=pid), {"title": "Deploy handbook"}, "editor", 200),
        (
            "post",
            url("space-roles", key=space.key),
            {"username": successor.username, "role": "reader"},
            "admin",
            200,
        ),
        ("delete", url("page-detail", page_id=pid), None, "editor", 204),
    ]


@pytest.mark.parametrize("persona", list(RANK))
def test_each_persona_gets_the_right_status_on_every_write(
    request, persona, space, wiki_page, successor, client_for
):
    client = client_for(request.getfixturevalue(persona))
    for method, path, body, need, ok in _writes(space, wiki_page, successor):
        response = send(client, method, path, body)
        assert response.status_code == _expected(persona, need, ok), (method, path, persona)
        assert "detail" in response.json() if response.status_code >= 400 else True


def test_a_reader_cannot_save_upload_verify_or_undelete(wiki_page, successor, teammate, client_for):
    reader = client_for(successor)
    etag = reader.get(url("page-detail", page_id=wiki_page.pk))["ETag"]
    response = send(
        reader, "put", url("page-detail", page_id=wiki_page.pk), {"body": "x"}, If_Match=etag
    )
    assert response.status_code == 403
    upload = SimpleUploadedFile("a.png", _png(), content_type="image/png")
    response = reader.post(url("attachment-list", page_id=wiki_page.pk), {"file": upload})
    assert response.status_code == 403
    assert send(reader, "post", url("page-verify", page_id=wiki_page.pk)).status_code == 403
    services.delete_page(page=wiki_page, by=teammate)
    assert send(reader, "post", url("page-undelete", page_id=wiki_page.pk)).status_code == 403
    assert Page.objects.get(pk=wiki_page.pk).is_deleted
    assert Revision.objects.filter(page=wiki_page).count() == 1
    assert not Attachment.objects.exists()


def test_outsider_gets_404_for_writes_to_a_private_page(wiki_page, outsider, client_for):
    client = client_for(outsider)
    response = send(
        client,
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": "x"},
        If_Match=f'"{wiki_page.pk}-1"',
    )
    assert response.status_code == 404
    response = send(client, "post", url("comment-list", page_id=wiki_page.pk), {"body": "hi"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_public_space_is_readable_by_outsiders_but_not_writable(
    public_space, manager, outsider, client_for
):
    page = services.create_page(space=public_space, author=manager, title="Welcome", body="Hi")
    client = client_for(outsider)
    assert client.get(url("page-detail", page_id=page.pk)).status_code == 200
    spaces = client.get(url("space-list")).json()
    assert [space["key"] for space in spaces["results"]] == ["handbook"]
    response = send(client, "post", url("page-list", key="handbook"), {"title": "Mine"})
    assert response.status_code == 403
    assert response.json()["detail"] == "You need the editor role in this space."


def test_space_list_shows_only_readable_spaces(space, public_space, outsider, teammate, client_for):
    keys = [s["key"] for s in client_for(teammate).get(url("space-list")).json()["results"]]
    assert keys == ["handbook", "platform"]
    keys = [s["key"] for s in client_for(outsider).get(url("space-list")).json()["results"]]
    assert keys == ["handbook"]


def test_any_signed_in_user_creates_a_space_and_becomes_its_admin(outsider, client_for):
    client = client_for(outsider)
    response = send(client, "post", url("space-list"), {"name": "Notes", "key": "notes"})
    assert response.status_code == 201
    assert response["Location"] == url("space-detail", key="notes")
    detail = client.get(url("space-detail", key="notes")).json()
    assert detail["role"] == "admin"
    assert detail["is_private"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "notes"}, "name"),
        ({"name": "Notes"}, "key"),
        ({"name": "Notes", "key": "Not a key!"}, None),
    ],
)
def test_space_create_bad_input_is_a_clear_400(body, field, outsider, client_for):
    response = send(client_for(outsider), "post", url("space-list"), body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert (field in detail) if field else "key" in detail.lower()
    assert not AuditEvent.objects.filter(action="space.created").exists()


def test_wrong_methods_answer_405(space, wiki_page, teammate, client_for):
    client = client_for(teammate)
    cases = [
        ("post", url("page-detail", page_id=wiki_page.pk)),
        ("get", url("revision-restore", page_id=wiki_page.pk, number=1)),
        ("get", url("page-move", page_id=wiki_page.pk)),
        ("delete", url("space-detail", key=space.key)),
        ("put", url("search")),
        ("get", url("page-undelete", page_id=wiki_page.pk)),
        ("post", url("page-diff", page_id=wiki_page.pk)),
        ("get", url("page-tags", page_id=wiki_page.pk)),
        ("post", url("space-export", key=space.key)),
        ("get", url("space-import", key=space.key)),
    ]
    for method, path in cases:
        assert send(client, method, path).status_code == 405, (method, path)
    assert Revision.objects.filter(page=wiki_page).count() == 1


def test_token_authentication_works(wiki_page, teammate, client_for):
    anonymous = client_for(None)
    token = send(
        anonymous,
        "post",
        reverse("api:token-create"),
        {"username": "teammate", "password": PASSWORD},
    ).json()["token"]
    response = anonymous.get(
        url("page-detail", page_id=wiki_page.pk), headers={"Authorization": f"Token {token}"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Deploy guide"
    response = send(
        anonymous,
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": "By token.\n"},
        Authorization=f"Token {token}",
        If_Match=response["ETag"],
    )
    assert response.status_code == 200
    assert Page.objects.get(pk=wiki_page.pk).current_revision.body == "By token.\n"
    bad = anonymous.get(
        url("page-detail", page_id=wiki_page.pk), headers={"Authorization": "Token x"}
    )
    assert bad.status_code == 401


# --- Pages: detail, create, list --------------------------------------------------------------


def test_page_detail_has_text_html_and_a_strong_etag(wiki_page, successor, client_for):
    response = client_for(successor).get(url("page-detail", page_id=wiki_page.pk))
    data = response.json()
    assert response["ETag"] == f'"{wiki_page.pk}-1"' == data["etag"]
    assert data["body"].startswith("Intro line.")
    assert '<h2 id="steps"' in data["rendered_html"] or "Steps</h2>" in data["rendered_html"]
    assert data["revision"]["number"] == 1
    assert data["owners"] == ["teammate"]
    assert data["url"] == page_url(wiki_page)


def test_if_none_match_answers_304(wiki_page, successor, client_for):
    client = client_for(successor)
    etag = client.get(url("page-detail", page_id=wiki_page.pk))["ETag"]
    response = client.get(url("page-detail", page_id=wiki_page.pk), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_page_by_path_and_redirect_after_a_move(space, wiki_page, teammate, client_for):
    client = client_for(teammate)
    response = client.get(url("page-by-path", key=space.key, path=wiki_page.path))
    assert response.json()["id"] == wiki_page.pk
    old_path = wiki_page.path
    services.rename_page(page=wiki_page, by=teammate, new_title="Shipping guide")
    moved = client.get(url("page-by-path", key=space.key, path=old_path))
    assert moved.status_code == 301
    assert moved["Location"] == url("page-by-path", key=space.key, path="shipping-guide")
    missing = client.get(url("page-by-path", key=space.key, path="nowhere"))
    assert missing.status_code == 404


def test_create_a_child_page_with_tags_and_review_date(space, wiki_page, teammate, client_for):
    body = {
        "title": "Rollback",
        "body": "See [[Deploy guide]].",
        "parent_id": wiki_page.pk,
        "tags": ["Ops", "ops", " runbook "],
        "review_by": "2030-05-01",
    }
    response = send(client_for(teammate), "post", url("page-list", key=space.key), body)
    assert response.status_code == 201
    data = response.json()
    assert data["path"] == "deploy-guide/rollback"
    assert data["parent_id"] == wiki_page.pk
    assert sorted(data["tags"]) == ["ops", "runbook"]
    assert data["review_by"] == "2030-05-01"
    assert response["ETag"] == f'"{data["id"]}-1"'
    assert response["Location"] == url("page-detail", page_id=data["id"])
    assert "/wiki/platform/deploy-guide/" in data["rendered_html"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 400, "title"),
        ({"title": "   "}, 400, "title"),
        ({"title": "a [[b]]"}, 400, "title cannot contain"),
        ({"title": "Deploy guide"}, 409, "already exists"),
        ({"title": "Child", "parent_id": 999999}, 400, "parent page does not exist"),
        ({"title": "X", "review_by": "next week"}, 400, "review_by"),
        ({"title": "X", "tags": "ops"}, 400, "tags"),
        ({"title": "X", "template_id": 424242}, 400, "template"),
    ],
)
def test_page_create_bad_input_is_clear_and_saves_nothing(
    body, status, words, space, wiki_page, teammate, client_for
):
    before = Page.objects.count()
    response = send(client_for(teammate), "post", url("page-list", key=space.key), body)
    assert response.status_code == status
    assert words.lower() in response.json()["detail"].lower()
    assert Page.objects.count() == before


def test_page_list_filters_and_a_bounded_number_of_queries(
    space, wiki_page, teammate, client_for, django_assert_max_num_queries
):
    for number in range(5):
        services.create_page(
            space=space,
            author=teammate,
            title=f"Child {number}",
            parent=wiki_page,
            tags=["ops"] if number % 2 else [],
        )
    client = client_for(teammate)
    with django_assert_max_num_queries(8):
        data = client.get(url("page-list", key=space.key)).json()
    assert data["count"] == 6
    assert [p["title"] for p in data["results"]][:2] == ["Deploy guide", "Child 0"]
    tagged = client.get(url("page-list", key=space.key) + "?tag=ops").json()
    assert [p["title"] for p in tagged["results"]] == ["Child 1", "Child 3"]
    roots = client.get(url("page-list", key=space.key) + "?parent=root").json()
    assert [p["title"] for p in roots["results"]] == ["Deploy guide"]
    children = client.get(
        url("page-list", key=space.key) + f"?parent={wiki_page.pk}&limit=2"
    ).json()
    assert children["count"] == 5 and len(children["results"]) == 2 and children["next"]
    services.set_review_by(page=wiki_page, by=teammate, review_by=date(2000, 1, 1))
    assert client.get(url("page-list", key=space.key)).json()["count"] == 6
    stale = client.get(url("page-list", key=space.key) + "?stale=true").json()
    assert [p["title"] for p in stale["results"]] == ["Deploy guide"]
    fresh = client.get(url("page-list", key=space.key) + "?stale=false").json()
    assert fresh["count"] == 5
    bad = client.get(url("page-list", key=space.key) + "?parent=up")
    assert bad.status_code == 400 and "parent" in bad.json()["detail"]


# --- Concurrency: ETag, If-Match, 428, merge, 412 ---------------------------------------------


def test_save_without_if_match_is_428_and_saves_nothing(wiki_page, teammate, client_for):
    response = send(
        client_for(teammate), "put", url("page-detail", page_id=wiki_page.pk), {"body": "x"}
    )
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert response.json()["etag"] == f'"{wiki_page.pk}-1"'
    assert Revision.objects.filter(page=wiki_page).count() == 1


def test_save_with_the_current_etag_creates_a_revision(wiki_page, teammate, client_for):
    client = client_for(teammate)
    etag = client.get(url("page-detail", page_id=wiki_page.pk))["ETag"]
    response = send(
        client,
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": "New text.\n", "summary": "shorter"},
        If_Match=etag,
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["merged"]) == ("saved", False)
    assert response["ETag"] == f'"{wiki_page.pk}-2"'
    revision = Page.objects.get(pk=wiki_page.pk).current_revision
    assert (revision.number, revision.body, revision.summary) == (2, "New text.\n", "shorter")


@pytest.mark.parametrize("change", ["New text.\n", None])
def test_the_answer_to_a_save_is_the_page_a_get_then_reads(change, wiki_page, teammate, client_for):
    client = client_for(teammate)
    before = client.get(url("page-detail", page_id=wiki_page.pk))
    body = change or before.json()["body"]
    saved = send(
        client,
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": body, "summary": "check"},
        If_Match=before["ETag"],
    )
    after = client.get(url("page-detail", page_id=wiki_page.pk))

    assert saved.status_code == 200
    answer = saved.json()
    assert answer.pop("status") == ("saved" if change else "unchanged")
    assert (answer.pop("merged"), answer.pop("notice")) == (False, "")
    assert answer == after.json()
    assert saved["ETag"] == after["ETag"]


def test_a_stale_non_overlapping_save_is_merged_with_a_notice(
    wiki_page, teammate, subject, client_for
):
    client = client_for(teammate)
    stale = client.get(url("page-detail", page_id=wiki_page.pk))["ETag"]
    base = wiki_page.current_revision.body
    # Someone else changes the first line meanwhile.
    services.publish_revision(
        page=wiki_page,
        author=subject,
        body=base.replace("Intro line.", "Intro line, revised."),
        base_revision=wiki_page.current_revision,
    )
    response = send(
        client,
        "patch",
        url("page-detail", page_id=wiki_page.pk),
        {"body": base.replace("Run make rollback.", "Run make rollback twice.")},
        If_Match=stale,
    )
    assert response.status_code == 200
    data = response.json()
    assert data["merged"] is True and data["status"] == "merged"
    assert "merged" in data["notice"]
    assert "Intro line, revised." in data["body"] and "rollback twice" in data["body"]
    assert response["ETag"] == f'"{wiki_page.pk}-3"'


def test_overlapping_changes_answer_412_with_both_texts_and_save_nothing(
    wiki_page, teammate, subject, client_for
):
    client = client_for(teammate)
    stale = client.get(url("page-detail", page_id=wiki_page.pk))["ETag"]
    base = wiki_page.current_revision.body
    services.publish_revision(
        page=wiki_page,
        author=subject,
        body=base.replace("Run make deploy.", "Run make deploy-prod."),
        base_revision=wiki_page.current_revision,
    )
    mine = base.replace("Run make deploy.", "Run make deploy --safe.")
    response = send(
        client, "put", url("page-detail", page_id=wiki_page.pk), {"body": mine}, If_Match=stale
    )
    assert response.status_code == 412
    data = response.json()
    assert data["yours"] == mine
    assert "deploy-prod" in data["current"]
    assert "<<<<<<< your edit" in data["with_markers"]
    assert "--safe" in data["with_markers"] and "deploy-prod" in data["with_markers"]
    assert data["etag"] == response["ETag"] == f'"{wiki_page.pk}-2"'
    assert Revision.objects.filter(page=wiki_page).count() == 2
    # The client resolves and saves on top of the current ETag.
    resolved = base.replace("Run make deploy.", "Run make deploy-prod --safe.")
    response = send(
        client,
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": resolved},
        If_Match=data["etag"],
    )
    assert response.status_code == 200
    assert Page.objects.get(pk=wiki_page.pk).current_revision.body == resolved


def test_base_revision_field_is_an_alternative_to_if_match(
    wiki_page, teammate, subject, client_for
):
    base = wiki_page.current_revision.body
    services.publish_revision(
        page=wiki_page,
        author=subject,
        body=base + "\nMore.\n",
        base_revision=wiki_page.current_revision,
    )
    mine = base.replace("Intro line.", "Intro.")
    response = send(
        client_for(teammate),
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": mine, "base_revision": 1},
    )
    assert response.status_code == 200
    assert response.json()["merged"] is True
    missing = send(
        client_for(teammate),
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": mine, "base_revision": 99},
    )
    assert missing.status_code == 400
    assert "does not exist" in missing.json()["detail"]


@pytest.mark.parametrize("header", ['"0-1"', "garbage", 'W/"{pk}-1"', '"{pk}-99"'])
def test_an_if_match_naming_no_version_is_412_and_saves_nothing(
    header, wiki_page, teammate, client_for
):
    response = send(
        client_for(teammate),
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": "x"},
        If_Match=header.format(pk=wiki_page.pk),
    )
    assert response.status_code == 412
    assert response.json()["etag"] == f'"{wiki_page.pk}-1"'
    assert Revision.objects.filter(page=wiki_page).count() == 1


def test_save_with_a_missing_body_is_400(wiki_page, teammate, client_for):
    response = send(
        client_for(teammate),
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"summary": "no body"},
        If_Match=f'"{wiki_page.pk}-1"',
    )
    assert response.status_code == 400
    assert "body" in response.json()["detail"]


# --- History, diff, restore, move, trash ------------------------------------------------------


def test_revisions_diff_and_restore(wiki_page, teammate, client_for):
    client = client_for(teammate)
    services.publish_revision(
        page=wiki_page,
        author=teammate,
        body=wiki_page.current_revision.body.replace("make deploy", "make ship"),
        base_revision=wiki_page.current_revision,
        summary="rename target",
    )
    history = client.get(url("revision-list", page_id=wiki_page.pk)).json()
    assert [r["number"] for r in history["results"]] == [2, 1]
    assert history["results"][0]["summary"] == "rename target"
    assert "body" not in history["results"][0]
    old = client.get(url("revision-detail", page_id=wiki_page.pk, number=1)).json()
    assert "make deploy" in old["body"] and old["rendered_html"]
    diff = client.get(url("page-diff", page_id=wiki_page.pk)).json()
    assert (diff["from_revision"], diff["to_revision"]) == (1, 2)
    assert diff["stats"] == {"added": 1, "removed": 1}
    assert "<ins>ship</ins>" in diff["inline_html"]
    changed = [row for row in diff["rows"] if row["kind"] == "replace"]
    assert changed and "<del>deploy</del>" in changed[0]["old_html"]
    assert client.get(url("page-diff", page_id=wiki_page.pk) + "?from=x").status_code == 400
    assert client.get(url("page-diff", page_id=wiki_page.pk) + "?from=9").status_code == 404
    restored = send(client, "post", url("revision-restore", page_id=wiki_page.pk, number=1))
    assert restored.status_code == 201
    assert restored.json()["revision"]["number"] == 3
    assert "make deploy" in restored.json()["body"]
    assert restored["ETag"] == f'"{wiki_page.pk}-3"'


def test_move_rename_delete_undelete_and_the_audit_log(
    space, wiki_page, manager, teammate, client_for
):
    client = client_for(teammate)
    other = services.create_page(space=space, author=teammate, title="Operations")
    response = send(
        client,
        "post",
        url("page-move", page_id=wiki_page.pk),
        {"parent_id": other.pk, "title": "Deploying"},
    )
    assert response.status_code == 200
    assert response.json()["path"] == "operations/deploying"
    bad = send(client, "post", url("page-move", page_id=other.pk), {"parent_id": wiki_page.pk})
    assert bad.status_code == 400 and "under itself" in bad.json()["detail"]
    assert send(client, "post", url("page-move", page_id=wiki_page.pk), {}).status_code == 400
    has_children = send(client, "delete", url("page-detail", page_id=other.pk))
    assert has_children.status_code == 409
    assert send(client, "delete", url("page-detail", page_id=wiki_page.pk)).status_code == 204
    assert client.get(url("page-detail", page_id=wiki_page.pk)).status_code == 404
    trash = client.get(url("space-trash", key=space.key)).json()
    assert [item["title"] for item in trash] == ["Deploying"]
    back = send(client, "post", url("page-undelete", page_id=wiki_page.pk))
    assert back.status_code == 200 and back.json()["path"] == "operations/deploying"
    actions = [
        e["action"]
        for e in client_for(manager).get(url("space-audit", key=space.key)).json()["results"]
    ]
    assert {"page.moved", "page.renamed", "page.deleted", "page.undeleted"} <= set(actions)


# --- Roles, tags, owners, review, verify, stale -----------------------------------------------


def test_admin_sets_roles_and_bad_role_input_is_clear(space, manager, outsider, client_for):
    client = client_for(manager)
    response = send(
        client,
        "post",
        url("space-roles", key=space.key),
        {"username": "outsider", "role": "editor"},
    )
    assert response.status_code == 200
    assert {k: v for k, v in response.json()[-1].items() if k in ("user", "team")} == {
        "user": "outsider",
        "team": None,
    }
    assert client_for(outsider).get(url("space-detail", key=space.key)).json()["role"] == "editor"
    for body, words in [
        ({"username": "nobody", "role": "reader"}, "no user"),
        ({"role": "reader"}, "username or a team"),
        ({"username": "outsider", "role": "owner"}, "role"),
        ({"username": "manager", "role": "reader"}, "at least one admin"),
    ]:
        response = send(client, "post", url("space-roles", key=space.key), body)
        assert response.status_code in (400, 409), body
        assert words in response.json()["detail"].lower(), body
    assert AuditEvent.objects.filter(action="space.role_set", scope=space.audit_scope).exists()


def test_tags_owners_review_verify_and_stale_lists(
    space, wiki_page, teammate, manager, outsider, client_for
):
    client = client_for(teammate)
    assert send(client, "put", url("page-tags", page_id=wiki_page.pk), {"tags": ["Ops"]}).json()[
        "tags"
    ] == ["ops"]
    owners = send(client, "put", url("page-owners", page_id=wiki_page.pk), {"owners": ["nobody"]})
    assert owners.status_code == 400 and "nobody" in owners.json()["detail"]
    owners = send(client, "put", url("page-owners", page_id=wiki_page.pk), {"owners": ["outsider"]})
    assert owners.status_code == 400 and "cannot read" in owners.json()["detail"]
    owners = send(
        client, "put", url("page-owners", page_id=wiki_page.pk), {"owners": ["teammate", "manager"]}
    )
    assert sorted(owners.json()["owners"]) == ["manager", "teammate"]
    review = send(
        client, "put", url("page-review", page_id=wiki_page.pk), {"review_by": "2000-01-01"}
    )
    assert review.json()["is_stale"] is True
    stale = client.get(url("space-stale", key=space.key)).json()
    assert [p["title"] for p in stale] == ["Deploy guide"]
    assert [p["title"] for p in client.get(url("stale-mine")).json()] == ["Deploy guide"]
    verified = send(client, "post", url("page-verify", page_id=wiki_page.pk))
    assert verified.status_code == 200
    assert verified.json()["verified_by"]["username"] == "teammate"
    assert verified.json()["is_stale"] is False
    assert client.get(url("space-stale", key=space.key)).json() == []
    bad = send(client, "put", url("page-review", page_id=wiki_page.pk), {"review_by": "soon"})
    assert bad.status_code == 400 and "review_by" in bad.json()["detail"]
    assert AuditEvent.objects.filter(action="page.owners_set").count() == 1


# --- Comments and attachments -----------------------------------------------------------------


def test_comments_list_and_create(wiki_page, successor, client_for):
    client = client_for(successor)
    response = send(
        client, "post", url("comment-list", page_id=wiki_page.pk), {"body": "Thanks @teammate"}
    )
    assert response.status_code == 201
    assert response.json()["author"]["username"] == "successor"
    assert [c["body"] for c in client.get(url("comment-list", page_id=wiki_page.pk)).json()] == [
        "Thanks @teammate"
    ]
    empty = send(client, "post", url("comment-list", page_id=wiki_page.pk), {"body": "   "})
    assert empty.status_code == 400
    assert Comment.objects.count() == 1


def test_attachment_upload_list_download_and_delete(wiki_page, teammate, successor, client_for):
    upload = SimpleUploadedFile("chart.png", _png(), content_type="image/png")
    response = client_for(teammate).post(
        url("attachment-list", page_id=wiki_page.pk), {"file": upload}
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["name"], data["content_type"]) == ("chart.png", "image/png")
    reader = client_for(successor)
    assert [a["id"] for a in reader.get(url("attachment-list", page_id=wiki_page.pk)).json()] == [
        data["id"]
    ]
    served = reader.get(data["download_url"])
    assert served.status_code == 200
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == _png()
    assert send(reader, "delete", data["download_url"]).status_code == 403
    assert send(client_for(teammate), "delete", data["download_url"]).status_code == 204
    assert not Attachment.objects.exists()


def test_a_text_file_downloads_as_an_attachment(wiki_page, teammate, client_for):
    upload = SimpleUploadedFile("notes.txt", b"plain <script>\n", content_type="text/html")
    data = (
        client_for(teammate)
        .post(url("attachment-list", page_id=wiki_page.pk), {"file": upload})
        .json()
    )
    served = client_for(teammate).get(data["download_url"])
    assert served["Content-Type"] == "text/plain"
    assert served["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("name", "content", "claimed", "words"),
    [
        ("big.txt", b"x" * 2048, "text/plain", "limit"),
        ("empty.txt", b"", "text/plain", "empty"),
        ("fake.png", b"not an image at all", "image/png", "claims to be image/png"),
        ("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/octet-stream", "not allowed"),
    ],
)
def test_bad_uploads_are_refused_clearly_and_store_nothing(
    name, content, claimed, words, settings, wiki_page, teammate, client_for
):
    settings.WIKI_ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile(name, content, content_type=claimed)
    response = client_for(teammate).post(
        url("attachment-list", page_id=wiki_page.pk), {"file": upload}
    )
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_upload_without_a_file_is_400(wiki_page, teammate, client_for):
    response = client_for(teammate).post(url("attachment-list", page_id=wiki_page.pk), {})
    assert response.status_code == 400
    assert "file" in response.json()["detail"]


# --- Search -----------------------------------------------------------------------------------


def test_search_ranks_highlights_filters_and_hides_private(
    space, public_space, wiki_page, teammate, manager, outsider, client_for
):
    services.create_page(
        space=space, author=teammate, title="部署指南", body="如何部署服务到生产环境。", tags=["zh"]
    )
    services.create_page(space=public_space, author=manager, title="Deploy FAQ", body="deploy")
    client = client_for(teammate)
    hits = client.get(url("search") + "?q=deploy").json()
    titles = [hit["page"]["title"] for hit in hits]
    assert set(titles) == {"Deploy guide", "Deploy FAQ"}
    assert all("<mark>" in hit["snippet"].lower() for hit in hits)
    scoped = client.get(url("search") + "?q=deploy&space=platform").json()
    assert [hit["page"]["title"] for hit in scoped] == ["Deploy guide"]
    chinese = client.get(url("search") + "?q=部署").json()
    assert [hit["page"]["title"] for hit in chinese] == ["部署指南"]
    tagged = client.get(url("search") + "?q=部署&tag=zh").json()
    assert len(tagged) == 1
    outside = client_for(outsider).get(url("search") + "?q=deploy").json()
    assert [hit["page"]["title"] for hit in outside] == ["Deploy FAQ"]
    hidden_space = client_for(outsider).get(url("search") + "?q=deploy&space=platform")
    assert hidden_space.status_code == 404
    missing = client.get(url("search"))
    assert missing.status_code == 400 and "q" in missing.json()["detail"]
    too_many = client.get(url("search") + "?q=deploy&limit=500")
    assert too_many.status_code == 400 and "limit" in too_many.json()["detail"]


def test_the_schema_documents_the_wiki_endpoints(client_for, teammate):
    response = client_for(teammate).get(reverse("api:schema") + "?format=json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for expected in (
        "/api/wiki/spaces/",
        "/api/wiki/pages/{page_id}/",
        "/api/wiki/pages/{page_id}/diff/",
        "/api/wiki/pages/{page_id}/attachments/",
        "/api/wiki/search/",
        "/api/wiki/spaces/{key}/export/",
        "/api/wiki/spaces/{key}/import/",
    ):
        assert expected in paths, expected
    put = paths["/api/wiki/pages/{page_id}/"]["put"]
    assert {"200", "412", "428"} <= set(put["responses"])
    assert any(p["name"] == "If-Match" for p in put["parameters"])


def test_if_match_star_means_the_current_version(wiki_page, teammate, subject, client_for):
    services.publish_revision(
        page=wiki_page,
        author=subject,
        body="Changed meanwhile.\n",
        base_revision=wiki_page.current_revision,
    )
    response = send(
        client_for(teammate),
        "put",
        url("page-detail", page_id=wiki_page.pk),
        {"body": "Deliberately replaced.\n"},
        If_Match="*",
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["merged"]) == ("saved", False)
    assert Revision.objects.filter(page=wiki_page).count() == 3
    assert Page.objects.get(pk=wiki_page.pk).current_revision.body == "Deliberately replaced.\n"
