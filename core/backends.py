"""The sign-in backend (``AUTHENTICATION_BACKENDS``): Django's ``ModelBackend``, its read of
the signed-in user compiled once per process.

Every signed-in request reads its user after its session; the ORM spent ~0.15 ms of Python
building and compiling that one-row ``get`` each time. Passwords, permissions and the
``is_active`` rule are ``ModelBackend``'s own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from core.compiled_queries import CompiledQuery


def _users(pk: int) -> QuerySet:
    # The lookup of ModelBackend.get_user.
    return get_user_model()._default_manager.filter(pk=pk)


_USER_LOOKUP = CompiledQuery(_users, pk=-2_147_000_001)


class ModelBackend(DjangoModelBackend):
    """``ModelBackend`` whose read of the session's user is the compiled lookup."""

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        if type(user_id) is not int:
            return super().get_user(user_id)
        user = _USER_LOOKUP.first(pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
