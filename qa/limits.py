"""How often questions may be asked: per person on every surface, per chat workspace."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import ngettext

from core.ratelimit import RateLimited, take
from qa.models import ChatWorkspace


class AskRateLimitedError(Exception):
    """Too many questions in the last minute; ``retry_after`` seconds until the next."""

    def __init__(self, *, retry_after: int, workspace: bool = False) -> None:
        self.retry_after = retry_after
        self.workspace = workspace
        if workspace:
            message = ngettext(
                "This workspace has asked too many questions in the last minute. "
                "Try again in %(seconds)d second.",
                "This workspace has asked too many questions in the last minute. "
                "Try again in %(seconds)d seconds.",
                retry_after,
            )
        else:
            message = ngettext(
                "You have asked too many questions in the last minute. "
                "Try again in %(seconds)d second.",
                "You have asked too many questions in the last minute. "
                "Try again in %(seconds)d seconds.",
                retry_after,
            )
        super().__init__(message % {"seconds": retry_after})


def take_ask(*, user: AbstractBaseUser | None, workspace: ChatWorkspace | None = None) -> None:
    """Count one question against the workspace's and the person's limits, or refuse it."""
    try:
        if workspace is not None:
            take(
                bucket=f"qa.ask.workspace.{workspace.pk}",
                limit=int(settings.QA_ASKS_PER_WORKSPACE_MINUTE),
                window=60,
            )
    except RateLimited as exc:
        raise AskRateLimitedError(retry_after=exc.retry_after, workspace=True) from exc
    if user is None or not user.is_authenticated:
        return
    try:
        take(
            bucket=f"qa.ask.user.{user.pk}", limit=int(settings.QA_ASKS_PER_USER_MINUTE), window=60
        )
    except RateLimited as exc:
        raise AskRateLimitedError(retry_after=exc.retry_after) from exc
