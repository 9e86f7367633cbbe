"""The page view's queries, and that what one lookup folds in is still each viewer's own."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from tests.wiki.conftest import png_bytes
from wiki import services
from wiki.models import Role
from wiki.selectors.access import get_space_access, readable_pages, readable_pages_with_roles
from wiki.selectors.pages import (
    get_page_by_id_for_user,
    get_page_for_user,
    list_ancestors,
    list_backlinks,
    list_children,
    readable_backlinks,
)
from wiki.selectors.rendering import PageHrefs, page_url, section_edit_hrefs

pytestmark = pytest.mark.django_db


def _view(client, page):  # noqa: ANN001, ANN202
    return client.get(reverse("wiki:page-view", kwargs={"key": page.space.key, "path": page.path}))


@pytest.fixture
def nested(space, teammate, manager, media_root):  # noqa: ANN001, ANN201
    """Area > Runbook > two children; the runbook has tags, a file and a comment."""
    area = services.create_page(space=space, author=teammate, title="Area", body="Top.")
    runbook = services.create_page(
        space=space,
        author=teammate,
        title="Runbook",
        body="## Steps\n\nRun it.\n",
        parent=area,
        tags=["oncall", "deploy"],
    )
    for title in ("zeta step", "Alpha step"):
        services.create_page(space=space, author=teammate, title=title, body="x", parent=runbook)
    upload = SimpleUploadedFile("chart.png", png_bytes(), content_type="image/png")
    services.upload_attachment(page=runbook, by=teammate, upload=upload)
    services.add_comment(page=runbook, author=manager, body="Checked on Monday.")
    return runbook


def test_it_views_a_page_without_lists_in_four_queries(
    wiki_page, teammate, client_for, django_assert_num_queries
):
    client = client_for(teammate)
    _view(client, wiki_page)
    # Session, user, the page (with its role, watch, tags, owners, ancestors, children and
    # backlinks, and whether it has files and comments), and the People link's count of
    # notes about the viewer they have not looked at (plugins.relationships).
    with django_assert_num_queries(4):
        assert _view(client, wiki_page).status_code == 200


def test_it_views_a_page_with_every_list_in_six_queries(
    nested, teammate, client_for, django_assert_num_queries
):
    client = client_for(teammate)
    _view(client, nested)
    # As above, plus the attachments and the comments.
    with django_assert_num_queries(6):
        html = _view(client, nested).content.decode()
    assert '<a href="/wiki/platform/area/">Area</a> /' in html
    assert html.index("Alpha step") < html.index("zeta step")
    assert html.index("#deploy") < html.index("#oncall")
    assert "chart.png" in html
    assert "Checked on Monday." in html
    assert '<ul class="list" id="owners"><li>Teammate</li></ul>' in html


def _refs(pages):  # noqa: ANN001, ANN202
    return [(page.title, page_url(page)) for page in pages]


def test_its_ancestors_and_children_are_those_of_the_list_selectors(nested, teammate, client_for):
    response = _view(client_for(teammate), nested)
    refs = [(ref.title, ref.href) for ref in response.context["ancestors"]]
    assert refs == _refs(list_ancestors(page=nested))
    refs = [(ref.title, ref.href) for ref in response.context["children"]]
    assert refs == _refs(list_children(page=nested))
    leaf = nested.children.get(title="Alpha step")
    response = _view(client_for(teammate), leaf)
    assert [ref.title for ref in response.context["ancestors"]] == ["Area", "Runbook"]
    assert response.context["children"] == []
    services.delete_page(page=nested.children.get(title="zeta step"), by=teammate)
    response = _view(client_for(teammate), nested)
    assert [ref.title for ref in response.context["children"]] == ["Alpha step"]
    top = _view(client_for(teammate), nested.parent)
    assert top.context["ancestors"] == []
    assert [ref.title for ref in top.context["children"]] == ["Runbook"]


@pytest.mark.parametrize(
    "path", ["runbook", "area/runbook", "部署/流程", "a b/c%d", "x:y@z/~(1)", "new", "-x/0"]
)
def test_page_hrefs_are_the_addresses_reverse_gives(path):
    hrefs = PageHrefs()
    for key in ("platform", "handbook"):
        assert hrefs(key, path) == reverse("wiki:page-view", kwargs={"key": key, "path": path})


def test_section_editor_hrefs_are_the_addresses_reverse_gives(wiki_page, teammate, client_for):
    href = section_edit_hrefs(wiki_page)
    kwargs = {"key": wiki_page.space.key, "path": wiki_page.path}
    assert href(2) == reverse("wiki:section-edit", kwargs={**kwargs, "index": 2})
    html = _view(client_for(teammate), wiki_page).content.decode()
    assert f'href="{href(1)}"' in html


def test_it_shows_each_viewer_their_own_watch(wiki_page, teammate, successor, client_for):
    # The teammate created the page, and so watches it; the successor does not.
    assert "Stop watching" in _view(client_for(teammate), wiki_page).content.decode()
    reader = client_for(successor)
    assert ">Watch</button>" in _view(reader, wiki_page).content.decode()
    services.watch(user=successor, page=wiki_page)
    assert "Stop watching" in _view(reader, wiki_page).content.decode()
    services.unwatch(user=successor, page=wiki_page)
    assert ">Watch</button>" in _view(reader, wiki_page).content.decode()


def test_it_shows_each_viewer_the_actions_of_their_own_role(
    space, wiki_page, successor, teammate, outsider, manager, team, client_for
):
    edit = reverse("wiki:page-edit", kwargs={"key": space.key, "path": wiki_page.path})
    assert edit in _view(client_for(teammate), wiki_page).content.decode()
    assert edit not in _view(client_for(successor), wiki_page).content.decode()
    assert _view(client_for(outsider), wiki_page).status_code == 404
    # A role through a team counts: the successor is in the platform team.
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, team=team)
    assert edit in _view(client_for(successor), wiki_page).content.decode()
    services.set_space_role(space=space, by=manager, role=None, team=team)
    assert edit not in _view(client_for(successor), wiki_page).content.decode()


def test_a_reader_of_a_public_space_without_a_role_may_only_read(
    public_space, manager, outsider, client_for
):
    page = services.create_page(space=public_space, author=manager, title="Welcome", body="Hi")
    html = _view(client_for(outsider), page).content.decode()
    assert "Welcome" in html
    assert reverse("wiki:page-edit", kwargs={"key": "handbook", "path": page.path}) not in html


def test_the_folded_role_is_never_taken_for_another_users(
    wiki_page, teammate, outsider, django_assert_num_queries
):
    page = get_page_for_user(
        user=teammate, space_key=wiki_page.space.key, path=wiki_page.path, view_state=True
    )
    with django_assert_num_queries(0):
        assert get_space_access(user=teammate, space=page.space, page=page).role == Role.EDITOR
    with django_assert_num_queries(1):
        assert get_space_access(user=outsider, space=page.space, page=page).role is None


def test_owners_and_tags_show_as_just_set(wiki_page, teammate, successor, client_for):
    client = client_for(teammate)
    _view(client, wiki_page)
    services.set_page_owners(page=wiki_page, by=teammate, owners=[successor, teammate])
    services.set_page_tags(page=wiki_page, by=teammate, names=["Billing"])
    html = _view(client, wiki_page).content.decode()
    assert "<li>Successor</li><li>Teammate</li>" in html
    assert "#billing" in html
    assert "Mark verified" in html  # the teammate owns it
    services.set_page_owners(page=wiki_page, by=teammate, owners=[])
    html = _view(client, wiki_page).content.decode()
    assert '<li class="muted">No owner</li>' in html
    assert "Mark verified" not in html


def test_readable_pages_with_roles_follow_the_one_access_rule(
    space, public_space, wiki_page, manager, team, outsider, successor, teammate
):
    """Every persona reads the same pages through both forms of the rule, roles as held."""
    services.create_page(space=public_space, author=manager, title="Welcome", body="Hi")
    other = services.create_space(name="Secrets", key="secrets", by=manager)
    services.create_page(space=other, author=manager, title="Plans", body="x")
    services.set_space_role(space=other, by=manager, role=Role.READER, team=team)
    trashed = services.create_page(space=space, author=teammate, title="Old", body="x")
    services.delete_page(page=trashed, by=teammate)
    for user in (manager, teammate, successor, outsider, AnonymousUser()):
        for include_deleted in (False, True):
            expected = readable_pages(user=user, include_deleted=include_deleted)
            got = readable_pages_with_roles(user=user, include_deleted=include_deleted)
            assert sorted(got.values_list("pk", flat=True)) == sorted(
                expected.values_list("pk", flat=True)
            ), (user, include_deleted)
    roles = {
        page.space.key: sorted(page.viewer_roles)
        for page in readable_pages_with_roles(user=successor).select_related("space")
    }
    assert roles == {"platform": [Role.READER], "handbook": [], "secrets": [Role.READER]}


def test_backlinks_are_those_of_list_backlinks_for_each_reader(
    space, wiki_page, manager, teammate, successor, django_assert_num_queries
):
    secret = services.create_space(name="Secret", key="secret", by=manager)
    services.set_space_role(space=secret, by=manager, role=Role.EDITOR, user=teammate)
    for title in ("Zulu plan", "Hidden plan"):
        body = "See [[platform:Deploy guide]] and [[platform:deploy GUIDE]]."
        services.create_page(space=secret, author=teammate, title=title, body=body)
    services.create_page(space=space, author=teammate, title="Open notes", body="[[Deploy guide]]")
    gone = services.create_page(space=space, author=teammate, title="Gone", body="[[Deploy guide]]")
    services.delete_page(page=gone, by=teammate)
    for user in (teammate, successor):
        page = get_page_for_user(
            user=user, space_key=space.key, path=wiki_page.path, view_state=True
        )
        expected = [
            (source.title, source.path, source.space.key)
            for source in list_backlinks(user=user, page=page)
        ]
        with django_assert_num_queries(1):  # the readability of the other space
            assert readable_backlinks(user=user, page=page) == expected
    assert [title for title, _path, _key in expected] == ["Open notes"]
    assert (
        len(
            readable_backlinks(
                user=teammate,
                page=get_page_for_user(
                    user=teammate, space_key=space.key, path=wiki_page.path, view_state=True
                ),
            )
        )
        == 3
    )


def test_the_compiled_page_lookups_are_the_orm_lookups_for_each_reader(
    space, public_space, wiki_page, manager, team, teammate, successor, outsider
):
    """The page lookups run compiled SQL (core.compiled_queries): for every persona, by path
    and by id, with and without the trash and the view state, they find what the queryset
    finds, with the same fields, related rows and view state."""
    from wiki.selectors.pages import _page_with_id, _pages_at

    welcome = services.create_page(space=public_space, author=manager, title="Welcome", body="Hi")
    services.set_space_role(space=public_space, by=manager, role=Role.EDITOR, team=team)
    services.set_page_tags(page=wiki_page, by=teammate, names=["deploy", "billing"])
    services.set_page_owners(page=wiki_page, by=teammate, owners=[successor, teammate])
    services.create_page(space=space, author=teammate, title="Links", body="[[Deploy guide]]")
    services.create_page(space=space, author=teammate, title="Child", body="x", parent=wiki_page)
    trashed = services.create_page(space=space, author=teammate, title="Old", body="x")
    services.delete_page(page=trashed, by=teammate)

    def fields(obj):  # noqa: ANN001, ANN202
        return {name: value for name, value in vars(obj).items() if name != "_state"}

    def same(got, expected) -> None:  # noqa: ANN001
        assert fields(got).keys() - fields(expected).keys() <= {"viewer_pk", "owner_list"}
        assert {k: v for k, v in fields(got).items() if k in fields(expected)} == fields(expected)
        for related in ("space", "current_revision", "verified_by", "parent"):
            if related in expected._state.fields_cache:
                want = getattr(expected, related)
                assert (fields(getattr(got, related)) if want else None) == (
                    fields(want) if want else None
                ), related
        assert fields(got.current_revision.author) == fields(expected.current_revision.author)
        assert got.get_deferred_fields() == expected.get_deferred_fields()

    found = 0
    for user in (manager, teammate, successor, outsider):
        for page in (wiki_page, welcome, trashed):
            for include_deleted in (False, True):
                for view_state in (False, True):
                    flags = {"include_deleted": include_deleted, "view_state": view_state}
                    key, path = page.space.key, page.path
                    for by_id in (False, True):
                        if by_id:
                            expected = _page_with_id(user, page.pk, **flags).first()
                            where = {"page_id": page.pk}
                            getter = get_page_by_id_for_user
                        else:
                            expected = _pages_at(user, key, path, **flags).first()
                            where = {"space_key": key, "path": path}
                            getter = get_page_for_user
                        try:
                            got = getter(user=user, **where, **flags)
                        except Http404:
                            got = None
                        assert (got is None) == (expected is None), (user, page, flags)
                        if got is not None:
                            same(got, expected)
                            found += 1
    assert found == 68
    page = get_page_for_user(
        user=successor, space_key="platform", path=wiki_page.path, view_state=True
    )
    assert page.tag_names == ["billing", "deploy"] and page.viewer_roles == [Role.READER]
    assert [owner.username for owner in page.owner_list] == ["successor", "teammate"]
    assert [title for title, _path in page.child_rows] == ["Child"]


def test_the_compiled_role_and_revision_pair_lookups_are_the_orm_lookups(
    space, public_space, wiki_page, manager, team, teammate, successor, outsider
):
    from tests.wiki.conftest import edit
    from wiki.models import ROLE_RANK, Revision, SpaceRole
    from wiki.selectors.access import _roles_of, get_space_role
    from wiki.selectors.revisions import get_revision_pair_for_user

    services.set_space_role(space=public_space, by=manager, role=Role.EDITOR, team=team)
    edit(wiki_page, teammate, "Second text.\n")
    for user in (manager, teammate, successor, outsider):
        for each in (space, public_space):
            rows = SpaceRole.objects.filter(pk__in=_roles_of(user).filter(space=each).values("pk"))
            held = {row.role for row in rows} | ({Role.READER} if not each.is_private else set())
            expected = max(held, key=lambda role: ROLE_RANK[Role(role)]) if held else None
            assert get_space_role(user=user, space=each) == expected, (user, each)
        for old, new in ((1, 2), (2, 2), (2, 1), (1, 3)):
            expected = {
                revision.number: revision.body
                for revision in Revision.objects.filter(page=wiki_page, number__in={old, new})
            }
            try:
                pair = get_revision_pair_for_user(
                    user=user, page=wiki_page, old_number=old, new_number=new
                )
            except Http404:
                assert user == outsider or len(expected) < len({old, new}), (user, old, new)
                continue
            assert user != outsider
            assert [(r.number, r.body) for r in pair] == [
                (old, expected[old]),
                (new, expected[new]),
            ]


@pytest.mark.parametrize("path", ["runbook", "area/runbook", "部署/流程", "a b/c%d", "x:y@z/~(1)"])
def test_page_action_hrefs_are_the_addresses_reverse_gives(wiki_page, path):  # noqa: ANN001
    from wiki.selectors.rendering import PAGE_ACTIONS, page_action_hrefs

    wiki_page.path = path
    hrefs = page_action_hrefs(wiki_page, PageHrefs())
    kwargs = {"key": wiki_page.space.key, "path": path}
    assert hrefs == {name: reverse(url, kwargs=kwargs) for name, url in PAGE_ACTIONS.items()}


def test_the_upload_field_is_the_one_the_form_renders(wiki_page, teammate, client_for):
    from wiki.forms import AttachmentForm

    html = _view(client_for(teammate), wiki_page).content.decode()
    assert str(AttachmentForm()["file"]) in html


def test_every_aria_reference_of_the_page_view_names_an_element(nested, teammate, client_for):
    import re

    html = _view(client_for(teammate), nested).content.decode()
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    references = re.findall(r'aria-(?:describedby|labelledby|controls)="([^"]+)"', html)
    assert references
    missing = {name for value in references for name in value.split() if name not in ids}
    assert not missing


def test_every_lookup_carries_the_users_own_role_and_a_diff_needs_no_role_query(
    wiki_page, teammate, outsider, successor, client_for, django_assert_num_queries
):
    from tests.wiki.conftest import edit

    for view_state in (False, True):
        page = get_page_by_id_for_user(user=successor, page_id=wiki_page.pk, view_state=view_state)
        with django_assert_num_queries(0):
            assert get_space_access(user=successor, space=page.space, page=page).role == "reader"
        with django_assert_num_queries(1):
            assert get_space_access(user=teammate, space=page.space, page=page).role == "editor"
        with django_assert_num_queries(1):
            assert get_space_access(user=outsider, space=page.space, page=page).role is None
    edit(wiki_page, teammate, "A second text.\n")
    client = client_for(successor)
    url = reverse("wiki:page-diff", kwargs={"key": wiki_page.space.key, "path": wiki_page.path})
    client.get(url)
    # Session, user, the page (with the role), the two revisions, and the People link's
    # count of notes about the viewer they have not looked at (plugins.relationships).
    with django_assert_num_queries(5):
        assert client.get(url, {"from": 1, "to": 2}).status_code == 200
