"""REST interfaces of the answer service: ask, rate, ask a person, answer a request.

``POST /api/ask`` returns the same answer shape as the web chat shows; the chat-platform
bots and the assistant server call the same service.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_errors import ErrorSerializer
from core.pagination import LimitOffsetPagination
from qa import answers
from qa.answers import MAX_QUESTION_CHARS, AnswerPermissionError, QuestionError
from qa.limits import AskRateLimitedError, take_ask
from qa.models import KnowledgeRequest
from qa.selectors import (
    NotFoundError,
    get_chat_for_user,
    get_question_for_user,
    get_request_for_user,
    get_writable_space_for_user,
    list_requests_for_user,
)

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class QaApi(APIView):
    """Token first (401 with ``WWW-Authenticate`` when anonymous); named errors as 400/403/404."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, AnswerPermissionError):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, NotFoundError):
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        if isinstance(exc, QuestionError):
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, ValidationError):
            return Response(_validation_body(exc.detail), status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, AskRateLimitedError):
            return Response(
                {"detail": str(exc)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        return super().handle_exception(exc)


def _validation_body(detail: object) -> dict:
    """A serializer's errors as one readable sentence plus the per-field messages."""
    if not isinstance(detail, dict):
        messages = detail if isinstance(detail, list) else [detail]
        return {"detail": " ".join(str(m) for m in messages) or "Invalid request."}
    errors = {
        str(name): [str(m) for m in (value if isinstance(value, list) else [value])]
        for name, value in detail.items()
    }
    first_field, first_messages = next(iter(errors.items()), ("", ["Invalid request."]))
    prefix = "" if first_field == "non_field_errors" else f"{first_field}: "
    return {"detail": prefix + " ".join(first_messages), "errors": errors}


@extend_schema_serializer(component_name="AnswerCitation")
class CitationSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["page", "thread", "entry", "plugin"])
    title = serializers.CharField()
    heading = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    owner = serializers.CharField(allow_blank=True)
    date = serializers.DateField(allow_null=True)
    verified = serializers.BooleanField()
    stale = serializers.BooleanField()


@extend_schema_serializer(component_name="AnswerSentence")
class SentenceSerializer(serializers.Serializer):
    text = serializers.CharField()
    highlighted = serializers.BooleanField()


@extend_schema_serializer(component_name="AnswerPassage")
class PassageSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    sentences = SentenceSerializer(many=True)
    score = serializers.FloatField()
    similarity = serializers.FloatField(allow_null=True)
    citation = CitationSerializer()
    quoted = serializers.BooleanField(
        help_text="False: cited only; its subject did not agree to be quoted word for word."
    )


@extend_schema_serializer(component_name="GeneratedSentence")
class GeneratedSentenceSerializer(serializers.Serializer):
    text = serializers.CharField()
    passage_indexes = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        min_length=1,
        help_text="The passages the sentence used: positions in `passages`, from 0.",
    )


@extend_schema_serializer(component_name="AskedPerson")
class AskedPersonSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    reason = serializers.ChoiceField(choices=["page_owner", "successor", "space_admin"])


@extend_schema_serializer(component_name="Answer")
class AnswerSerializer(serializers.Serializer):
    """The answer shape every surface shows."""

    question_id = serializers.IntegerField()
    chat_id = serializers.IntegerField(allow_null=True)
    question = serializers.CharField()
    answer = serializers.CharField(allow_blank=True)
    passages = PassageSerializer(many=True)
    citations = CitationSerializer(many=True)
    confidence = serializers.FloatField()
    abstained = serializers.BooleanField()
    request_id = serializers.IntegerField(allow_null=True)
    routed_to = AskedPersonSerializer(many=True)
    from_entry = serializers.BooleanField()
    generated = serializers.BooleanField(
        help_text=(
            "True: `answer` was written by the operator's configured model from the passages, "
            "each sentence ending with the numbers of the passages it used ([1] is the first); "
            "false: `answer` is extractive (the passages' own sentences) or says why there is none."
        )
    )
    generated_sentences = GeneratedSentenceSerializer(
        many=True, help_text="The generated answer's sentences; empty when not generated."
    )


