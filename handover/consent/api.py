"""REST interfaces of the consent ledger, for the subject only (404 to anyone else).

Record choices (PUT), read them (GET), read the ledger, withdraw, and follow a purge.
"""

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_errors import ErrorSerializer
from handover.api_base import HandoverApi
from handover.cases.selectors import get_own_case_for_subject
from handover.consent import selectors, services
from handover.consent.purposes import grantable_values
from handover.models import ConsentGrant, HandoverCase, PurgeJob


def _subject_case(request: Request, case_id: int) -> HandoverCase:
    return get_own_case_for_subject(case_id=case_id, user=request.user)


class PurposeField(serializers.ChoiceField):
    """A consent purpose: the ledger's own or one an installed plugin declares.

    The choices are read each time a serializer is built (DRF builds its fields anew per
    serializer), so they follow the plugins installed, as the schema does.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(choices=grantable_values(), **kwargs)


@extend_schema_serializer(component_name="ConsentChoices")
class ChoicesSerializer(serializers.Serializer):
    purposes = serializers.ListField(child=PurposeField())
    conversation_ids = serializers.ListField(child=serializers.IntegerField())
    excluded_thread_ids = serializers.ListField(child=serializers.IntegerField())
    expires_at = serializers.DateTimeField(allow_null=True)
    outdated_purposes = serializers.ListField(child=serializers.CharField())


def _choices_data(choices: selectors.ConsentChoices) -> dict:
    return {
        "purposes": sorted(choices.purposes),
        "conversation_ids": sorted(choices.conversation_ids),
        "excluded_thread_ids": sorted(choices.excluded_thread_ids),
        "expires_at": choices.expires_at,
        "outdated_purposes": sorted(choices.outdated_purposes),
    }


@extend_schema_serializer(component_name="PurgeJob")
class PurgeJobSerializer(serializers.ModelSerializer):
    receipt_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = PurgeJob
        fields = [
            "id",
            "status",
            "scope",
            "attempts",
            "results",
            "created_at",
            "finished_at",
            "receipt_id",
        ]


class ConsentApi(HandoverApi):
    """The subject's live choices (GET), or record new ones (PUT): purposes over a scope."""

    @extend_schema_serializer(component_name="ConsentRecord")
    class InputSerializer(serializers.Serializer):
        purposes = serializers.ListField(child=PurposeField(), max_length=64)
        conversation_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**62), max_length=10_000
        )
        excluded_thread_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**62),
            required=False,
            max_length=100_000,
        )
        expires_at = serializers.DateTimeField(required=False, allow_null=True)

    @extend_schema(responses={200: ChoicesSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        case = _subject_case(request, case_id)
        return Response(_choices_data(selectors.current_choices(case=case, user=request.user)))

    @extend_schema(
        request=InputSerializer,
        responses={200: ChoicesSerializer, 403: ErrorSerializer},
    )
    def put(self, request: Request, case_id: int) -> Response:
        case = _subject_case(request, case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.record_consent(
            case=case,
            by=request.user,
            purposes=values["purposes"],
            conversation_ids=values["conversation_ids"],
            excluded_thread_ids=values.get("excluded_thread_ids", []),
            language=get_language(),
            expires_at=values.get("expires_at"),
        )
        return Response(_choices_data(selectors.current_choices(case=case, user=request.user)))


class ConsentGrantListApi(HandoverApi):
    """The case's whole ledger for the subject: every grant with its terms and digest."""

    @extend_schema_serializer(component_name="ConsentGrant")
    class OutputSerializer(serializers.ModelSerializer):
        conversation_ids = serializers.SerializerMethodField()

        class Meta:
            model = ConsentGrant
            fields = [
                "id",
                "purpose",
                "terms_version",
                "terms_language",
                "terms_text",
                "terms_sha256",
                "granted_at",
                "expires_at",
                "ended_at",
                "end_reason",
                "conversation_ids",
            ]

        def get_conversation_ids(self, grant: ConsentGrant) -> list[int]:
            return sorted(row.conversation_id for row in grant.scope_rows.all())

    @extend_schema(responses={200: OutputSerializer(many=True)})
    def get(self, request: Request, case_id: int) -> Response:
        case = _subject_case(request, case_id)
        grants = selectors.list_grants_for_subject(case=case, user=request.user).prefetch_related(
            "scope_rows"
        )[:500]
        return Response(self.OutputSerializer(grants, many=True).data)


class ConsentWithdrawApi(HandoverApi):
    """Withdraw everything, some purposes, or conversations and threads; 202 with the purge."""

    @extend_schema_serializer(component_name="ConsentWithdrawal")
    class InputSerializer(serializers.Serializer):
        everything = serializers.BooleanField(default=False)
        purposes = serializers.ListField(child=PurposeField(), required=False)
        conversation_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**62), required=False
        )
        thread_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**62), required=False
        )

    @extend_schema(
        request=InputSerializer,
        responses={202: PurgeJobSerializer, 200: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = _subject_case(request, case_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["everything"]:
            job = services.withdraw_everything(case=case, by=request.user)
        else:
            job = services.withdraw_consent(
                case=case,
                by=request.user,
                purposes=values.get("purposes") or None,
                conversation_ids=values.get("conversation_ids", []),
                thread_ids=values.get("thread_ids", []),
            )
        if job is None:
            return Response({"detail": "There was nothing live to withdraw."})
        return Response(PurgeJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PurgeJobDetailApi(HandoverApi):
    """One purge of the subject's: its progress, results and receipt."""

    @extend_schema(responses={200: PurgeJobSerializer})
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.get_purge_job_for_subject(job_id=job_id, user=request.user)
        return Response(PurgeJobSerializer(job).data)
