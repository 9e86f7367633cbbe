"""A plugin that would take consented messages it never asked a purpose for."""

from plugins.hookspecs import hookimpl

HEARD: list = []


@hookimpl
def tacit_consented_messages(delivery):  # noqa: ANN001, ANN201
    HEARD.append(delivery)
