"""base.html's links come from ``{% nav_urls %}``: the addresses reverse() gives, everywhere."""

import pytest
from django.template import loader
from django.urls import reverse

from core.templatetags.nav import NAV_URL_NAMES, nav_urls

pytestmark = pytest.mark.django_db


def test_each_nav_url_is_the_address_reverse_gives() -> None:
    assert nav_urls() == {name: reverse(url_name) for name, url_name in NAV_URL_NAMES.items()}


def test_a_signed_in_page_links_the_sections_and_sign_out(client_for, operator) -> None:  # noqa: ANN001
    html = client_for(operator).get(reverse("core:home")).content.decode()
    for name in ("teams", "wiki", "imports", "handovers", "api_docs", "admin", "logout"):
        assert f'href="{reverse(NAV_URL_NAMES[name])}"' in html or (
            f'action="{reverse(NAV_URL_NAMES[name])}"' in html
        ), name
    assert f'action="{reverse("set_language")}"' in html


def test_the_500_page_rendered_without_a_request_still_links_log_in() -> None:
    html = loader.get_template("500.html").render({})
    assert f'href="{reverse("login")}"' in html
    assert f'action="{reverse("set_language")}"' in html
