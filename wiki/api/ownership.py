"""API of ownership and freshness: tags, owners, review dates, verification, stale lists."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from wiki.api.common import WikiApi, _page, _parse
from wiki.api.serializers import PageDetailSerializer, PageSummarySerializer, _page_response
from wiki.models import Page, Role
from wiki.selectors.access import require_space_role
from wiki.selectors.ownership import list_stale_pages
from wiki.selectors.people import list_users_by_username
from wiki.selectors.spaces import get_space_for_user
from wiki.services.ownership import mark_verified, set_page_owners, set_page_tags, set_review_by

User = get_user_model()


class StaleOutputSerializer(PageSummarySerializer):
    owners = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)

    def get_owners(self, page: Page) -> list[str]:
        return [owner.username for owner in page.owners.all()]


class SpaceStaleApi(WikiApi):
    """Pages of a space past their review-by date, oldest first."""

    @extend_schema(responses=StaleOutputSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        pages = list_stale_pages(user=request.user, space=space)
        return Response(StaleOutputSerializer(pages, many=True).data)


class StaleMineApi(WikiApi):
    """Pages the user owns, in any space, past their review-by date."""

    @extend_schema(responses=StaleOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        pages = list_stale_pages(user=request.user, owner=request.user)
        return Response(StaleOutputSerializer(pages, many=True).data)


class PageTagsApi(WikiApi):
    """Replace a page's tags (editors)."""

    class InputSerializer(serializers.Serializer):
        tags = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=True)

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        data = _parse(self.InputSerializer, request.data)
        set_page_tags(page=page, by=request.user, names=data["tags"])
        return _page_response(_page(request, page.pk))


class PageOwnersApi(WikiApi):
    """Replace a page's owners by username (editors); each must be able to read the space."""

    class InputSerializer(serializers.Serializer):
        owners = serializers.ListField(
            child=serializers.CharField(max_length=150), allow_empty=True
        )

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        require_space_role(request.user, page.space, Role.EDITOR)
        names = _parse(self.InputSerializer, request.data)["owners"]
        owners = list_users_by_username(usernames=names)
        set_page_owners(page=page, by=request.user, owners=owners)
        return _page_response(_page(request, page.pk))


class PageReviewApi(WikiApi):
    """Set or clear the date by which the page should be checked again (editors)."""

    class InputSerializer(serializers.Serializer):
        review_by = serializers.DateField(allow_null=True)

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        data = _parse(self.InputSerializer, request.data)
        set_review_by(page=page, by=request.user, review_by=data["review_by"])
        return _page_response(_page(request, page.pk))


class PageVerifyApi(WikiApi):
    """An owner (or a space admin) confirms the page is still right."""

    @extend_schema(request=None, responses=PageDetailSerializer)
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        mark_verified(page=page, by=request.user)
        return _page_response(_page(request, page.pk))
