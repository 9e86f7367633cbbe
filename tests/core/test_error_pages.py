"""404, 403 and 500 pages wear the site's layout and language, with DEBUG off."""

import pytest
from django.template import loader
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

LAYOUT = b'class="site-header"'

pytestmark = pytest.mark.urls("tests.core.error_urls")


@pytest.fixture(autouse=True)
def _debug_off(settings) -> None:  # noqa: ANN001
    settings.DEBUG = False


def test_a_missing_page_gets_the_sites_404(client_for, teammate) -> None:  # noqa: ANN001
    response = client_for(teammate).get("/no/such/page/")
    assert response.status_code == 404
    assert LAYOUT in response.content and b"Page not found" in response.content
    assert b"Teammate" in response.content  # signed in: the usual header with the user's name


def test_an_anonymous_visitor_gets_the_same_404(client, db) -> None:  # noqa: ANN001
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert LAYOUT in response.content and b"Log in" in response.content


def test_a_refusal_gets_the_sites_403(client_for, teammate) -> None:  # noqa: ANN001
    response = client_for(teammate).get("/test-errors/forbidden/")
    assert response.status_code == 403
    assert LAYOUT in response.content and b"Not allowed" in response.content


def test_a_crash_gets_the_sites_500(db) -> None:  # noqa: ANN001
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/broken/")
    assert response.status_code == 500
    assert LAYOUT in response.content and b"Something went wrong" in response.content
    assert b"a bug" not in response.content


def test_the_500_page_renders_without_a_request_or_the_database() -> None:
    # No db fixture: any query here fails the test.
    with translation.override("en"):
        response = defaults.server_error(RequestFactory().get("/"))
        html = loader.get_template("500.html").render()
    assert b"Something went wrong" in response.content
    assert 'class="site-header"' in html


def test_the_error_pages_speak_the_visitors_language(client, db) -> None:  # noqa: ANN001
    # override() puts back the language active before, whatever the requests activated.
    with translation.override("en"):
        response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 404
        assert 'lang="zh-hans"' in response.content.decode()
        assert "页面不存在" in response.content.decode()
        broken = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert "出错了" in broken.get("/test-errors/broken/").content.decode()
