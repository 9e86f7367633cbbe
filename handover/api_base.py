"""The base of the handover's API views: named errors become 400/403/409 with a ``detail``."""

from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from core.authentication import TokenAuthentication
from handover.errors import (
    CasePermissionError,
    ConsentByProxyError,
    ConsentRequiredError,
    HandoverError,
    InvalidTransitionError,
)


class HandoverApi(APIView):
    """Token first, so an anonymous request answers 401 with a ``WWW-Authenticate`` header."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CasePermissionError | ConsentByProxyError):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, InvalidTransitionError | ConsentRequiredError):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, HandoverError):
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)
