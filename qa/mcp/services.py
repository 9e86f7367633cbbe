"""Personal assistant tokens: created and revoked by their owner, checked on every call."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from qa.models import AssistantToken

TOKEN_PREFIX = "tacit_"  # noqa: S105 - a label, not a secret
# Tokens a person may hold at once (revoked ones do not count).
MAX_ACTIVE_TOKENS = 20
# ``last_used_at`` is written at most this often, not on every call.
LAST_USED_EVERY = timedelta(minutes=1)


class AssistantTokenError(PermissionError):
    """The token is unknown, revoked, or its owner may no longer sign in."""


class AssistantTokenInputError(ValueError):
    """A token cannot be created as asked (no name, too many tokens)."""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def create_assistant_token(*, user: AbstractBaseUser, name: str) -> tuple[AssistantToken, str]:
    """A new token for ``user``'s assistants; the token itself is returned once, never kept."""
    name = " ".join(str(name or "").split())
    if not name:
        raise AssistantTokenInputError(_("Name the token after the assistant that will use it."))
    if len(name) > 100:
        raise AssistantTokenInputError(_("A token's name can be at most 100 characters."))
    active = AssistantToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise AssistantTokenInputError(
            _("You have %(count)d active tokens: revoke one before creating another.")
            % {"count": MAX_ACTIVE_TOKENS}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AssistantToken.objects.create(
        user=user, name=name, token_sha256=hash_token(raw), prefix=raw[: len(TOKEN_PREFIX) + 6]
    )
    record_audit_event(actor=user, action="qa.assistant_token_created", target=token)
    return token, raw


@transaction.atomic
def revoke_assistant_token(*, token: AssistantToken, by: AbstractBaseUser) -> AssistantToken:
    """Stop ``token`` at once; only its owner may. Revoking twice changes nothing."""
    if token.user_id != by.pk:
        raise AssistantTokenError(_("This is someone else's token."))
    locked = AssistantToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_audit_event(actor=by, action="qa.assistant_token_revoked", target=locked)
    return locked


def authenticate_assistant_token(raw: str) -> AbstractBaseUser:
    """The active owner of the token ``raw``, or ``AssistantTokenError`` saying why not."""
    raw = str(raw or "").strip()
    if not raw:
        raise AssistantTokenError(
            _(
                "No token was sent: create one on your Tacit profile page and send it as "
                "a bearer token."
            )
        )
    token = (
        AssistantToken.objects.select_related("user").filter(token_sha256=hash_token(raw)).first()
    )
    if token is None:
        raise AssistantTokenError(_("This token is not a Tacit assistant token."))
    if token.revoked_at is not None:
        raise AssistantTokenError(
            _("This token was revoked: create a new one on your Tacit profile page.")
        )
    if not token.user.is_active:
        raise AssistantTokenError(_("The account this token belongs to is deactivated."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        AssistantToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
