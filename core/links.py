"""Links that leave the site (a chat message, an assistant's answer) are absolute."""

from urllib.parse import urljoin, urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` on ``settings.TACIT_SITE_URL``; an http(s) URL or an empty path as it is."""
    if not path or urlsplit(path).scheme in ("http", "https"):
        return path
    return urljoin(settings.TACIT_SITE_URL + "/", path.lstrip("/"))
