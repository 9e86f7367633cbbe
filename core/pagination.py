"""Limit/offset pages for every API list: capped, documented as they answer.

Every paginated list of the API answers ``{"count", "next", "previous", "results"}``. The page
size is ``limit`` (default 50, at most ``MAX_LIMIT``: a larger one is served as ``MAX_LIMIT``)
and ``offset`` skips results (at most ``MAX_OFFSET``; a larger one is a clear 400, never an
integer overflow in SQL).
"""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import pagination, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far beyond any list we hold, and far below PostgreSQL's bigint OFFSET limit.
MAX_OFFSET = 10**9


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset pagination with ``limit`` capped and ``offset`` bounded."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        try:
            offset = int(raw)
        except ValueError:
            raise ValidationError({"offset": ["A whole number of results to skip."]}) from None
        if offset < 0 or offset > MAX_OFFSET:
            raise ValidationError({"offset": [f"Between 0 and {MAX_OFFSET}."]})
        return offset

    def get_limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        try:
            limit = int(raw)
        except ValueError:
            raise ValidationError({"limit": ["A whole number of results per page."]}) from None
        if limit < 1:
            raise ValidationError({"limit": ["At least 1."]})
        return min(limit, self.max_limit)


PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1},
        description=f"Results per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description="Results to skip.",
    ),
]


def paginate(view: APIView, request: Request, queryset: Any, output: type) -> Response:
    """One page of ``queryset`` serialized with ``output``, as every list of the API answers."""
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(output(page, many=True).data)


def paginated(name: str, item: serializers.Serializer) -> serializers.Serializer:
    """The schema of a page whose ``results`` are ``item`` (a ``many=True`` serializer)."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )
