"""Fixtures of the wiki and handover tests that the plugin tests render or withdraw."""

from tests.handover.conftest import case, slack_import  # noqa: F401
from tests.wiki.conftest import space, wiki_page  # noqa: F401
