"""``{% nav_urls as nav %}``: the fixed addresses base.html links to, reversed once.

Reversing them on each render (a ``{% url %}`` each) cost 0.2-0.5 ms of every page. They
change only with the script prefix and the URLconf, so they are kept per script prefix
and forgotten when a test changes ``ROOT_URLCONF``. A tag rather than a context
processor, so that 500.html, rendered without a request, still gets them.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

register = template.Library()

NAV_URL_NAMES = {
    "home": "core:home",
    "teams": "core:team-list",
    "profile": "core:profile",
    "wiki": "wiki:space-list",
    "imports": "handover:import-list",
    "handovers": "handover:case-list",
    "ask": "qa:ask",
    "api_docs": "api:docs",
    "admin": "admin:index",
    "set_language": "set_language",
    "login": "login",
    "logout": "logout",
    "subject_home": "handover:access-home",
    "subject_receipts": "handover:receipt-list",
    "subject_sign_out": "handover:access-sign-out",
    "my_data": "handover:rights-overview",
}


@register.simple_tag
def nav_urls() -> dict[str, str]:
    """The addresses of ``NAV_URL_NAMES`` by short name, for the current script prefix."""
    return _nav_urls(get_script_prefix())


@lru_cache(maxsize=16)
def _nav_urls(script_prefix: str) -> dict[str, str]:
    return {name: reverse(url_name) for name, url_name in NAV_URL_NAMES.items()}


@receiver(setting_changed)
def _forget_nav_urls(*, setting: str, **kwargs: object) -> None:
    if setting == "ROOT_URLCONF":
        _nav_urls.cache_clear()
