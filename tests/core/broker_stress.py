"""Publisher and consumer processes for the embedded broker's stress test.

Run as ``python -m tests.core.broker_stress publish TAG COUNT QUEUE`` or
``python -m tests.core.broker_stress consume OUT_FILE STOP_FILE QUEUE``. Both go through the
project's Celery app, so they use the broker and transport options that settings choose.
"""

import os
import sys
import time
from pathlib import Path

from kombu import Queue


def publish(tag: str, count: int, queue: str) -> None:
    """Send ``count`` task messages named ``tacit.stress`` with the arguments (tag, n)."""
    from config.celery import app

    with app.producer_or_acquire() as producer:
        for number in range(count):
            app.send_task("tacit.stress", args=[tag, number], queue=queue, producer=producer)


def consume(out_file: Path, stop_file: Path, queue: str) -> None:
    """Record each message's (tag, n) until ``stop_file`` exists and the queue stays empty."""
    from config.celery import app

    received: list[str] = []

    def on_message(body: object, message) -> None:  # noqa: ANN001
        args = body[0] if isinstance(body, list | tuple) else body["args"]
        received.append(f"{args[0]}:{args[1]}")
        message.ack()

    connection = app.connection_for_read()
    with connection, connection.Consumer(Queue(queue), callbacks=[on_message], accept=["json"]):
        idle_since = None
        while True:
            try:
                connection.drain_events(timeout=0.5)
                idle_since = None
            except TimeoutError:
                idle_since = idle_since or time.monotonic()
                if stop_file.exists() and time.monotonic() - idle_since > 2:
                    break
    out_file.write_text("\n".join(received))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    role, *rest = sys.argv[1:]
    if role == "publish":
        publish(rest[0], int(rest[1]), rest[2])
    else:
        consume(Path(rest[0]), Path(rest[1]), rest[2])
