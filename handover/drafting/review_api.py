"""REST interfaces of the draft's review and the interview.

The same rules as the pages: the subject reads and changes everything, successors read
the sections that are not dropped and comment, managers, HR and the opener get the
completeness numbers only, anyone else a 404.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_errors import ErrorSerializer
from handover.api_base import HandoverApi
from handover.cases.selectors import get_case_for_user
from handover.drafting import generation, interview, review
from handover.drafting import review_selectors as selectors
from handover.drafting.review_selectors import Draft, SectionView
from handover.models import DraftSection, DraftSentence, InterviewQuestion

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_serializer(component_name="DraftCompleteness")
class CompletenessSerializer(serializers.Serializer):
    topics_covered = serializers.IntegerField()
    topics_total = serializers.IntegerField()
    decisions = serializers.IntegerField()
    prompts_answered = serializers.IntegerField()
    prompts_total = serializers.IntegerField()
    sections_approved = serializers.IntegerField()
    sections_total = serializers.IntegerField()


@extend_schema_serializer(component_name="DraftCitation")
class CitationSerializer(serializers.Serializer):
    message_id = serializers.IntegerField()
    position = serializers.IntegerField()


@extend_schema_serializer(component_name="DraftSentence")
class SentenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    part = serializers.ChoiceField(choices=DraftSentence.Part.choices)
    position = serializers.IntegerField()
    text = serializers.CharField()
    original_text = serializers.CharField()
    edited = serializers.BooleanField()
    status = serializers.ChoiceField(choices=DraftSentence.Status.choices)
    details = serializers.DictField()
    citations = CitationSerializer(many=True, source="citations.all")


@extend_schema_serializer(component_name="DraftThreadUsed")
class ThreadUsedSerializer(serializers.Serializer):
    thread_id = serializers.IntegerField()
    conversation = serializers.CharField()


@extend_schema_serializer(component_name="DraftComment")
class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="DraftSection")
class SectionSerializer(serializers.Serializer):
    """A section with its sentences (in part order) and the threads it used."""

    id = serializers.IntegerField(source="section.pk")
    kind = serializers.ChoiceField(choices=DraftSection.Kind.choices, source="section.kind")
    title = serializers.CharField(source="section.title")
    status = serializers.ChoiceField(choices=DraftSection.Status.choices, source="section.status")
    position = serializers.IntegerField(source="section.position")
    approved_at = serializers.DateTimeField(source="section.approved_at", allow_null=True)
    question_id = serializers.IntegerField(source="section.question_id", allow_null=True)
    rewritten = serializers.BooleanField(source="section.rewritten")
    rewrite_state = serializers.ChoiceField(
        choices=DraftSection.RewriteState.choices, source="section.rewrite_state"
    )
    rewrite_message = serializers.CharField(source="section.rewrite_message")
    sentences = serializers.SerializerMethodField()
    threads = ThreadUsedSerializer(many=True)
    comments = CommentSerializer(many=True)

    @extend_schema_field(SentenceSerializer(many=True))
    def get_sentences(self, view: SectionView) -> list[dict]:
        sentences = [sentence for part in view.parts for sentence in part.sentences]
        return SentenceSerializer(sentences, many=True).data


@extend_schema_serializer(component_name="Draft")
class DraftSerializer(serializers.Serializer):
    """The draft as the viewer may see it: sections only for the subject and successors."""

    case_id = serializers.IntegerField(source="case.pk")
    run_id = serializers.IntegerField(source="run.pk", allow_null=True, default=None)
    roles = serializers.ListField(child=serializers.CharField())
    may_edit = serializers.BooleanField()
    completeness = CompletenessSerializer()
    sections = SectionSerializer(many=True)

    def to_representation(self, draft: Draft) -> dict:
        data = super().to_representation(draft)
        data["roles"] = sorted(draft.roles)
        return data


@extend_schema_serializer(component_name="InterviewQuestion")
class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    prompt = serializers.SerializerMethodField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    section_id = serializers.SerializerMethodField()

    def get_prompt(self, question: InterviewQuestion) -> str:
        return interview.prompt_text(question)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_section_id(self, question: InterviewQuestion) -> int | None:
        return DraftSection.objects.filter(question=question).values_list("pk", flat=True).first()


def _section_data(request: Request, section: DraftSection) -> dict:
    draft = selectors.get_draft_for_user(
        case=section.case, user=request.user, section_id=section.pk
    )
    return SectionSerializer(draft.sections[0]).data


class DraftApi(HandoverApi):
    """The case's current draft: sections for the subject and successors, numbers for all."""

    @extend_schema(responses={200: DraftSerializer, 404: ErrorSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        case = get_case_for_user(case_id=case_id, user=request.user)
        draft = selectors.get_draft_for_user(case=case, user=request.user)
        return Response(DraftSerializer(draft).data)


class SentenceUpdateApi(HandoverApi):
    """The subject edits a sentence's text or status (approve, drop, back to proposed)."""

    @extend_schema_serializer(component_name="DraftSentenceUpdate")
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=review.MAX_SENTENCE_LENGTH, required=False)
        status = serializers.ChoiceField(choices=DraftSentence.Status.choices, required=False)

        def validate(self, attrs: dict) -> dict:
            if not attrs:
                raise serializers.ValidationError("Give a text or a status.")
            return attrs

    @extend_schema(request=InputSerializer, responses={200: SentenceSerializer, **ERRORS})
    def patch(self, request: Request, sentence_id: int) -> Response:
        sentence = selectors.get_sentence_for_user(sentence_id=sentence_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            if "text" in values:
                review.edit_sentence(sentence=sentence, by=request.user, text=values["text"])
            if "status" in values:
                review.set_sentence_status(
                    sentence=sentence, by=request.user, status=values["status"]
                )
        return Response(SentenceSerializer(sentence).data)


class SectionUpdateApi(HandoverApi):
    """The subject renames a section or sets its status."""

    @extend_schema_serializer(component_name="DraftSectionUpdate")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=review.MAX_TITLE_LENGTH, required=False)
        status = serializers.ChoiceField(choices=DraftSection.Status.choices, required=False)

        def validate(self, attrs: dict) -> dict:
            if not attrs:
                raise serializers.ValidationError("Give a title or a status.")
            return attrs

    @extend_schema(request=InputSerializer, responses={200: SectionSerializer, **ERRORS})
    def patch(self, request: Request, section_id: int) -> Response:
        section = selectors.get_section_for_user(section_id=section_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            if "title" in values:
                review.rename_section(section=section, by=request.user, title=values["title"])
            if "status" in values:
                review.set_section_status(section=section, by=request.user, status=values["status"])
        return Response(_section_data(request, section))


class SectionRewriteApi(HandoverApi):
    """The subject asks the configured model to rewrite a section; the worker does it.

    Answers 202 with the section waiting for the worker (``rewrite_state`` ``pending``);
    read it again for the outcome (``done`` or ``failed``, with ``rewrite_message``).
    400 without an endpoint or while a rewrite is already waiting or running, 403 for
    anyone but the subject, 409 without the external-processor consent.
    """

    @extend_schema(request=None, responses={202: SectionSerializer, **ERRORS, 409: ErrorSerializer})
    def post(self, request: Request, section_id: int) -> Response:
        section = selectors.get_section_for_user(section_id=section_id, user=request.user)
        generation.request_section_rewrite(section=section, by=request.user)
        return Response(_section_data(request, section), status=status.HTTP_202_ACCEPTED)


class SectionCommentApi(HandoverApi):
    """A successor or the subject comments on a section."""

    @extend_schema_serializer(component_name="DraftCommentCreate")
    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=review.MAX_COMMENT_LENGTH)

    @extend_schema(request=InputSerializer, responses={201: CommentSerializer, **ERRORS})
    def post(self, request: Request, section_id: int) -> Response:
        section = selectors.get_section_for_user(section_id=section_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = review.add_section_comment(
            section=section, by=request.user, body=data.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class InterviewApi(HandoverApi):
    """The interview's questions and answers (GET); a successor's own question (POST)."""

    @extend_schema_serializer(component_name="InterviewQuestionCreate")
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=interview.MAX_QUESTION_LENGTH)

    @extend_schema(responses={200: QuestionSerializer(many=True), 404: ErrorSerializer})
    def get(self, request: Request, case_id: int) -> Response:
        view = selectors.get_interview_for_user(case_id=case_id, user=request.user)
        questions = [question for question, _prompt in view.questions]
        return Response(QuestionSerializer(questions, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: QuestionSerializer, **ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        view = selectors.get_interview_for_user(case_id=case_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = interview.add_interview_question(
            case=view.case, by=request.user, text=data.validated_data["text"]
        )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class InterviewAnswerApi(HandoverApi):
    """The subject answers one prompt; an empty answer removes its section."""

    @extend_schema_serializer(component_name="InterviewAnswer")
    class InputSerializer(serializers.Serializer):
        answer = serializers.CharField(max_length=interview.MAX_ANSWER_LENGTH, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={200: QuestionSerializer, **ERRORS})
    def post(self, request: Request, question_id: int) -> Response:
        question = selectors.get_question_for_user(question_id=question_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interview.answer_interview_question(
            question=question, by=request.user, text=data.validated_data["answer"]
        )
        return Response(QuestionSerializer(question).data)
