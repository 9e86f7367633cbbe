"""gunicorn's hooks for the web server ``make run`` starts (``-c python:config.gunicorn``)."""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def post_fork(server, worker) -> None:  # noqa: ANN001 - gunicorn's arbiter and worker
    """A worker dies with its master.

    When the master is killed outright, its uvicorn workers would otherwise keep serving
    and keep the port, so the master started again cannot bind it (a uvicorn worker
    notices a new parent only at its next heartbeat). On Linux the kernel sends the
    worker SIGTERM when the master goes.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != server.pid:  # the master went before the call took effect
        os.kill(os.getpid(), signal.SIGTERM)
