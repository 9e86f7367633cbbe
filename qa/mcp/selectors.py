"""Reads of assistant tokens, for their owner only."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from qa.models import AssistantToken


def list_assistant_tokens_for_user(*, user: AbstractBaseUser) -> QuerySet[AssistantToken]:
    return AssistantToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-id")


def get_assistant_token_for_user(*, token_id: int, user: AbstractBaseUser) -> AssistantToken:
    """The owner's token ``token_id``; ``AssistantToken.DoesNotExist`` for anyone else's."""
    return AssistantToken.objects.get(pk=token_id, user=user)
