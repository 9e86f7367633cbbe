"""The profile page's "Chat accounts" section: the person's linked chat accounts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.hooks import ProfileSection
from qa.bots.linking import list_chat_accounts_for_user


def chat_accounts_section(request: HttpRequest, user: AbstractBaseUser) -> ProfileSection | None:
    if not user.is_authenticated:
        return None
    return ProfileSection(
        key="chat-accounts",
        title=_("Chat accounts"),
        template="qa/bots/profile_chat_accounts.html",
        context={"accounts": list(list_chat_accounts_for_user(user=user))},
        order=50,
    )
