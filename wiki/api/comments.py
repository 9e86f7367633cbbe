"""API of page comments."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from wiki.api.common import WikiApi, _page, _parse
from wiki.api.serializers import UserSerializer
from wiki.selectors.comments import list_comments
from wiki.services.comments import MAX_COMMENT_LENGTH, add_comment


class PageCommentListApi(WikiApi):
    """A page's comments (GET), or a new one (POST, any reader; @username notifies)."""

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=MAX_COMMENT_LENGTH)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        author = UserSerializer(allow_null=True)
        body = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        comments = list_comments(page=page)
        return Response(self.OutputSerializer(comments, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        data = _parse(self.InputSerializer, request.data)
        comment = add_comment(page=page, author=request.user, body=data["body"])
        return Response(self.OutputSerializer(comment).data, status=status.HTTP_201_CREATED)
