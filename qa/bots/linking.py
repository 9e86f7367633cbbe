"""Chat accounts and the Tacit people they belong to: recording, the signed connect link,
linking and unlinking (services), and the reads (selectors).

A chat user proves who they are by opening the connect link the bot sends them (to them
alone) while signed in to Tacit, and confirming. The link is signed and lasts an hour; it
names only the chat account, so a link that leaks can at worst connect that chat account
to the person who opens it, and only while it is not linked to someone else.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.links import absolute_url
from core.services import record_audit_event
from qa.models import ChatAccount, ChatPlatform, ChatWorkspace
from qa.selectors import NotFoundError

CONNECT_LINK_MAX_AGE = 60 * 60
_CONNECT_SALT = "qa.bots.connect"


class ConnectLinkError(ValueError):
    """The connect link is expired, altered, or names no chat account."""


class ChatAccountTakenError(PermissionError):
    """The chat account is already linked to another Tacit user."""


# --- Services ------------------------------------------------------------------------------


def record_chat_account(
    *,
    platform: str,
    workspace_external_id: str,
    external_user_id: str,
    workspace_name: str = "",
    display_name: str = "",
) -> ChatAccount:
    """The chat account (and its workspace) a message came from, created on first sight.

    Names are refreshed when the platform sends newer ones; an empty name keeps the old.
    """
    platform = ChatPlatform(platform)
    if not workspace_external_id or not external_user_id:
        raise ValueError("a chat account needs a workspace and a user id")
    with transaction.atomic():
        workspace, _new = ChatWorkspace.objects.get_or_create(
            platform=platform,
            external_id=workspace_external_id[:200],
            defaults={"name": workspace_name[:200]},
        )
        if workspace_name and workspace.name != workspace_name[:200]:
            workspace.name = workspace_name[:200]
            workspace.save(update_fields=["name"])
        account, _new = ChatAccount.objects.select_related("user").get_or_create(
            workspace=workspace,
            external_user_id=external_user_id[:200],
            defaults={"display_name": display_name[:200]},
        )
        if display_name and account.display_name != display_name[:200]:
            account.display_name = display_name[:200]
            account.save(update_fields=["display_name"])
    account.workspace = workspace
    return account


def link_chat_account(*, account: ChatAccount, user: AbstractBaseUser) -> ChatAccount:
    """Link ``account`` to ``user`` (who opened its connect link and confirmed).

    Linking it again to the same person changes nothing; an account linked to someone else
    is never taken over (``ChatAccountTakenError``): they unlink it first.
    """
    if not user.is_authenticated or not user.is_active:
        raise ChatAccountTakenError(_("Sign in with an active account to connect."))
    with transaction.atomic():
        locked = ChatAccount.objects.select_for_update().get(pk=account.pk)
        if locked.user_id == user.pk:
            return locked
        if locked.user_id is not None:
            raise ChatAccountTakenError(
                _("This chat account is already connected to another Tacit account.")
            )
        locked.user = user
        locked.linked_at = timezone.now()
        locked.save(update_fields=["user", "linked_at"])
        record_audit_event(
            actor=user,
            action="qa.chat_account_linked",
            target=locked,
            details={"workspace": locked.workspace_id, "platform": locked.workspace.platform},
            personal={"external_user_id": locked.external_user_id, "name": locked.display_name},
        )
    return locked


def unlink_chat_account(*, account: ChatAccount, by: AbstractBaseUser) -> ChatAccount:
    """``by`` disconnects their own chat account; the bot then answers it no more."""
    with transaction.atomic():
        locked = ChatAccount.objects.select_for_update().get(pk=account.pk)
        if locked.user_id != by.pk:
            raise NotFoundError(_("No such chat account."))
        locked.user = None
        locked.linked_at = None
        locked.save(update_fields=["user", "linked_at"])
        record_audit_event(
            actor=by,
            action="qa.chat_account_unlinked",
            target=locked,
            details={"workspace": locked.workspace_id, "platform": locked.workspace.platform},
            personal={"external_user_id": locked.external_user_id, "name": locked.display_name},
        )
    return locked


# --- The signed connect link ---------------------------------------------------------------


def make_connect_token(*, account: ChatAccount) -> str:
    return signing.TimestampSigner(salt=_CONNECT_SALT).sign(str(account.pk))


def connect_url(*, account: ChatAccount) -> str:
    """The absolute link a chat user opens to connect ``account`` (valid for an hour)."""
    token = make_connect_token(account=account)
    return absolute_url(reverse("qa:connect-account", args=[token]))


def read_connect_token(*, token: str) -> ChatAccount:
    """The chat account a connect token names, or ``ConnectLinkError``."""
    signer = signing.TimestampSigner(salt=_CONNECT_SALT)
    try:
        account_id = int(signer.unsign(token, max_age=CONNECT_LINK_MAX_AGE))
    except signing.SignatureExpired as error:
        raise ConnectLinkError(
            _("This link has expired. Ask the bot again to get a new one.")
        ) from error
    except (signing.BadSignature, ValueError) as error:
        raise ConnectLinkError(
            _("This link is not valid. Ask the bot again to get a new one.")
        ) from error
    account = ChatAccount.objects.filter(pk=account_id).select_related("workspace", "user").first()
    if account is None:
        raise ConnectLinkError(_("This link is not valid. Ask the bot again to get a new one."))
    return account


# --- Selectors -----------------------------------------------------------------------------


def list_chat_accounts_for_user(*, user: AbstractBaseUser) -> QuerySet[ChatAccount]:
    return ChatAccount.objects.filter(user_id=user.pk).select_related("workspace")


def get_chat_account_for_user(*, account_id: int, user: AbstractBaseUser) -> ChatAccount:
    account = (
        ChatAccount.objects.filter(pk=account_id, user_id=user.pk)
        .select_related("workspace")
        .first()
    )
    if account is None:
        raise NotFoundError(_("No such chat account."))
    return account


def linked_user(account: ChatAccount) -> AbstractBaseUser | None:
    """The Tacit user the bot answers ``account`` as: None if unlinked or deactivated."""
    user = account.user if account.user_id else None
    if user is None or not user.is_active:
        return None
    return user
