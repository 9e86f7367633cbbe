"""For comparison in bench/wiki.py --http --app: the site with Django's own ASGI handler in
front instead of the WSGI application in a thread pool. Never served by ``make run``."""

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
