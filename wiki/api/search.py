"""API of the wiki search."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from wiki.api.common import WikiApi, _parse
from wiki.api.serializers import PageSummarySerializer
from wiki.selectors.search import search_pages
from wiki.selectors.spaces import get_space_for_user

MAX_SEARCH_RESULTS = 50


class SearchApi(WikiApi):
    """Ranked full-text search over the pages the user may read, with highlighted snippets.

    ``q`` uses websearch syntax ("quoted phrase", -excluded, or); Chinese is matched too.
    ``snippet`` is escaped HTML whose only tags are ``<mark>``.
    """

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=500)
        space = serializers.CharField(required=False, max_length=64)
        tag = serializers.CharField(required=False, max_length=64)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_SEARCH_RESULTS, default=20
        )

    class OutputSerializer(serializers.Serializer):
        page = PageSummarySerializer()
        rank = serializers.FloatField()
        snippet = serializers.CharField()

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="The query."),
            OpenApiParameter("space", str, description="Only this space (its key)."),
            OpenApiParameter("tag", str, description="Only pages with this tag."),
            OpenApiParameter("limit", int, description=f"At most {MAX_SEARCH_RESULTS}."),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = _parse(self.FilterSerializer, request.query_params)
        space = None
        if filters.get("space"):
            space = get_space_for_user(user=request.user, key=filters["space"])
        hits = search_pages(
            user=request.user,
            query=filters["q"],
            space=space,
            tag=filters.get("tag") or None,
            limit=filters["limit"],
        )
        return Response(self.OutputSerializer(hits, many=True).data)
