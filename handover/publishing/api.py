"""REST interfaces of publishing: publish a case, its published pages, the pages passed on.

The same rules as the pages: only the subject publishes; everyone who may see the case
sees which pages were published (never the drafts); the subject and the successors list,
confirm and leave out the subject's own pages.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_errors import ErrorSerializer
from handover.api_base import HandoverApi
from handover.cases.selectors import SUBJECT, SUCCESSOR, case_roles, get_case_for_user
from handover.errors import CasePermissionError
from handover.publishing import selectors, services


class WikiPageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    space = serializers.CharField(source="space.key")
    path = serializers.CharField()


@extend_schema_serializer(component_name="HandoverPublishedPage")
class PublishedPageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    page = WikiPageSerializer()
    is_root = serializers.BooleanField()
    section_id = serializers.IntegerField(allow_null=True)
    first_published_at = serializers.DateTimeField()
    last_published_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="HandoverPageReassignment")
class ReassignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    page = WikiPageSerializer()
    excluded = serializers.BooleanField()
    subject_confirmed_at = serializers.DateTimeField(allow_null=True)
    successor_confirmed_at = serializers.DateTimeField(allow_null=True)
    applied_at = serializers.DateTimeField(allow_null=True)


ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class PublishCaseApi(HandoverApi):
    """Publish (or publish again) the case's approved sections into its wiki space."""

    @extend_schema(
        request=None,
        responses={200: PublishedPageSerializer(many=True), 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_user(case_id=case_id, user=request.user)
        rows = services.publish_case(case=case, by=request.user)
        for row in rows:
            row.page.refresh_from_db()
        return Response(PublishedPageSerializer(rows, many=True).data)


class PublishedPageListApi(HandoverApi):
    """The wiki pages the case published, its handover page first."""

    @extend_schema(responses={200: PublishedPageSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        case = get_case_for_user(case_id=case_id, user=request.user)
        rows = selectors.list_published_pages(case=case)
        return Response(PublishedPageSerializer(rows, many=True).data)


def _party_case(request: Request, case_id: int):  # noqa: ANN202
    case = get_case_for_user(case_id=case_id, user=request.user)
    roles = case_roles(case=case, user=request.user)
    if not roles & {SUBJECT, SUCCESSOR}:
        raise Http404("No such page.")
    return case, roles


class PageReassignmentListApi(HandoverApi):
    """The subject's own wiki pages proposed to pass to the successors (proposed on first read)."""

    @extend_schema(responses={200: ReassignmentSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        case, _roles = _party_case(request, case_id)
        items = services.propose_page_reassignments(case=case, by=request.user)
        return Response(ReassignmentSerializer(items, many=True).data)


class PageReassignmentActionApi(HandoverApi):
    """Confirm one page (as subject or successor, by who asks) or leave it out."""

    @extend_schema_serializer(component_name="HandoverPageReassignmentAction")
    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["confirm", "exclude"])

    @extend_schema(request=InputSerializer, responses={200: ReassignmentSerializer, **ERRORS})
    def post(self, request: Request, case_id: int, reassignment_id: int) -> Response:
        case, roles = _party_case(request, case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = selectors.get_reassignment(case=case, reassignment_id=reassignment_id)
        if item is None:
            raise Http404("No such page.")
        action = data.validated_data["action"]
        if action == "exclude":
            item = services.exclude_page(case=case, reassignment=item, by=request.user)
        elif SUBJECT in roles:
            item = services.confirm_reassignment_as_subject(
                case=case, reassignment=item, by=request.user
            )
        elif SUCCESSOR in roles:
            item = services.confirm_reassignment_as_successor(
                case=case, reassignment=item, by=request.user
            )
        else:  # pragma: no cover - _party_case lets only these two through
            raise CasePermissionError("Only the person leaving and who takes over can do this.")
        return Response(ReassignmentSerializer(item).data)
