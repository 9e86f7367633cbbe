"""Plugins that misbehave in the navigation and panel hooks, for tests/plugins/test_contract.py."""

import time

from plugins.hookspecs import hookimpl
from plugins.types import NavEntry, Panel


class Raising:
    @hookimpl
    def tacit_navigation(self, viewer):  # noqa: ANN001, ANN201
        raise RuntimeError("navigation broke")

    @hookimpl
    def tacit_panels(self, viewer, target):  # noqa: ANN001, ANN201
        raise RuntimeError("panel broke")


class Slow:
    @hookimpl
    def tacit_panels(self, viewer, target):  # noqa: ANN001, ANN201
        time.sleep(2)
        return [Panel(key="late", title="Too late", html="<p>late</p>")]


class Unsafe:
    @hookimpl
    def tacit_navigation(self, viewer):  # noqa: ANN001, ANN201
        return [
            NavEntry(key="js", label="Evil", url="javascript:alert(1)"),
            "not an entry",
            NavEntry(key="ok", label="Rhythms", url="/rhythms/", order=5),
        ]

    @hookimpl
    def tacit_panels(self, viewer, target):  # noqa: ANN001, ANN201
        return [
            Panel(
                key="x",
                title="Unsafe",
                html='<p onclick="steal()">hi<script>steal()</script>'
                '<a href="javascript:steal()">x</a><a href="https://example.org">ok</a></p>',
            ),
            {"title": "not a panel"},
        ]
