"""The site as one ASGI application: ``/mcp`` is the assistant server (the MCP SDK's
streamable HTTP app), everything else is Django. Served by gunicorn with uvicorn workers
(config/supervisord.conf)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from qa.mcp.asgi import MOUNT, mcp_application  # noqa: E402 - needs Django set up


async def application(scope, receive, send):  # noqa: ANN001, ANN201
    path = scope.get("path", "")
    if scope["type"] == "lifespan" or path == MOUNT or path.startswith(MOUNT + "/"):
        return await mcp_application(scope, receive, send)
    return await django_application(scope, receive, send)
