"""The Celery application; settings come from Django settings with the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_ready

from core.broker import register as register_embedded_broker

# ``tacitfs://``, the embedded broker, must be known to kombu before any connection is made.
register_embedded_broker()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tacit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def send_first_heartbeat(**kwargs: object) -> None:
    """Send a heartbeat through the broker as soon as a worker is up.

    beat's first heartbeat comes a full interval after it starts; without this, /healthz would
    report a freshly (re)started worker as failing for that long.
    """
    from core.tasks import record_worker_heartbeat_task

    record_worker_heartbeat_task.delay()
