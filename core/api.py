"""REST interfaces for accounts, teams and the worker probe."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core import selectors, services


class ApiRootApi(APIView):
    """Links to the API's resources."""

    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="ApiRoot")
    class OutputSerializer(serializers.Serializer):
        me = serializers.URLField()
        teams = serializers.URLField()
        token = serializers.URLField()
        schema = serializers.URLField()
        docs = serializers.URLField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        links = {
            "me": reverse("api:me", request=request),
            "teams": reverse("api:team-list", request=request),
            "token": reverse("api:token-create", request=request),
            "schema": reverse("api:schema", request=request),
            "docs": reverse("api:docs", request=request),
        }
        return Response(links)


class TokenCreateApi(ObtainAuthToken):
    """Exchange a username and password for an API token: DRF's view, with an audit row."""

    authentication_classes: list = []

    @extend_schema_serializer(component_name="Token")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key")

    @extend_schema(request=AuthTokenSerializer, responses={200: OutputSerializer})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = services.issue_api_token(user=data.validated_data["user"])
        return Response(self.OutputSerializer(token).data)


class MeApi(APIView):
    """The signed-in user."""

    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        name = serializers.CharField(source="get_full_name")
        is_staff = serializers.BooleanField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)


class TeamListApi(APIView):
    """Teams the signed-in user belongs to."""

    @extend_schema_serializer(component_name="Team")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="TeamMember")
        class MemberSerializer(serializers.Serializer):
            username = serializers.CharField(source="user.username")
            role = serializers.CharField()

        slug = serializers.CharField()
        name = serializers.CharField()
        members = MemberSerializer(source="memberships.all", many=True)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        teams = selectors.list_teams_for_user(user=request.user)
        return Response(self.OutputSerializer(teams, many=True).data)


class ProbeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requested_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    worker_hostname = serializers.CharField()
    is_complete = serializers.BooleanField()


class ProbeCreateApi(APIView):
    """Send a probe through the broker to a worker (operators only)."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={202: ProbeOutputSerializer})
    def post(self, request: Request) -> Response:
        probe = services.request_task_probe(by=request.user)
        return Response(ProbeOutputSerializer(probe).data, status=status.HTTP_202_ACCEPTED)


class ProbeDetailApi(APIView):
    """A probe's state: complete once a worker has answered it."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses=ProbeOutputSerializer)
    def get(self, request: Request, probe_id: int) -> Response:
        probe = selectors.get_task_probe_for_user(probe_id=probe_id, user=request.user)
        return Response(ProbeOutputSerializer(probe).data)
