"""REST interfaces for imports and deletion receipts.

Imports: upload, status and progress, report, cancel, delete (answering the receipt); the
user's receipts; message search.
"""

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import ErrorSerializer
from core.pagination import PAGINATION_PARAMETERS, paginate, paginated
from handover.imports import selectors, services
from handover.models import DeletionReceipt, Source
from handover.rights import selectors as rights_selectors
from handover.rights import services as rights_services


class SourceOutputSerializer(serializers.ModelSerializer):
    """An import's state; the report comes with the detail only."""

    percent_done = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "original_name",
            "format",
            "size_bytes",
            "status",
            "messages_done",
            "messages_total",
            "percent_done",
            "cancel_requested",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class SourceDetailOutputSerializer(SourceOutputSerializer):
    class Meta(SourceOutputSerializer.Meta):
        fields = [*SourceOutputSerializer.Meta.fields, "report"]


class SourceListApi(APIView):
    """The user's imports (GET), or upload a new export and queue its import (POST)."""

    # Multipart only: a file cannot travel in a urlencoded form, and the schema says so.
    parser_classes = [MultiPartParser]

    @extend_schema_serializer(component_name="ImportUpload")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.CharField(required=False, allow_blank=True, max_length=32)

    @extend_schema(
        operation_id="handover_imports_list",
        parameters=PAGINATION_PARAMETERS,
        responses=paginated("PaginatedImportList", SourceOutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        sources = selectors.list_sources_for_user(user=request.user)
        return paginate(self, request, sources, SourceOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: SourceDetailOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            source = services.submit_export(
                owner=request.user,
                uploaded_file=data.validated_data["file"],
                format=data.validated_data.get("format") or None,
            )
        except services.ImportRejectedError as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SourceDetailOutputSerializer(source).data, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="DeletionReceiptItem")
class ReceiptItemSerializer(serializers.Serializer):
    """One kind of thing removed: how many and when; ``note`` and ``error`` are codes."""

    what = serializers.CharField(
        help_text="messages, threads, conversations, identities, people, files or imports."
    )
    count = serializers.IntegerField(min_value=0)
    at = serializers.DateTimeField()
    note = serializers.CharField(
        required=False,
        help_text="files only: server_export (read in place, not Tacit's copy), "
        "already_deleted (after the import succeeded) or missing.",
    )
    error = serializers.CharField(
        required=False, help_text="files only: delete_failed (an operator was told)."
    )


@extend_schema_serializer(component_name="DeletionReceipt")
class ReceiptOutputSerializer(serializers.ModelSerializer):
    """A deletion receipt: counts and times, never message text."""

    items = ReceiptItemSerializer(many=True, read_only=True)
    total_removed = serializers.IntegerField(read_only=True)

    class Meta:
        model = DeletionReceipt
        fields = ["id", "kind", "summary", "items", "total_removed", "created_at", "completed_at"]
        read_only_fields = fields


class SourceDetailApi(APIView):
    """One import: status, progress and report (GET); delete it, with a receipt (DELETE)."""

    @extend_schema(responses=SourceDetailOutputSerializer)
    def get(self, request: Request, source_id: int) -> Response:
        source = selectors.get_source_for_user(source_id=source_id, user=request.user)
        return Response(SourceDetailOutputSerializer(source).data)

    @extend_schema(
        operation_id="handover_imports_destroy",
        request=None,
        responses={
            200: ReceiptOutputSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Not one of your imports."),
            409: OpenApiResponse(
                ErrorSerializer, description="It, or another of your imports, is running."
            ),
        },
    )
    def delete(self, request: Request, source_id: int) -> Response:
        """Delete the import, what it alone brought and its stored upload; answer the receipt."""
        source = selectors.get_source_for_user(source_id=source_id, user=request.user)
        try:
            receipt = rights_services.erase_import(source=source, by=request.user)
        except rights_services.ImportRunningError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except rights_services.ErasureNotAllowedError as error:
            raise PermissionDenied(str(error)) from error
        except Source.DoesNotExist as error:
            raise Http404("No such import.") from error
        return Response(ReceiptOutputSerializer(receipt).data)


class ReceiptListApi(APIView):
    """The user's deletion receipts, newest first."""

    @extend_schema(
        operation_id="handover_receipts_list",
        parameters=PAGINATION_PARAMETERS,
        responses=paginated("PaginatedDeletionReceiptList", ReceiptOutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        receipts = rights_selectors.list_receipts_for_user(user=request.user)
        return paginate(self, request, receipts, ReceiptOutputSerializer)


class ReceiptDetailApi(APIView):
    """One of the user's deletion receipts."""

    @extend_schema(
        responses={
            200: ReceiptOutputSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Not one of your receipts."),
        }
    )
    def get(self, request: Request, receipt_id: int) -> Response:
        receipt = rights_selectors.get_receipt_for_user(receipt_id=receipt_id, user=request.user)
        return Response(ReceiptOutputSerializer(receipt).data)


class SourceCancelApi(APIView):
    """Ask a queued or running import to stop; 409 when it is not running."""

    @extend_schema(request=None, responses={200: SourceOutputSerializer})
    def post(self, request: Request, source_id: int) -> Response:
        source = selectors.get_source_for_user(source_id=source_id, user=request.user)
        try:
            source = services.cancel_import(source=source, by=request.user)
        except services.InvalidTransitionError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(SourceOutputSerializer(source).data)


class MessageSearchApi(APIView):
    """Full-text search over the user's imported messages."""

    @extend_schema_serializer(component_name="MessageHit")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="message.pk")
        conversation = serializers.CharField(source="message.conversation.name")
        conversation_id = serializers.IntegerField(source="message.conversation_id")
        thread_id = serializers.IntegerField(source="message.thread_id")
        author = serializers.CharField(source="message.author.display_name", default="")
        sent_at = serializers.DateTimeField(source="message.sent_at")
        snippet_html = serializers.CharField(source="snippet")

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            max_length=500,
            error_messages={
                "required": "Type something to search for.",
                "blank": "Type something to search for.",
            },
        )

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True)],
        responses=inline_serializer(
            name="MessageSearchResults", fields={"results": OutputSerializer(many=True)}
        ),
    )
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        hits = selectors.search_messages(user=request.user, query=data.validated_data["q"])
        return Response({"results": self.OutputSerializer(hits, many=True).data})
