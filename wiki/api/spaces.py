"""API of spaces: list, create, detail, roles, audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.pagination import PAGINATION_PARAMETERS, paginate, paginated
from wiki.api.common import (
    WikiApi,
    _parse,
)
from wiki.models import Role
from wiki.selectors.access import get_space_role, require_space_role
from wiki.selectors.pages import list_pages
from wiki.selectors.people import get_team_by_slug, get_user_by_username
from wiki.selectors.spaces import (
    get_space_for_user,
    list_space_audit_events,
    list_space_roles,
    list_spaces,
)
from wiki.services.spaces import create_space, set_space_role

User = get_user_model()


class SpaceOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_private = serializers.BooleanField()
    team = serializers.CharField(source="team.slug", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class SpaceListApi(WikiApi):
    """Spaces the user may read (GET), or a new space whose creator becomes admin (POST)."""

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        key = serializers.CharField(max_length=64)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        is_private = serializers.BooleanField(required=False, default=True)

    OutputSerializer = SpaceOutputSerializer

    @extend_schema(
        operation_id="wiki_space_list",
        parameters=PAGINATION_PARAMETERS,
        responses=paginated("PaginatedSpaceList", SpaceOutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        spaces = list_spaces(user=request.user)
        return paginate(self, request, spaces, self.OutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: SpaceOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _parse(self.InputSerializer, request.data)
        space = create_space(by=request.user, **data)
        response = Response(self.OutputSerializer(space).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:wiki:space-detail", kwargs={"key": space.key})
        return response


class SpaceDetailApi(WikiApi):
    """One space, with the asking user's role in it."""

    class OutputSerializer(SpaceOutputSerializer):
        role = serializers.CharField(allow_null=True)
        page_count = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        space.role = get_space_role(user=request.user, space=space)
        space.page_count = list_pages(user=request.user, space=space).count()
        return Response(self.OutputSerializer(space).data)


class SpaceRoleListApi(WikiApi):
    """Who holds which role in a space (GET), or give/remove one (POST); admins only."""

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(required=False, allow_blank=True, default="")
        team = serializers.CharField(required=False, allow_blank=True, default="")
        role = serializers.ChoiceField(
            choices=[*Role.values, "none"], help_text="'none' removes the role."
        )

        def validate(self, attrs: dict) -> dict:
            if bool(attrs["username"]) == bool(attrs["team"]):
                raise serializers.ValidationError(_("Give either a username or a team slug."))
            return attrs

    class OutputSerializer(serializers.Serializer):
        user = serializers.CharField(source="user.username", allow_null=True, default=None)
        team = serializers.CharField(source="team.slug", allow_null=True, default=None)
        role = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        require_space_role(request.user, space, Role.ADMIN)
        roles = list_space_roles(space=space)
        return Response(self.OutputSerializer(roles, many=True).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer(many=True))
    def post(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        require_space_role(request.user, space, Role.ADMIN)
        data = _parse(self.InputSerializer, request.data)
        user = team = None
        if data["username"]:
            user = get_user_by_username(username=data["username"])
        else:
            team = get_team_by_slug(slug=data["team"])
        role = None if data["role"] == "none" else data["role"]
        set_space_role(space=space, by=request.user, role=role, user=user, team=team)
        roles = list_space_roles(space=space)
        return Response(self.OutputSerializer(roles, many=True).data)


class SpaceAuditApi(WikiApi):
    """The space's audit log: permission changes, deletions, restores, ownership (admins)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        action = serializers.CharField()
        actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
        target_type = serializers.CharField()
        target_id = serializers.CharField()
        details = serializers.JSONField()
        # Names and titles, kept out of the hashed details; empty once erased.
        personal = serializers.JSONField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses=paginated("PaginatedAuditEventList", OutputSerializer(many=True)),
    )
    def get(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        require_space_role(request.user, space, Role.ADMIN)
        events = list_space_audit_events(space=space)
        return paginate(self, request, events, self.OutputSerializer)
