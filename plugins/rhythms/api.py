"""The REST interface of the rhythms plugin: a team's rhythms, as its members see them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plugins.rhythms import selectors


@extend_schema_serializer(component_name="RhythmsHeatmap")
class HeatmapSerializer(serializers.Serializer):
    """Seven rows (Monday first) of 24 hours; null where fewer people than the minimum."""

    cells = serializers.ListField(
        child=serializers.ListField(
            child=serializers.IntegerField(allow_null=True, min_value=1),
            min_length=24,
            max_length=24,
        ),
        min_length=7,
        max_length=7,
    )


@extend_schema_serializer(component_name="RhythmsResponseBucket")
class BucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, min_value=0, source="value")
    suppressed = serializers.BooleanField()


@extend_schema_serializer(component_name="RhythmsCadence")
class CadenceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    statement = serializers.CharField(allow_null=True)
    suppressed = serializers.BooleanField()


@extend_schema_serializer(component_name="RhythmsWorkingAgreements")
class AgreementSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class TeamRhythmsApi(APIView):
    """A team's rhythms: its working agreements and team-level aggregates only.

    Every member (manager and HR included) gets the same answer; anyone else 404. A figure
    that fewer than ``min_group`` consenting people contributed to is null (suppressed),
    never 0.
    """

    @extend_schema_serializer(component_name="RhythmsTeam")
    class OutputSerializer(serializers.Serializer):
        team = serializers.CharField()
        name = serializers.CharField()
        min_group = serializers.IntegerField(min_value=5)
        enough_people = serializers.BooleanField()
        timezone = serializers.CharField()
        working_agreements = AgreementSerializer()
        messages = HeatmapSerializer()
        wiki_edits = HeatmapSerializer()
        responses = BucketSerializer(many=True)
        cadences = CadenceSerializer(many=True)

    @extend_schema(
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="No such team, or not one of its members."),
        }
    )
    def get(self, request: Request, slug: str) -> Response:
        team = selectors.get_team_for_member(slug=slug, user=request.user)
        rhythms = selectors.get_team_rhythms(team=team)
        agreement = selectors.get_working_agreement(team=team)

        def cells(heatmap: selectors.Heatmap) -> dict:
            return {"cells": [[cell.value for cell in row.cells] for row in heatmap.rows]}

        data = {
            "team": team.slug,
            "name": team.name,
            "min_group": rhythms.min_group,
            "enough_people": rhythms.enough_people,
            "timezone": rhythms.timezone_name,
            "working_agreements": {
                "text": agreement.text if agreement else "",
                "updated_at": agreement.updated_at if agreement else None,
            },
            "messages": cells(rhythms.messages),
            "wiki_edits": cells(rhythms.wiki),
            "responses": rhythms.responses,
            "cadences": rhythms.cadences,
        }
        return Response(self.OutputSerializer(data).data)
