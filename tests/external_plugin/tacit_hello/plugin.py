"""The hooks of tacit-hello-plugin (registered through its ``tacit.plugins`` entry point)."""

from django.utils.html import format_html

from plugins.hookspecs import hookimpl
from plugins.types import NavEntry, Panel


@hookimpl
def tacit_navigation(viewer):  # noqa: ANN001, ANN201
    return [NavEntry(key="hello", label="Hello", url="/profile/#hello", order=10)]


@hookimpl
def tacit_panels(viewer, target):  # noqa: ANN001, ANN201
    return [
        Panel(
            key="greeting",
            title="Hello",
            html=format_html(
                "<p>Hello {}, this is the {} “{}”.</p>",
                viewer.display_name,
                target.kind,
                target.title,
            ),
        )
    ]
