"""The API's token authentication: DRF's ``TokenAuthentication``, its lookup of the token
and its user compiled once per process.

Every API request with a token reads it first; building and compiling that one-row
``select_related`` ``get`` cost the ORM ~1 ms of Python a request. The keyword, the
answers to a missing, unknown or inactive token and the ``WWW-Authenticate`` challenge
are DRF's own.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token

from core.compiled_queries import CompiledQuery


def _tokens(key: str) -> QuerySet[Token]:
    # The lookup of DrfTokenAuthentication.authenticate_credentials.
    return Token.objects.select_related("user").filter(key=key)


_TOKEN_LOOKUP = CompiledQuery(_tokens, key="\x00token key\x00")


class TokenAuthentication(DrfTokenAuthentication):
    """``Authorization: Token <key>``, as DRF reads it, with the compiled lookup."""

    def authenticate_credentials(self, key: str) -> tuple:
        if self.get_model() is not Token or not isinstance(key, str):
            return super().authenticate_credentials(key)
        token = _TOKEN_LOOKUP.first(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
