"""API of a page's revisions: list, detail, restore, diff."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import PAGINATION_PARAMETERS, paginate, paginated
from wiki.api.common import WikiApi, _page, _parse
from wiki.api.serializers import PageDetailSerializer, RevisionSummarySerializer, _page_response
from wiki.selectors.revisions import (
    diff_revisions,
    get_revision_for_user,
    get_revision_pair_for_user,
    list_revisions,
)
from wiki.services.revisions import restore_revision


class PageRevisionListApi(WikiApi):
    """A page's revisions, newest first, without their text."""

    @extend_schema(
        operation_id="wiki_page_revision_list",
        parameters=PAGINATION_PARAMETERS,
        responses=paginated("PaginatedRevisionList", RevisionSummarySerializer(many=True)),
    )
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        revisions = list_revisions(page=page)
        return paginate(self, request, revisions, RevisionSummarySerializer)


class PageRevisionDetailApi(WikiApi):
    """One revision of a page with its text and rendered HTML."""

    class OutputSerializer(RevisionSummarySerializer):
        body = serializers.CharField()
        rendered_html = serializers.CharField()
        toc = serializers.JSONField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, page_id: int, number: int) -> Response:
        page = _page(request, page_id)
        revision = get_revision_for_user(user=request.user, page=page, number=number)
        return Response(self.OutputSerializer(revision).data)


class PageRevisionRestoreApi(WikiApi):
    """Make an old revision's text current again, as a new revision (editors; POST only)."""

    @extend_schema(request=None, responses={201: PageDetailSerializer})
    def post(self, request: Request, page_id: int, number: int) -> Response:
        page = _page(request, page_id)
        revision = get_revision_for_user(user=request.user, page=page, number=number)
        restore_revision(page=page, revision=revision, by=request.user)
        return _page_response(_page(request, page.pk), status_code=status.HTTP_201_CREATED)


class PageDiffApi(WikiApi):
    """The difference between two revisions: stats, inline HTML and side-by-side rows.

    ``from`` defaults to the revision before ``to``, ``to`` to the current one. The HTML
    fragments are escaped page text with ``<ins>``/``<del>`` around changed words.
    """

    class FilterSerializer(serializers.Serializer):
        # "from" is a Python keyword, hence the declared field names below.
        to = serializers.IntegerField(required=False, min_value=1)

        def get_fields(self) -> dict:
            fields = super().get_fields()
            fields["from"] = serializers.IntegerField(required=False, min_value=1)
            return fields

    class OutputSerializer(serializers.Serializer):
        class RowSerializer(serializers.Serializer):
            kind = serializers.ChoiceField(choices=["equal", "insert", "delete", "replace"])
            old_no = serializers.IntegerField(allow_null=True)
            old_html = serializers.CharField()
            new_no = serializers.IntegerField(allow_null=True)
            new_html = serializers.CharField()

        class StatsSerializer(serializers.Serializer):
            added = serializers.IntegerField()
            removed = serializers.IntegerField()

        page_id = serializers.IntegerField()
        from_revision = serializers.IntegerField()
        to_revision = serializers.IntegerField()
        stats = StatsSerializer()
        inline_html = serializers.CharField()
        rows = RowSerializer(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, description="The older revision number."),
            OpenApiParameter("to", int, description="The newer revision number."),
        ],
        responses=OutputSerializer,
    )
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        filters = _parse(self.FilterSerializer, request.query_params)
        to_number = filters.get("to", page.current_revision.number)
        from_number = filters.get("from", max(to_number - 1, 1))
        old, new = get_revision_pair_for_user(
            user=request.user, page=page, old_number=from_number, new_number=to_number
        )
        diff = diff_revisions(old=old, new=new)
        data = {
            "page_id": page.pk,
            "from_revision": old.number,
            "to_revision": new.number,
            "stats": diff.stats,
            "inline_html": diff.inline_html,
            "rows": diff.rows,
        }
        return Response(self.OutputSerializer(data).data)
