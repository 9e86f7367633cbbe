"""The Celery application; settings come from Django settings with the CELERY_ prefix."""

import os

from celery import Celery

from core.broker import register as register_embedded_broker

# ``tacitfs://``, the embedded broker, must be known to kombu before any connection is made.
register_embedded_broker()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tacit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
