"""The demo wiki seed: idempotent, linked pages with a red link, a table, code and Chinese."""

import pytest
from django.core.management import CommandError, call_command

from wiki import selectors
from wiki.models import Page, Space

pytestmark = pytest.mark.django_db


def test_it_needs_the_demo_user_first():
    with pytest.raises(CommandError):
        call_command("seed_demo_wiki")
    assert not Space.objects.exists()


def test_it_seeds_once_and_the_pages_link_up():
    call_command("seed_demo")
    call_command("seed_demo_wiki")
    call_command("seed_demo_wiki")
    assert Space.objects.filter(key="demo").count() == 1
    assert Page.objects.count() == 4
    home = Page.objects.get(title="Home")
    html = home.current_revision.rendered_html
    assert "<table>" in html
    assert 'wikilink-missing" href="/wiki/demo/new?title=Incident+review+template"' in html
    deploy = Page.objects.get(title="Deploy guide")
    assert "highlight" in deploy.current_revision.rendered_html
    demo = home.created_by
    hits = selectors.search_pages(user=demo, query="构建")
    assert [hit.page.title for hit in hits] == ["部署指南"]
    assert [page.title for page in selectors.list_stale_pages(user=demo)] == ["On-call handbook"]
