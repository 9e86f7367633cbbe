"""REST interfaces for imports: upload, status and progress, report, cancel, message search."""

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PAGINATION_PARAMETERS, paginate, paginated
from handover.imports import selectors, services
from handover.models import Source


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


class SourceDetailApi(APIView):
    """One import: status, progress and report."""

    @extend_schema(responses=SourceDetailOutputSerializer)
    def get(self, request: Request, source_id: int) -> Response:
        source = selectors.get_source_for_user(source_id=source_id, user=request.user)
        return Response(SourceDetailOutputSerializer(source).data)


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
