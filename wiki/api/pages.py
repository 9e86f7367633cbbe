"""API of pages: list and create, by path, detail with ETag-checked edits and deletion."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.pagination import PAGINATION_PARAMETERS, paginate, paginated
from wiki.api.common import (
    WikiApi,
    _existing_page,
    _not_modified,
    _page,
    _parse,
)
from wiki.api.serializers import PageDetailSerializer, PageSummarySerializer, _page_response
from wiki.errors import ConflictError, WikiError
from wiki.http import etag_base_number, etag_matches_current, page_etag, revision_etag
from wiki.models import Page, Revision, Role
from wiki.selectors.access import require_space_role
from wiki.selectors.pages import list_pages, resolve_page_for_user
from wiki.selectors.revisions import get_revision_for_user
from wiki.selectors.spaces import get_space_for_user
from wiki.selectors.templates import get_template_for_user
from wiki.services.pages import create_page
from wiki.services.revisions import publish_revision
from wiki.services.templates import fill_template
from wiki.services.tree import delete_page
from wiki.services.validation import MAX_TITLE_LENGTH


class PageListApi(WikiApi):
    """The live pages of a space (GET, filterable), or a new page in it (POST, editors)."""

    class FilterSerializer(serializers.Serializer):
        tag = serializers.CharField(required=False, max_length=64)
        parent = serializers.CharField(
            required=False, help_text="A page id, or 'root' for top-level pages."
        )
        owner = serializers.CharField(required=False, max_length=150)
        # A ChoiceField, not a BooleanField: DRF reads a missing boolean in a query string as
        # false, which would hide stale pages from every unfiltered list.
        stale = serializers.ChoiceField(choices=["true", "false"], required=False)

        def validate_parent(self, value: str) -> str:
            if value != "root" and not value.isdigit():
                raise serializers.ValidationError(_("Give a page id or 'root'."))
            return value

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=MAX_TITLE_LENGTH)
        body = serializers.CharField(
            required=False, allow_blank=True, default="", trim_whitespace=False
        )
        summary = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=300
        )
        parent_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        tags = serializers.ListField(
            child=serializers.CharField(max_length=64), required=False, default=list
        )
        review_by = serializers.DateField(required=False, allow_null=True, default=None)
        template_id = serializers.IntegerField(required=False, allow_null=True, default=None)

    @extend_schema(
        parameters=[
            OpenApiParameter("tag", str, description="Only pages with this tag."),
            OpenApiParameter("parent", str, description="A page id, or 'root'."),
            OpenApiParameter("owner", str, description="Only pages this username owns."),
            OpenApiParameter("stale", bool, description="Only pages past their review date."),
            *PAGINATION_PARAMETERS,
        ],
        responses=paginated("PaginatedPageList", PageSummarySerializer(many=True)),
    )
    def get(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        filters = _parse(self.FilterSerializer, request.query_params)
        parent = filters.get("parent")
        pages = list_pages(
            user=request.user,
            space=space,
            tag=filters.get("tag"),
            parent=int(parent) if parent and parent != "root" else parent,
            owner_username=filters.get("owner"),
            stale=filters["stale"] == "true" if "stale" in filters else None,
        )
        return paginate(self, request, pages, PageSummarySerializer)

    @extend_schema(request=InputSerializer, responses={201: PageDetailSerializer})
    def post(self, request: Request, key: str) -> Response:
        space = get_space_for_user(user=request.user, key=key)
        require_space_role(request.user, space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        parent = None
        if data["parent_id"] is not None:
            parent = _existing_page(
                request, data["parent_id"], _("The parent page does not exist.")
            )
        if data["template_id"] is not None:
            try:
                template = get_template_for_user(
                    user=request.user, template_id=data["template_id"], space=space
                )
            except Http404 as error:
                raise WikiError(_("That template does not exist.")) from error
            if not data["body"]:
                data["body"] = fill_template(template=template, title=data["title"])
        page = create_page(
            space=space,
            author=request.user,
            title=data["title"],
            body=data["body"],
            parent=parent,
            summary=data["summary"],
            tags=data["tags"],
            review_by=data["review_by"],
        )
        page = _page(request, page.pk)
        response = _page_response(page, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:wiki:page-detail", kwargs={"page_id": page.pk})
        return response


class PageByPathApi(WikiApi):
    """A page found by its space and path; an old path answers 301 to where it moved."""

    @extend_schema(
        responses={200: PageDetailSerializer, 301: OpenApiResponse(description="Moved.")}
    )
    def get(self, request: Request, key: str, path: str) -> Response:
        lookup = resolve_page_for_user(user=request.user, space_key=key, path=path.strip("/"))
        page = lookup.page
        if lookup.moved:
            target = reverse(
                "api:wiki:page-by-path", kwargs={"key": page.space.key, "path": page.path}
            )
            return Response(
                {"detail": _("The page moved."), "location": target},
                status=status.HTTP_301_MOVED_PERMANENTLY,
                headers={"Location": target},
            )
        if _not_modified(request, page):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": page_etag(page)})
        return _page_response(page)


class PageDetailApi(WikiApi):
    """A page (GET, with ETag), a new text for it (PUT/PATCH, If-Match), or trash it (DELETE)."""

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(allow_blank=True, trim_whitespace=False)
        summary = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=300
        )
        base_revision = serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="The revision number the edit started from; an alternative to If-Match.",
        )

    class SavedSerializer(PageDetailSerializer):
        status = serializers.ChoiceField(choices=["saved", "merged", "unchanged"])
        merged = serializers.BooleanField()
        notice = serializers.CharField()

    class ConflictSerializer(serializers.Serializer):
        """412: the edit overlaps a newer one (both texts), or If-Match names no version."""

        detail = serializers.CharField()
        etag = serializers.CharField(help_text="The page's current ETag.")
        yours = serializers.CharField(required=False, help_text="Only on a conflict.")
        current = serializers.CharField(required=False, help_text="Only on a conflict.")
        with_markers = serializers.CharField(required=False, help_text="Only on a conflict.")
        current_revision = serializers.IntegerField(required=False, help_text="Only on a conflict.")

    class PreconditionSerializer(serializers.Serializer):
        detail = serializers.CharField()
        etag = serializers.CharField()

    @extend_schema(
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER)],
        responses={200: PageDetailSerializer, 304: OpenApiResponse(description="Not modified.")},
    )
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        if _not_modified(request, page):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": page_etag(page)})
        return _page_response(page)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description='The ETag the edit started from, e.g. "12-3".',
            )
        ],
        request=InputSerializer,
        responses={
            200: SavedSerializer,
            412: ConflictSerializer,
            428: PreconditionSerializer,
        },
    )
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        require_space_role(request.user, page.space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        base = self._base_revision(request, page, data)
        if isinstance(base, Response):
            return base
        try:
            result = publish_revision(
                page=page,
                author=request.user,
                body=data["body"],
                base_revision=base,
                summary=data["summary"],
            )
        except ConflictError as conflict:
            return self._conflict(page, conflict)
        # publish_revision points ``page`` at the new revision (author, text, rendering
        # and all), so the answer needs no second lookup of the page and its joins.
        extra = {
            "status": result.status,
            "merged": result.status == "merged",
            "notice": result.notice,
        }
        return _page_response(page, extra=extra)

    @extend_schema(
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        request=InputSerializer,
        responses={
            200: SavedSerializer,
            412: ConflictSerializer,
            428: PreconditionSerializer,
        },
    )
    def patch(self, request: Request, page_id: int) -> Response:
        return self.put(request, page_id)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        delete_page(page=page, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _base_revision(self, request: Request, page: Page, data: dict) -> Revision | Response:
        """The revision the client started from, from If-Match or ``base_revision``.

        Answers 428 when neither is given and 412 when If-Match names no version of this
        page; ``If-Match: *`` means "the current version" (RFC 9110).
        """
        current = page.current_revision
        header = request.headers.get("If-Match", "").strip()
        if header:
            if etag_matches_current(header, page, allow_star=True):
                return current
            number = etag_base_number(header, page)
            if number is not None:
                return self._revision(request, page, number, header=True)
            return _precondition_answer(
                page,
                _(
                    "If-Match does not name a version of this page. Send the ETag from "
                    "GET, e.g. %(etag)s."
                )
                % {"etag": page_etag(page)},
                status.HTTP_412_PRECONDITION_FAILED,
            )
        if "base_revision" in data:
            return self._revision(request, page, data["base_revision"], header=False)
        return _precondition_answer(
            page,
            _(
                "Send If-Match with the page's ETag (or a base_revision field) so that a "
                "concurrent edit is merged, not overwritten. The current ETag is %(etag)s."
            )
            % {"etag": page_etag(page)},
            status.HTTP_428_PRECONDITION_REQUIRED,
        )

    def _revision(
        self, request: Request, page: Page, number: int, *, header: bool
    ) -> Revision | Response:
        try:
            return get_revision_for_user(user=request.user, page=page, number=number)
        except Http404:
            message = _("The revision you started from (%(number)d) does not exist.") % {
                "number": number
            }
            if header:
                return _precondition_answer(page, message, status.HTTP_412_PRECONDITION_FAILED)
            raise WikiError(message) from None

    def _conflict(self, page: Page, conflict: ConflictError) -> Response:
        current = conflict.current_revision
        etag = revision_etag(page.pk, current.number)
        body = {
            "detail": str(conflict),
            "yours": conflict.submitted,
            "current": current.body,
            "with_markers": conflict.merge.with_markers,
            "current_revision": current.number,
            "etag": etag,
        }
        return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers={"ETag": etag})


def _precondition_answer(page: Page, detail: str, status_code: int) -> Response:
    """A 412 or 428 that names the page's current ETag, in the body and the header."""
    etag = page_etag(page)
    return Response(
        {"detail": detail, "etag": etag},
        status=status_code,
        headers={"ETag": etag},
    )
