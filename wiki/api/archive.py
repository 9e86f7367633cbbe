"""API of space export and import."""

from __future__ import annotations

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

from wiki import space_archive
from wiki.api.common import WikiApi, _parse
from wiki.http import space_archive_response
from wiki.selectors.spaces import get_space_for_user


class SpaceExportApi(WikiApi):
    """Download a space as a zip of Markdown files with its attachments (space admins)."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, key: str) -> HttpResponse:
        space = get_space_for_user(user=request.user, key=key)
        archive = space_archive.export_space_archive(space=space, by=request.user)
        return space_archive_response(space, archive)


class ImportReportSerializer(serializers.Serializer):
    space = serializers.CharField(source="space.key")
    pages = serializers.IntegerField()
    attachments = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())


class SpaceImportApi(WikiApi):
    """Import a space export zip into this space, which must have no live pages (admins)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportReportSerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        data = _parse(self.InputSerializer, request.data)
        report = space_archive.import_space_archive(
            space=space, archive_file=data["file"], by=request.user
        )
        return Response(ImportReportSerializer(report).data, status=status.HTTP_201_CREATED)


class SpaceImportNewApi(WikiApi):
    """Create a space and fill it from an export zip, in one transaction (any signed-in user)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        name = serializers.CharField(max_length=120)
        key = serializers.CharField(max_length=64)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        is_private = serializers.BooleanField(required=False, default=True)

    @extend_schema(
        operation_id="wiki_space_import_new",
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportReportSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _parse(self.InputSerializer, request.data)
        upload = data.pop("file")
        report = space_archive.create_space_from_archive(
            by=request.user, archive_file=upload, **data
        )
        response = Response(ImportReportSerializer(report).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:wiki:space-detail", kwargs={"key": report.space.key})
        return response
