"""The site as one ASGI application: ``/mcp`` is the assistant server (the MCP SDK's
streamable HTTP app), everything else is Django's WSGI application.

Django runs in a fixed pool of ``WEB_THREADS`` threads (a2wsgi), exactly as under a
threaded WSGI server: each thread keeps its database connection (``DB_CONN_MAX_AGE``)
and the statements prepared on it, which Django's own ASGI handler, starting a thread
per request, would not. Served by gunicorn with uvicorn workers (config/supervisord.conf).
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
_wsgi = get_wsgi_application()

from django.conf import settings  # noqa: E402 - needs Django set up

from qa.mcp.asgi import MOUNT, mcp_application  # noqa: E402

django_application = WSGIMiddleware(_wsgi, workers=settings.WEB_THREADS)


async def application(scope, receive, send):  # noqa: ANN001, ANN201
    path = scope.get("path", "")
    if scope["type"] == "lifespan" or path == MOUNT or path.startswith(MOUNT + "/"):
        return await mcp_application(scope, receive, send)
    return await django_application(scope, receive, send)
