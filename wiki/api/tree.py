"""API of the page tree: move and rename, trash and undelete."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from wiki.api.common import WikiApi, _existing_page, _page, _parse
from wiki.api.serializers import PageDetailSerializer, _page_response
from wiki.models import Role
from wiki.selectors.access import require_space_role
from wiki.selectors.pages import get_page_by_id_for_user, list_trash
from wiki.selectors.spaces import get_space_for_user
from wiki.services.tree import move_and_rename_page, undelete_page
from wiki.services.validation import MAX_TITLE_LENGTH


class SpaceTrashApi(WikiApi):
    """Pages in the space's trash (editors, who may undelete them)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        path = serializers.CharField()
        deleted_at = serializers.DateTimeField()
        deleted_by = serializers.CharField(
            source="deleted_by.username", allow_null=True, default=None
        )

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        require_space_role(request.user, space, Role.EDITOR)
        pages = list_trash(space=space)
        return Response(self.OutputSerializer(pages, many=True).data)


class PageMoveApi(WikiApi):
    """Rename a page and/or move it under another parent (``parent_id`` null: top level)."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=MAX_TITLE_LENGTH)
        parent_id = serializers.IntegerField(required=False, allow_null=True)

        def validate(self, attrs: dict) -> dict:
            if not attrs:
                raise serializers.ValidationError(_("Give a new title, a parent_id, or both."))
            return attrs

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        require_space_role(request.user, page.space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        move = {}
        if "parent_id" in data:
            move["new_parent"] = None
            if data["parent_id"] is not None:
                move["new_parent"] = _existing_page(
                    request, data["parent_id"], _("The chosen parent page does not exist.")
                )
        page = move_and_rename_page(page=page, by=request.user, new_title=data.get("title"), **move)
        return _page_response(_page(request, page.pk))


class PageUndeleteApi(WikiApi):
    """Bring a page back from the trash (editors)."""

    @extend_schema(request=None, responses=PageDetailSerializer)
    def post(self, request: Request, page_id: int) -> Response:
        page = get_page_by_id_for_user(user=request.user, page_id=page_id, include_deleted=True)
        page = undelete_page(page=page, by=request.user)
        return _page_response(_page(request, page.pk))
