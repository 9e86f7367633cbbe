"""The base of the wiki API views: error answers, parsing, page lookup."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import (
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.authentication import TokenAuthentication
from wiki.errors import (
    LastAdminError,
    PageDeletedError,
    PageHasChildrenError,
    PageTitleTakenError,
    WikiError,
    WikiPermissionError,
)
from wiki.http import etag_matches_current
from wiki.models import Page
from wiki.selectors.pages import get_page_by_id_for_user

# Errors that describe the state of the wiki rather than a malformed request.
CONFLICT_ERRORS = (
    PageTitleTakenError,
    PageHasChildrenError,
    LastAdminError,
    PageDeletedError,
)


class WikiApi(APIView):
    """Base of the wiki's API views: wiki errors become 400/409 with a ``detail`` message.

    Token authentication comes first so that an anonymous request answers 401 with a
    ``WWW-Authenticate: Token`` challenge instead of a bare 403.
    """

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Name the nested serializers' schema components after their view.

        Every view nests an ``InputSerializer`` and an ``OutputSerializer``; without this the
        OpenAPI schema would have one "Input" component for all of them (and core's too).
        """
        super().__init_subclass__(**kwargs)
        for attr, value in list(vars(cls).items()):
            if isinstance(value, type) and issubclass(value, serializers.BaseSerializer):
                name = f"Wiki{cls.__name__.removesuffix('Api')}{attr.removesuffix('Serializer')}"
                setattr(cls, attr, extend_schema_serializer(component_name=name)(value))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, WikiPermissionError) and str(exc):
            # Keep the service's reason ("You need the editor role…"), not DRF's generic one.
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, WikiError):
            code = status.HTTP_409_CONFLICT if isinstance(exc, CONFLICT_ERRORS) else 400
            return Response({"detail": str(exc)}, status=code)
        if isinstance(exc, ValidationError):
            # Keep DRF's per-field errors, and add one sentence a person can read.
            return Response(
                {"detail": _validation_sentence(exc.detail), "errors": exc.detail},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return super().handle_exception(exc)


def _validation_sentence(detail: Any, prefix: str = "") -> str:
    """Flatten DRF's nested error structure into "field: message; field: message"."""
    if isinstance(detail, dict):
        parts = [
            _validation_sentence(value, f"{prefix}{key}." if prefix else f"{key}")
            for key, value in detail.items()
        ]
        return "; ".join(part for part in parts if part)
    if isinstance(detail, list):
        return "; ".join(_validation_sentence(item, prefix) for item in detail)
    label = prefix.rstrip(".")
    if label in ("", "non_field_errors"):
        return str(detail)
    return f"{label}: {detail}"


def _parse(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _page(request: Request, page_id: int) -> Page:
    return get_page_by_id_for_user(user=request.user, page_id=page_id)


def _existing_page(request: Request, page_id: int, message: str) -> Page:
    """A page named in a request body: a missing or unreadable one is a bad input (400)."""
    try:
        return _page(request, page_id)
    except Http404 as error:
        raise WikiError(message) from error


def _not_modified(request: Request, page: Page) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return etag_matches_current(wanted, page, allow_star=False)
