"""REST interfaces of subject rights: what Tacit holds about me, and my data exports.

The same rules as the pages: a person sees only their own; another person's export is 404,
staff included.
"""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_errors import ErrorSerializer
from handover.api_base import HandoverApi
from handover.models import DataExport
from handover.rights import selectors, services
from handover.rights.http import data_export_response


@extend_schema_serializer(component_name="HeldData")
class HeldDataSerializer(serializers.Serializer):
    """One kind of data held about the person (or part of one), how many, and its page."""

    kind = serializers.ChoiceField(
        choices=selectors.HELD_KINDS, help_text="The data export's file for these rows."
    )
    key = serializers.CharField(help_text="Unique in the list, e.g. consent_grants.live.")
    label = serializers.CharField()
    count = serializers.IntegerField(min_value=0)
    url = serializers.CharField(allow_null=True, help_text="The page that shows them, if any.")


@extend_schema_serializer(component_name="DataExport")
class DataExportOutputSerializer(serializers.ModelSerializer):
    """A data export's state and progress; ``download_url`` once it is ready."""

    percent_done = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DataExport
        fields = [
            "id",
            "status",
            "kinds_done",
            "kinds_total",
            "percent_done",
            "size_bytes",
            "error",
            "created_at",
            "heartbeat_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, export: DataExport) -> str | None:
        if export.status != DataExport.Status.READY:
            return None
        return reverse("api:handover:data-export-download", args=[export.pk])


class RightsOverviewApi(HandoverApi):
    """Everything Tacit holds about the signed-in person, one line per kind, with counts."""

    @extend_schema(
        operation_id="handover_rights_overview",
        responses={
            200: OpenApiResponse(
                serializers.ListSerializer(child=HeldDataSerializer()),
                description="Every kind of data held about you, in the page's order.",
            )
        },
    )
    def get(self, request: Request) -> Response:
        held = selectors.list_held_data(user=request.user)
        return Response(HeldDataSerializer(held, many=True).data)


class DataExportCreateApi(HandoverApi):
    """Ask for a machine-readable export of what Tacit holds about you; a worker builds it."""

    @extend_schema(
        operation_id="handover_exports_create",
        request=None,
        responses={
            202: DataExportOutputSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="Your previous export is still being prepared."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            export = services.request_data_export(user=request.user)
        except services.DataExportInProgressError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        response = Response(
            DataExportOutputSerializer(export).data, status=status.HTTP_202_ACCEPTED
        )
        response["Location"] = reverse("api:handover:data-export-detail", args=[export.pk])
        return response


class DataExportDetailApi(HandoverApi):
    """One of your data exports: its status and progress."""

    @extend_schema(
        operation_id="handover_exports_retrieve",
        responses={
            200: DataExportOutputSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Not one of your exports."),
        },
    )
    def get(self, request: Request, export_id: int) -> Response:
        export = selectors.get_data_export_for_user(export_id=export_id, user=request.user)
        return Response(DataExportOutputSerializer(export).data)


class DataExportDownloadApi(HandoverApi):
    """The zip of one of your ready data exports."""

    @extend_schema(
        operation_id="handover_exports_download",
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="A zip: one JSON file per kind of data, and manifest.json.",
            ),
            404: OpenApiResponse(
                ErrorSerializer, description="Not one of your exports, or its file is gone."
            ),
            409: OpenApiResponse(ErrorSerializer, description="The export is not ready."),
        },
    )
    def get(self, request: Request, export_id: int) -> Response | FileResponse:
        export = selectors.get_data_export_for_user(export_id=export_id, user=request.user)
        if export.status != DataExport.Status.READY:
            return Response(
                {"detail": f"The export is {export.status}, not ready."},
                status=status.HTTP_409_CONFLICT,
            )
        return data_export_response(export)
