"""Loaded before Django's settings (``-p tests.isolation``): when the suite runs on several
pytest-xdist workers, each gets a broker folder and a media folder of its own.

Each worker already has its own test database (pytest-django appends the worker id); the
Celery worker it starts must also consume only its tasks, and the files one worker's tests
write and delete (uploads, exports) must not be another's.
"""

import os
from pathlib import Path

_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker:
    _data = Path(os.environ.get("TACIT_DATA_DIR", Path(__file__).resolve().parent.parent / "var"))
    _own = _data / "test-workers" / _worker
    os.environ["TACIT_BROKER_DIR"] = str(_own / "broker")
    os.environ["MEDIA_ROOT"] = str(_own / "media")
