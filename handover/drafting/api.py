"""REST interfaces of drafting: start and follow runs, cancel one, edit the draft's topics.

Everyone who may see a case sees its runs' progress (state and percent); only the subject
sees the counts, the error and the topics, and only they start, cancel and edit.
"""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_errors import ErrorSerializer
from handover.api_base import HandoverApi
from handover.cases.selectors import get_case_for_user, is_subject_of
from handover.drafting import runs, selectors, topics
from handover.models import DraftRun, DraftTopic

MAX_IDS = 500


@extend_schema_serializer(component_name="DraftRun")
class RunOutputSerializer(serializers.Serializer):
    """A run's progress; the counts and error are the subject's only (null for others)."""

    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    status = serializers.ChoiceField(choices=DraftRun.Status.choices)
    phase = serializers.ChoiceField(choices=DraftRun.Phase.choices)
    percent = serializers.IntegerField()
    threads_total = serializers.IntegerField(allow_null=True)
    threads_done = serializers.IntegerField(allow_null=True)
    topics_total = serializers.IntegerField(allow_null=True)
    topics_done = serializers.IntegerField(allow_null=True)
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def run_data(run: DraftRun, user) -> dict:  # noqa: ANN001
    own = is_subject_of(case=run.case, user=user)
    return RunOutputSerializer(
        {
            "id": run.pk,
            "case_id": run.case_id,
            "status": run.status,
            "phase": run.phase,
            "percent": run.percent,
            "threads_total": run.threads_total if own else None,
            "threads_done": run.threads_done if own else None,
            "topics_total": run.topics_total if own else None,
            "topics_done": run.topics_done if own else None,
            "cancel_requested": run.cancel_requested,
            "error": run.error if own else None,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
        }
    ).data


@extend_schema_serializer(component_name="DraftRunList")
class RunListOutputSerializer(serializers.Serializer):
    results = RunOutputSerializer(many=True)


@extend_schema_serializer(component_name="DraftTopicThread")
class ThreadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    conversation = serializers.IntegerField(source="conversation_id")
    label = serializers.CharField()
    message_count = serializers.IntegerField()
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="DraftTopic")
class TopicOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    title_edited = serializers.BooleanField()
    position = serializers.IntegerField()
    section = serializers.IntegerField(allow_null=True)
    threads = ThreadOutputSerializer(many=True)


def topic_data(topic: DraftTopic) -> dict:
    section = getattr(topic, "section", None)
    return TopicOutputSerializer(
        {
            "id": topic.pk,
            "title": topic.title,
            "title_edited": topic.title_edited,
            "position": topic.position,
            "section": section.pk if section is not None else None,
            "threads": list(topic.threads.all()),
        }
    ).data


@extend_schema_serializer(component_name="DraftTopicList")
class TopicListOutputSerializer(serializers.Serializer):
    results = TopicOutputSerializer(many=True)


class DraftApi(HandoverApi):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, runs.DraftRunActiveError | runs.DraftRunFinishedError):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, topics.TopicEditError):
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)


class DraftRunListApi(DraftApi):
    """The case's draft runs with their progress (GET); the subject starts one (POST)."""

    @extend_schema(
        operation_id="handover_case_drafts_list",
        responses={200: RunListOutputSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, case_id: int) -> Response:
        case = get_case_for_user(case_id=case_id, user=request.user)
        return Response(
            {"results": [run_data(run, request.user) for run in selectors.list_runs(case=case)]}
        )

    @extend_schema(
        operation_id="handover_case_drafts_start",
        request=None,
        responses={
            201: RunOutputSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, case_id: int) -> Response:
        case = get_case_for_user(case_id=case_id, user=request.user)
        run = runs.start_draft_run(case=case, by=request.user)
        return Response(run_data(run, request.user), status=status.HTTP_201_CREATED)


class DraftRunDetailApi(DraftApi):
    """One run's progress."""

    @extend_schema(responses={200: RunOutputSerializer, 404: ErrorSerializer})
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.get_run_for_user(run_id=run_id, user=request.user)
        return Response(run_data(run, request.user))


class DraftRunCancelApi(DraftApi):
    """Cancel a run (the subject only); 409 when it has finished."""

    @extend_schema(
        request=None,
        responses={
            200: RunOutputSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = selectors.get_run_for_user(run_id=run_id, user=request.user)
        run = runs.cancel_draft_run(run=run, by=request.user)
        return Response(run_data(run, request.user))


class DraftTopicListApi(DraftApi):
    """The run's topics and their threads (the subject only)."""

    @extend_schema(responses={200: TopicListOutputSerializer, 404: ErrorSerializer})
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.get_own_run_for_subject(run_id=run_id, user=request.user)
        return Response({"results": [topic_data(t) for t in selectors.list_topics(run=run)]})


def _topic_answer(run: DraftRun, topic_id: int) -> Response:
    topic = selectors.list_topics(run=run).get(pk=topic_id)
    return Response(topic_data(topic))


class DraftTopicRenameApi(DraftApi):
    """Rename a topic; the subject's title stays through rewrites."""

    @extend_schema_serializer(component_name="DraftTopicRename")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)

    @extend_schema(
        request=InputSerializer,
        responses={200: TopicOutputSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, run_id: int, topic_id: int) -> Response:
        run = selectors.get_own_run_for_subject(run_id=run_id, user=request.user)
        found = selectors.find_topics(run=run, topic_ids=[topic_id])
        if found is None:
            return Response({"detail": "No such topic."}, status=status.HTTP_404_NOT_FOUND)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topics.rename_topic(topic=found[0], title=data.validated_data["title"], by=request.user)
        return _topic_answer(run, topic_id)


class DraftTopicMergeApi(DraftApi):
    """Merge topics into the first named; its section is written again."""

    @extend_schema_serializer(component_name="DraftTopicMerge")
    class InputSerializer(serializers.Serializer):
        topics = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**62),
            min_length=2,
            max_length=MAX_IDS,
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: TopicOutputSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = selectors.get_own_run_for_subject(run_id=run_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = selectors.find_topics(run=run, topic_ids=data.validated_data["topics"])
        if found is None:
            return Response({"topics": ["No such topic of this draft."]}, status=400)
        target = topics.merge_topics(topics=found, by=request.user)
        return _topic_answer(run, target.pk)


class DraftTopicMoveApi(DraftApi):
    """Move threads to another topic, or split them into a new one (no ``to_topic``)."""

    @extend_schema_serializer(component_name="DraftTopicMove")
    class InputSerializer(serializers.Serializer):
        threads = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**62),
            min_length=1,
            max_length=MAX_IDS,
        )
        to_topic = serializers.IntegerField(
            min_value=1, max_value=2**62, required=False, allow_null=True
        )
        title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: TopicOutputSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = selectors.get_own_run_for_subject(run_id=run_id, user=request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        threads = selectors.find_threads(run=run, thread_ids=values["threads"])
        if threads is None:
            return Response({"threads": ["No such thread of this draft."]}, status=400)
        to_topic = None
        if values.get("to_topic"):
            found = selectors.find_topics(run=run, topic_ids=[values["to_topic"]])
            if found is None:
                return Response({"to_topic": ["No such topic of this draft."]}, status=400)
            to_topic = found[0]
        target = topics.move_threads(
            threads=threads, by=request.user, to_topic=to_topic, title=values.get("title", "")
        )
        return _topic_answer(run, target.pk)