class AskApi(QaApi):
    """Ask the team memory a question; the answer cites its sources or abstains."""

    @extend_schema_serializer(component_name="AskInput")
    class InputSerializer(serializers.Serializer):
        question = serializers.CharField(max_length=MAX_QUESTION_CHARS)
        chat_id = serializers.IntegerField(
            required=False, min_value=1, max_value=2**63 - 1, help_text="Continue this chat."
        )
        new_chat = serializers.BooleanField(
            required=False, default=False, help_text="Keep the question in a new chat."
        )

    @extend_schema(
        operation_id="ask",
        request=InputSerializer,
        responses={200: AnswerSerializer, **ERRORS, 429: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        chat = None
        if values.get("chat_id"):
            chat = get_chat_for_user(chat_id=values["chat_id"], user=request.user)
        take_ask(user=request.user)
        answer = answers.answer_question(
            user=request.user,
            question=values["question"],
            chat=chat,
            new_chat=values["new_chat"],
            surface="api",
        )
        return Response(AnswerSerializer(answer).data)


@extend_schema_serializer(component_name="QuestionFeedback")
class FeedbackOutputSerializer(serializers.Serializer):
    question_id = serializers.IntegerField(source="pk")
    feedback = serializers.ChoiceField(choices=["helpful", "not_helpful"])


class FeedbackApi(QaApi):
    """The asker says whether the answer helped; "not helpful" flags the cited pages."""

    @extend_schema_serializer(component_name="QuestionFeedbackInput")
    class InputSerializer(serializers.Serializer):
        helpful = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: FeedbackOutputSerializer, **ERRORS})
    def post(self, request: Request, question_id: int) -> Response:
        question = get_question_for_user(question_id=question_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = answers.record_feedback(
            question=question, by=request.user, helpful=data.validated_data["helpful"]
        )
        return Response(FeedbackOutputSerializer(question).data)


@extend_schema_serializer(component_name="KnowledgeRequest")
class RequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    question = serializers.CharField(source="question.text")
    asked_by = serializers.CharField(source="question.asked_by.username")
    status = serializers.ChoiceField(choices=KnowledgeRequest.Status.choices)
    space = serializers.CharField(source="space.key", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    answer = serializers.CharField(source="entry.answer", allow_null=True, default=None)


class AskPersonApi(QaApi):
    """The asker passes the question to the people who may know."""

    @extend_schema(request=None, responses={201: RequestSerializer, **ERRORS})
    def post(self, request: Request, question_id: int) -> Response:
        question = get_question_for_user(question_id=question_id, user=request.user)
        knowledge_request = answers.ask_a_person(question=question, by=request.user)
        return Response(RequestSerializer(knowledge_request).data, status=status.HTTP_201_CREATED)


class RequestListApi(QaApi):
    """Knowledge requests routed to the caller, and those the caller filed, newest first."""

    pagination_class = LimitOffsetPagination

    @extend_schema(responses={200: RequestSerializer(many=True)})
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(
            list_requests_for_user(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(RequestSerializer(rows, many=True).data)


@extend_schema_serializer(component_name="AnswerEntry")
class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    question = serializers.CharField()
    answer = serializers.CharField()
    space = serializers.CharField(source="space.key")
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    verified_at = serializers.DateTimeField()


class RequestAnswerApi(QaApi):
    """Someone the request was routed to (or an editor of its space) answers it."""

    @extend_schema_serializer(component_name="KnowledgeRequestAnswer")
    class InputSerializer(serializers.Serializer):
        answer = serializers.CharField(max_length=20_000)
        space = serializers.CharField(
            required=False, max_length=64, help_text="Key of the space the answer goes to."
        )

    @extend_schema(
        request=InputSerializer, responses={201: EntrySerializer, 409: ErrorSerializer, **ERRORS}
    )
    def post(self, request: Request, request_id: int) -> Response:
        knowledge_request = get_request_for_user(request_id=request_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        space = None
        if values.get("space"):
            space = get_writable_space_for_user(key=values["space"], user=request.user)
        if knowledge_request.status != KnowledgeRequest.Status.OPEN:
            return Response(
                {"detail": "This request has already been answered or closed."},
                status=status.HTTP_409_CONFLICT,
            )
        entry = answers.answer_request(
            request=knowledge_request, by=request.user, answer=values["answer"], space=space
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)
