"""Fixed-window rate limits counted in the database, shared by every process."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from core.models import RateCounter


class RateLimited(Exception):  # noqa: N818 - reads as the condition it is
    """Over the limit: ``retry_after`` seconds until the window ends."""

    def __init__(self, *, bucket: str, limit: int, retry_after: int) -> None:
        super().__init__(f"{bucket}: more than {limit} in the window; retry in {retry_after}s")
        self.bucket = bucket
        self.limit = limit
        self.retry_after = retry_after


def _window_start(now: datetime, window: int) -> datetime:
    epoch = math.floor(now.timestamp() / window) * window
    return datetime.fromtimestamp(epoch, tz=UTC)


def take(*, bucket: str, limit: int, window: int = 60, now: datetime | None = None) -> int:
    """Count one use of ``bucket`` in the current ``window`` (seconds); the count so far.

    Raises ``RateLimited`` when it would be more than ``limit``: the refused use is
    counted too, so hammering does not open the window early. One statement, atomic
    under concurrency (an upsert).
    """
    if limit < 1 or window < 1:
        raise ValueError("limit and window must be positive")
    now = now or timezone.now()
    start = _window_start(now, window)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RateCounter._meta.db_table} (bucket, window_start, count) "  # noqa: S608
            "VALUES (%s, %s, 1) ON CONFLICT (bucket, window_start) "
            "DO UPDATE SET count = EXCLUDED.count + "
            f"{RateCounter._meta.db_table}.count RETURNING count",
            [bucket[:200], start],
        )
        count = cursor.fetchone()[0]
    if count > limit:
        ends = start + timedelta(seconds=window)
        raise RateLimited(
            bucket=bucket, limit=limit, retry_after=max(1, math.ceil((ends - now).total_seconds()))
        )
    return count


def purge_expired(*, older_than: int = 3600, now: datetime | None = None) -> int:
    """Delete counters of windows that started more than ``older_than`` seconds ago."""
    now = now or timezone.now()
    deleted, _rows = RateCounter.objects.filter(
        window_start__lt=now - timedelta(seconds=older_than)
    ).delete()
    return deleted
