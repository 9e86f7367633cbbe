"""Search: ranking, snippets, filters, permissions inside the query, Chinese text."""

import pytest
from django.urls import reverse

from wiki import selectors, services
from wiki.selectors import search as search_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(space, public_space, manager, teammate):  # noqa: ANN001, ANN201
    services.create_page(
        space=space,
        author=teammate,
        title="Deploy guide",
        body="How we deploy the payments service. Deploying needs a green build.",
        tags=["ops"],
    )
    services.create_page(
        space=space,
        author=teammate,
        title="Team lunch",
        body="We talk about deploy days over lunch, rarely.",
    )
    services.create_page(
        space=space,
        author=teammate,
        title="部署指南",
        body="确认构建通过，然后运行部署脚本。",
    )
    services.create_page(
        space=public_space, author=manager, title="Public deploy notes", body="deploy in public"
    )


def test_title_matches_rank_first_and_snippets_are_highlighted(corpus, teammate):
    hits = selectors.search_pages(user=teammate, query="deploying")
    titles = [hit.page.title for hit in hits]
    assert titles[0] == "Deploy guide"
    assert set(titles) == {"Deploy guide", "Team lunch", "Public deploy notes"}
    assert "<mark>" in hits[0].snippet


def test_websearch_syntax_excludes_words(corpus, teammate):
    hits = selectors.search_pages(user=teammate, query="deploy -lunch")
    assert "Team lunch" not in [hit.page.title for hit in hits]


def test_filters_by_space_and_tag(corpus, teammate, space):
    in_space = selectors.search_pages(user=teammate, query="deploy", space=space)
    assert "Public deploy notes" not in [hit.page.title for hit in in_space]
    tagged = selectors.search_pages(user=teammate, query="deploy", tag="ops")
    assert [hit.page.title for hit in tagged] == ["Deploy guide"]


def test_outsiders_only_find_public_pages(corpus, outsider):
    hits = selectors.search_pages(user=outsider, query="deploy")
    assert [hit.page.title for hit in hits] == ["Public deploy notes"]
    assert selectors.search_pages(user=outsider, query="部署") == []


def test_trash_is_never_found(corpus, space, teammate):
    page = selectors.get_page_for_user(user=teammate, space_key=space.key, path="team-lunch")
    services.delete_page(page=page, by=teammate)
    hits = selectors.search_pages(user=teammate, query="lunch")
    assert hits == []


@pytest.mark.parametrize("query", ["部署", "部署指南", "构建通过", "脚本"])
def test_chinese_text_is_findable(corpus, teammate, query):
    hits = selectors.search_pages(user=teammate, query=query)
    assert [hit.page.title for hit in hits] == ["部署指南"]
    assert "<mark>" in hits[0].snippet


def test_single_chinese_character_and_word_fragments_fall_back_to_substrings(corpus, teammate):
    assert [hit.page.title for hit in selectors.search_pages(user=teammate, query="署")] == [
        "部署指南"
    ]
    fragment = selectors.search_pages(user=teammate, query="ayment")
    assert [hit.page.title for hit in fragment] == ["Deploy guide"]


def test_snippets_escape_page_text(space, teammate):
    services.create_page(
        space=space, author=teammate, title="Xss", body="<script>alert(1)</script> payload"
    )
    hits = selectors.search_pages(user=teammate, query="payload")
    assert "<script" not in hits[0].snippet
    assert "<mark>payload</mark>" in hits[0].snippet
    fragment = selectors.search_pages(user=teammate, query="aylo")
    assert "<script" not in fragment[0].snippet
    assert "&lt;script&gt;" in fragment[0].snippet


def test_search_page_filters_and_reports_a_hidden_space_as_404(
    corpus, teammate, outsider, client_for
):
    client = client_for(teammate)
    response = client.get(reverse("wiki:search"), {"q": "deploy", "space": "platform"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Deploy guide" in html and "Public deploy notes" not in html
    assert (
        client_for(outsider).get(reverse("wiki:search"), {"space": "platform"}).status_code == 404
    )
    empty = client.get(reverse("wiki:search"), {"q": ""})
    assert empty.status_code == 200 and empty.context["hits"] == []


def test_renamed_pages_are_found_by_their_new_title(space, wiki_page, teammate):
    services.rename_page(page=wiki_page, by=teammate, new_title="Shipping handbook")
    hits = selectors.search_pages(user=teammate, query="shipping")
    assert [hit.page.title for hit in hits] == ["Shipping handbook"]


def test_common_words_rank_title_matches_and_the_most_recent_pages(space, teammate, monkeypatch):
    monkeypatch.setattr(search_selectors, "RANK_CANDIDATES", 2)
    for number in range(4):
        services.create_page(
            space=space, author=teammate, title=f"Note {number}", body="kubernetes kubernetes"
        )
    services.create_page(space=space, author=teammate, title="Kubernetes", body="intro")
    titles = [hit.page.title for hit in selectors.search_pages(user=teammate, query="kubernetes")]
    # The title match, plus the two most recently updated text matches (itself and Note 3).
    assert titles == ["Kubernetes", "Note 3"]
