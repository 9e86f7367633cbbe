"""API of attachments: list, upload, download, delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from wiki.api.common import WikiApi, _page, _parse
from wiki.http import attachment_file_response
from wiki.models import Role
from wiki.selectors.access import require_space_role
from wiki.selectors.attachments import get_attachment_for_user, list_attachments
from wiki.services.attachments import delete_attachment, upload_attachment


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Any) -> str:
        return reverse("api:wiki:attachment-detail", kwargs={"attachment_id": attachment.pk})


class PageAttachmentListApi(WikiApi):
    """A page's files (GET), or upload one (POST multipart ``file``, editors).

    The upload goes through the same checks as the HTML form: size limit, sniffed type.
    """

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(responses=AttachmentOutputSerializer(many=True))
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        attachments = list_attachments(page=page)
        return Response(AttachmentOutputSerializer(attachments, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: AttachmentOutputSerializer},
    )
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        require_space_role(request.user, page.space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        attachment = upload_attachment(page=page, by=request.user, upload=data["file"])
        return Response(AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDetailApi(WikiApi):
    """Download a file (images inline, others as attachments, never sniffed), or delete it."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, attachment_id: int) -> HttpResponse:
        attachment = get_attachment_for_user(user=request.user, attachment_id=attachment_id)
        return attachment_file_response(attachment)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, attachment_id: int) -> Response:
        attachment = get_attachment_for_user(user=request.user, attachment_id=attachment_id)
        delete_attachment(attachment=attachment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
