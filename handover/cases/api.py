"""REST interfaces of handover cases: list and open, one case, and its steps.

The same rules as the pages: a case is visible to its subject, opener, successors and
the team's managers and HR (404 to anyone else); what the subject chose is never part
of these answers.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_errors import ErrorSerializer
from core.pagination import PAGINATION_PARAMETERS, paginate, paginated
from core.selectors import find_user_by_username
from handover.api_base import HandoverApi
from handover.cases import selectors, services
from handover.models import HandoverCase


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


@extend_schema_serializer(component_name="ChecklistItem")
class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    done = serializers.BooleanField()
    current = serializers.BooleanField()


@extend_schema_serializer(component_name="HandoverCase")
class CaseOutputSerializer(serializers.ModelSerializer):
    """A case as every role that may see it sees it: state and people, never choices."""

    subject = PersonSerializer()
    successors = PersonSerializer(many=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    space = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)

    class Meta:
        model = HandoverCase
        fields = [
            "id",
            "subject",
            "team",
            "successors",
            "last_day",
            "space",
            "language",
            "state",
            "created_at",
            "state_changed_at",
        ]


@extend_schema_serializer(component_name="HandoverCaseDetail")
class CaseDetailOutputSerializer(CaseOutputSerializer):
    roles = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField()

    class Meta(CaseOutputSerializer.Meta):
        fields = [*CaseOutputSerializer.Meta.fields, "roles", "checklist"]

    def _roles(self, case: HandoverCase) -> frozenset[str]:
        return selectors.case_roles(case=case, user=self.context["request"].user)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, case: HandoverCase) -> list[str]:
        return sorted(self._roles(case))

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, case: HandoverCase) -> list[dict]:
        items = selectors.build_checklist(case=case, roles=self._roles(case))
        return ChecklistItemSerializer(items, many=True).data


class CaseListApi(HandoverApi):
    """The cases the user takes part in (GET), or open one (POST)."""

    @extend_schema_serializer(component_name="HandoverCaseOpen")
    class InputSerializer(serializers.Serializer):
        team = serializers.SlugField(max_length=120)
        subject = serializers.CharField(max_length=150)
        last_day = serializers.DateField()
        successors = serializers.ListField(
            child=serializers.CharField(max_length=150), required=False, max_length=50
        )
        space = serializers.SlugField(max_length=64, required=False, allow_blank=True)
        language = serializers.ChoiceField(choices=HandoverCase.Language.choices, default="en")

    @extend_schema(
        operation_id="handover_cases_list",
        parameters=PAGINATION_PARAMETERS,
        responses=paginated("PaginatedHandoverCaseList", CaseOutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        cases = selectors.list_cases_for_user(user=request.user)
        return paginate(self, request, cases, CaseOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: CaseDetailOutputSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        team = selectors.find_team_of_user(slug=values["team"], user=request.user)
        if team is None:
            return Response({"team": ["No such team of yours."]}, status=400)
        subject = find_user_by_username(username=values["subject"])
        if subject is None:
            return Response({"subject": ["No such user."]}, status=400)
        successors = [find_user_by_username(username=name) for name in values.get("successors", [])]
        if any(user is None for user in successors):
            return Response({"successors": ["No such user."]}, status=400)
        space = None
        if values.get("space"):
            space = selectors.find_team_space(team=team, key=values["space"])
            if space is None:
                return Response({"space": ["No such space of the team."]}, status=400)
        case = services.open_case(
            subject=subject,
            team=team,
            by=request.user,
            last_day=values["last_day"],
            successors=successors,
            space=space,
            language=values["language"],
        )
        return Response(
            CaseDetailOutputSerializer(case, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CaseDetailApi(HandoverApi):
    """One case: state, people, the viewer's roles and checklist."""

    @extend_schema(responses=CaseDetailOutputSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.get_case_for_user(case_id=case_id, user=request.user)
        return Response(CaseDetailOutputSerializer(case, context={"request": request}).data)


class CaseTransitionApi(HandoverApi):
    """Move a case on; 409 when its state does not allow it, 403 when the role does not."""

    @extend_schema_serializer(component_name="HandoverCaseStep")
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=sorted(services.STEPS))

    @extend_schema(
        request=InputSerializer,
        responses={
            200: CaseDetailOutputSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = selectors.get_case_for_user(case_id=case_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.STEPS[data.validated_data["action"]](case=case, by=request.user)
        return Response(CaseDetailOutputSerializer(case, context={"request": request}).data)
