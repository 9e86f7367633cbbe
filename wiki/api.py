"""REST interfaces for the wiki: parse input, call a selector or a service, serialize.

The rules are the HTML views' rules: every object comes through an access-checked selector
(an object the user may not read answers 404, never 403); services raise
``WikiPermissionError`` (403) when the user can read the object but lacks the role.
The wiki's named errors become responses with a ``detail`` message: state conflicts (a title
already taken, a page with children, the last admin) 409, other refusals 400.

Concurrency control on page text: ``GET`` of a page answers a strong ``ETag`` naming its
current revision (``"<page id>-<revision number>"``). ``PUT``/``PATCH`` of the text needs
``If-Match`` (or a ``base_revision`` field) naming the revision the client started from:
428 when neither is given; a stale base whose changes do not overlap newer ones is merged
three-way (200, ``"merged": true`` and a notice); overlapping changes answer 412 with both
texts and the current ETag, and nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from core.models import Team
from wiki import selectors, services, space_archive
from wiki.diff import diff_inline, diff_side_by_side, diff_stats
from wiki.http import attachment_file_response
from wiki.models import Page, Revision, Role, Space

User = get_user_model()

# Errors that describe the state of the wiki rather than a malformed request.
CONFLICT_ERRORS = (
    services.PageTitleTakenError,
    services.PageHasChildrenError,
    services.LastAdminError,
    services.PageDeletedError,
)
MAX_SEARCH_RESULTS = 50
_ETAG_RE = re.compile(r'^"(\d+)-(\d+)"$')


# --- Shared pieces -----------------------------------------------------------------------------


class WikiApi(APIView):
    """Base of the wiki's API views: wiki errors become 400/409 with a ``detail`` message.

    Token authentication comes first so that an anonymous request answers 401 with a
    ``WWW-Authenticate: Token`` challenge instead of a bare 403.
    """

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Name the nested serializers' schema components after their view.

        Every view nests an ``InputSerializer`` and an ``OutputSerializer``; without this the
        OpenAPI schema would have one "Input" component for all of them (and core's too).
        """
        super().__init_subclass__(**kwargs)
        for attr, value in list(vars(cls).items()):
            if isinstance(value, type) and issubclass(value, serializers.BaseSerializer):
                name = f"Wiki{cls.__name__.removesuffix('Api')}{attr.removesuffix('Serializer')}"
                setattr(cls, attr, extend_schema_serializer(component_name=name)(value))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.WikiPermissionError) and str(exc):
            # Keep the service's reason ("You need the editor role…"), not DRF's generic one.
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, services.WikiError):
            code = status.HTTP_409_CONFLICT if isinstance(exc, CONFLICT_ERRORS) else 400
            return Response({"detail": str(exc)}, status=code)
        if isinstance(exc, ValidationError):
            # Keep DRF's per-field errors, and add one sentence a person can read.
            return Response(
                {"detail": _validation_sentence(exc.detail), "errors": exc.detail},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return super().handle_exception(exc)


def _validation_sentence(detail: Any, prefix: str = "") -> str:
    """Flatten DRF's nested error structure into "field: message; field: message"."""
    if isinstance(detail, dict):
        parts = [
            _validation_sentence(value, f"{prefix}{key}." if prefix else f"{key}")
            for key, value in detail.items()
        ]
        return "; ".join(part for part in parts if part)
    if isinstance(detail, list):
        return "; ".join(_validation_sentence(item, prefix) for item in detail)
    label = prefix.rstrip(".")
    if label in ("", "non_field_errors"):
        return str(detail)
    return f"{label}: {detail}"


def _parse(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _paginate(view: APIView, request: Request, queryset: Any, output: type) -> Response:
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(output(page, many=True).data)


def _paginated(name: str, item: serializers.Serializer) -> serializers.Serializer:
    """The schema of a LimitOffsetPagination answer whose results are ``item``s."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )


PAGINATION_PARAMETERS = [
    OpenApiParameter("limit", int, description="Results per page (default 50)."),
    OpenApiParameter("offset", int, description="Results to skip."),
]


def _require_role(user: AbstractBaseUser, space: Space, role: Role) -> None:
    """403 for a user who can read ``space`` but lacks ``role`` (the caller checked read)."""
    if not selectors.has_space_role(user=user, space=space, role=role):
        raise services.WikiPermissionError(
            _("You need the %(role)s role in this space.") % {"role": role}
        )


def _page(request: Request, page_id: int) -> Page:
    return selectors.get_page_by_id_for_user(user=request.user, page_id=page_id)


def page_etag(page: Page) -> str:
    """The strong ETag of a page's current text: its id and current revision number."""
    number = page.current_revision.number if page.current_revision_id else 0
    return f'"{page.pk}-{number}"'


class UserSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class RevisionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    summary = serializers.CharField()
    author = UserSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    merged = serializers.BooleanField()
    base_revision_id = serializers.IntegerField(allow_null=True)


class PageSummarySerializer(serializers.Serializer):
    """A page in a list: no text, enough to find and open it."""

    id = serializers.IntegerField()
    space = serializers.CharField(source="space.key")
    title = serializers.CharField()
    path = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    review_by = serializers.DateField(allow_null=True)
    updated_at = serializers.DateTimeField()
    revision = serializers.IntegerField(source="current_revision.number", allow_null=True)


class PageDetailSerializer(serializers.Serializer):
    """A page with its current text, rendered HTML and the rows around it."""

    id = serializers.IntegerField()
    space = serializers.CharField(source="space.key")
    title = serializers.CharField()
    slug = serializers.CharField()
    path = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()
    etag = serializers.SerializerMethodField()
    revision = RevisionSummarySerializer(source="current_revision", allow_null=True)
    body = serializers.CharField(source="current_revision.body", default="")
    rendered_html = serializers.CharField(source="current_revision.rendered_html", default="")
    toc = serializers.JSONField(source="current_revision.toc", default=list)
    tags = serializers.SerializerMethodField()
    owners = serializers.SerializerMethodField()
    review_by = serializers.DateField(allow_null=True)
    is_stale = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)
    verified_by = UserSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_url(self, page: Page) -> str:
        return services.page_url(page)

    def get_etag(self, page: Page) -> str:
        return page_etag(page)

    def get_tags(self, page: Page) -> list[str]:
        return [tag.name for tag in page.tags.all()]

    def get_owners(self, page: Page) -> list[str]:
        return [owner.username for owner in page.owners.all()]

    def get_is_stale(self, page: Page) -> bool:
        return page.review_by is not None and page.review_by <= timezone.localdate()


def _page_response(page: Page, *, status_code: int = 200, extra: dict | None = None) -> Response:
    """A page's detail with its ETag header (and ``extra`` keys, e.g. a merge notice)."""
    data = dict(PageDetailSerializer(page).data)
    if extra:
        data.update(extra)
    response = Response(data, status=status_code)
    response["ETag"] = page_etag(page)
    return response


# --- Spaces ------------------------------------------------------------------------------------


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
        responses=_paginated("PaginatedSpaceList", SpaceOutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        spaces = selectors.list_spaces(user=request.user)
        return _paginate(self, request, spaces, self.OutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: SpaceOutputSerializer})
    def post(self, request: Request) -> Response:
        data = _parse(self.InputSerializer, request.data)
        space = services.create_space(by=request.user, **data)
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
        space = selectors.get_space_for_user(user=request.user, key=key)
        space.role = selectors.get_space_role(user=request.user, space=space)
        space.page_count = selectors.list_pages(user=request.user, space=space).count()
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
        space = selectors.get_space_for_user(user=request.user, key=key)
        _require_role(request.user, space, Role.ADMIN)
        roles = selectors.list_space_roles(space=space)
        return Response(self.OutputSerializer(roles, many=True).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer(many=True))
    def post(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        _require_role(request.user, space, Role.ADMIN)
        data = _parse(self.InputSerializer, request.data)
        user = team = None
        if data["username"]:
            user = User.objects.filter(username=data["username"]).first()
            if user is None:
                raise services.WikiError(_("No user has that username."))
        else:
            team = Team.objects.filter(slug=data["team"]).first()
            if team is None:
                raise services.WikiError(_("No team has that slug."))
        role = None if data["role"] == "none" else data["role"]
        services.set_space_role(space=space, by=request.user, role=role, user=user, team=team)
        roles = selectors.list_space_roles(space=space)
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
        created_at = serializers.DateTimeField()

    @extend_schema(
        parameters=PAGINATION_PARAMETERS,
        responses=_paginated("PaginatedAuditEventList", OutputSerializer(many=True)),
    )
    def get(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        _require_role(request.user, space, Role.ADMIN)
        events = selectors.list_space_audit_events(space=space)
        return _paginate(self, request, events, self.OutputSerializer)


class SpaceTrashApi(WikiApi):
    """Pages in the space's trash (editors, who may undelete them)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        path = serializers.CharField()
        deleted_at = serializers.DateTimeField()
        deleted_by = serializers.CharField(
            source="deleted_by.username", allow_null=True, default=None
        )

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        _require_role(request.user, space, Role.EDITOR)
        pages = selectors.list_trash(space=space)
        return Response(self.OutputSerializer(pages, many=True).data)


class StaleOutputSerializer(PageSummarySerializer):
    owners = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)

    def get_owners(self, page: Page) -> list[str]:
        return [owner.username for owner in page.owners.all()]


class SpaceStaleApi(WikiApi):
    """Pages of a space past their review-by date, oldest first."""

    @extend_schema(responses=StaleOutputSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        pages = selectors.list_stale_pages(user=request.user, space=space).select_related(
            "current_revision"
        )
        return Response(StaleOutputSerializer(pages, many=True).data)


class StaleMineApi(WikiApi):
    """Pages the user owns, in any space, past their review-by date."""

    @extend_schema(responses=StaleOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        pages = selectors.list_stale_pages(user=request.user, owner=request.user).select_related(
            "current_revision"
        )
        return Response(StaleOutputSerializer(pages, many=True).data)


# --- Pages -------------------------------------------------------------------------------------


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
        title = serializers.CharField(max_length=services.MAX_TITLE_LENGTH)
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
        responses=_paginated("PaginatedPageList", PageSummarySerializer(many=True)),
    )
    def get(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        filters = _parse(self.FilterSerializer, request.query_params)
        pages = selectors.list_pages(user=request.user, space=space, tag=filters.get("tag"))
        if filters.get("parent") == "root":
            pages = pages.filter(parent__isnull=True)
        elif filters.get("parent"):
            pages = pages.filter(parent_id=int(filters["parent"]))
        if filters.get("owner"):
            pages = pages.filter(owners__username=filters["owner"])
        if "stale" in filters:
            stale = {"review_by__lte": timezone.localdate()}
            pages = pages.filter(**stale) if filters["stale"] == "true" else pages.exclude(**stale)
        return _paginate(
            self, request, pages.select_related("current_revision"), PageSummarySerializer
        )

    @extend_schema(request=InputSerializer, responses={201: PageDetailSerializer})
    def post(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        _require_role(request.user, space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        parent = None
        if data["parent_id"] is not None:
            parent = _existing_page(
                request, data["parent_id"], _("The parent page does not exist.")
            )
        if data["template_id"] is not None:
            try:
                template = selectors.get_template_for_user(
                    user=request.user, template_id=data["template_id"], space=space
                )
            except Http404 as error:
                raise services.WikiError(_("That template does not exist.")) from error
            if not data["body"]:
                data["body"] = services.fill_template(template=template, title=data["title"])
        page = services.create_page(
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


def _existing_page(request: Request, page_id: int, message: str) -> Page:
    """A page named in a request body: a missing or unreadable one is a bad input (400)."""
    try:
        return _page(request, page_id)
    except Http404 as error:
        raise services.WikiError(message) from error


def _not_modified(request: Request, page: Page) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return page_etag(page) in [tag.strip() for tag in wanted.split(",")]


class PageByPathApi(WikiApi):
    """A page found by its space and path; an old path answers 301 to where it moved."""

    @extend_schema(
        responses={200: PageDetailSerializer, 301: OpenApiResponse(description="Moved.")}
    )
    def get(self, request: Request, key: str, path: str) -> Response:
        path = path.strip("/")
        try:
            page = selectors.get_page_for_user(user=request.user, space_key=key, path=path)
        except Http404:
            moved = selectors.find_redirect_for_user(user=request.user, space_key=key, path=path)
            if moved is None:
                raise
            target = reverse(
                "api:wiki:page-by-path", kwargs={"key": moved.space.key, "path": moved.path}
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
        detail = serializers.CharField()
        yours = serializers.CharField()
        current = serializers.CharField()
        with_markers = serializers.CharField()
        current_revision = serializers.IntegerField()
        etag = serializers.CharField()

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
        _require_role(request.user, page.space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        base = self._base_revision(request, page, data)
        if isinstance(base, Response):
            return base
        try:
            result = services.publish_revision(
                page=page,
                author=request.user,
                body=data["body"],
                base_revision=base,
                summary=data["summary"],
            )
        except services.ConflictError as conflict:
            return self._conflict(page, conflict)
        page = _page(request, page.pk)
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
        services.delete_page(page=page, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _base_revision(self, request: Request, page: Page, data: dict) -> Revision | Response:
        """The revision the client started from, from If-Match or ``base_revision``.

        Answers 428 when neither is given and 412 when If-Match names no version of this
        page; ``If-Match: *`` means "the current version" (RFC 9110).
        """
        current = page.current_revision
        header = request.headers.get("If-Match", "").strip()
        if header:
            tags = [tag.strip() for tag in header.split(",") if tag.strip()]
            if "*" in tags or page_etag(page) in tags:
                return current
            for tag in tags:
                match = _ETAG_RE.match(tag)
                if match and int(match.group(1)) == page.pk:
                    return self._revision(request, page, int(match.group(2)), header=True)
            return Response(
                {
                    "detail": _(
                        "If-Match does not name a version of this page. Send the ETag from "
                        "GET, e.g. %(etag)s."
                    )
                    % {"etag": page_etag(page)},
                    "etag": page_etag(page),
                },
                status=status.HTTP_412_PRECONDITION_FAILED,
                headers={"ETag": page_etag(page)},
            )
        if "base_revision" in data:
            return self._revision(request, page, data["base_revision"], header=False)
        return Response(
            {
                "detail": _(
                    "Send If-Match with the page's ETag (or a base_revision field) so that a "
                    "concurrent edit is merged, not overwritten. The current ETag is %(etag)s."
                )
                % {"etag": page_etag(page)},
                "etag": page_etag(page),
            },
            status=status.HTTP_428_PRECONDITION_REQUIRED,
            headers={"ETag": page_etag(page)},
        )

    def _revision(
        self, request: Request, page: Page, number: int, *, header: bool
    ) -> Revision | Response:
        try:
            return selectors.get_revision_for_user(user=request.user, page=page, number=number)
        except Http404:
            message = _("The revision you started from (%(number)d) does not exist.") % {
                "number": number
            }
            if header:
                return Response(
                    {"detail": message, "etag": page_etag(page)},
                    status=status.HTTP_412_PRECONDITION_FAILED,
                    headers={"ETag": page_etag(page)},
                )
            raise services.WikiError(message) from None

    def _conflict(self, page: Page, conflict: services.ConflictError) -> Response:
        current = conflict.current_revision
        etag = f'"{page.pk}-{current.number}"'
        body = {
            "detail": str(conflict),
            "yours": conflict.submitted,
            "current": current.body,
            "with_markers": conflict.merge.with_markers,
            "current_revision": current.number,
            "etag": etag,
        }
        return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers={"ETag": etag})


class PageMoveApi(WikiApi):
    """Rename a page and/or move it under another parent (``parent_id`` null: top level)."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=services.MAX_TITLE_LENGTH)
        parent_id = serializers.IntegerField(required=False, allow_null=True)

        def validate(self, attrs: dict) -> dict:
            if not attrs:
                raise serializers.ValidationError(_("Give a new title, a parent_id, or both."))
            return attrs

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        _require_role(request.user, page.space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        # One request, two use cases: either both happen or neither does.
        with transaction.atomic():
            if "parent_id" in data:
                parent = None
                if data["parent_id"] is not None:
                    parent = _existing_page(
                        request, data["parent_id"], _("The chosen parent page does not exist.")
                    )
                page = services.move_page(page=page, by=request.user, new_parent=parent)
            if "title" in data:
                page = services.rename_page(page=page, by=request.user, new_title=data["title"])
        return _page_response(_page(request, page.pk))


class PageUndeleteApi(WikiApi):
    """Bring a page back from the trash (editors)."""

    @extend_schema(request=None, responses=PageDetailSerializer)
    def post(self, request: Request, page_id: int) -> Response:
        page = selectors.get_page_by_id_for_user(
            user=request.user, page_id=page_id, include_deleted=True
        )
        page = services.undelete_page(page=page, by=request.user)
        return _page_response(_page(request, page.pk))


class PageRevisionListApi(WikiApi):
    """A page's revisions, newest first, without their text."""

    @extend_schema(
        operation_id="wiki_page_revision_list",
        parameters=PAGINATION_PARAMETERS,
        responses=_paginated("PaginatedRevisionList", RevisionSummarySerializer(many=True)),
    )
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        revisions = selectors.list_revisions(page=page)
        return _paginate(self, request, revisions, RevisionSummarySerializer)


class PageRevisionDetailApi(WikiApi):
    """One revision of a page with its text and rendered HTML."""

    class OutputSerializer(RevisionSummarySerializer):
        body = serializers.CharField()
        rendered_html = serializers.CharField()
        toc = serializers.JSONField()

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, page_id: int, number: int) -> Response:
        page = _page(request, page_id)
        revision = selectors.get_revision_for_user(user=request.user, page=page, number=number)
        return Response(self.OutputSerializer(revision).data)


class PageRevisionRestoreApi(WikiApi):
    """Make an old revision's text current again, as a new revision (editors; POST only)."""

    @extend_schema(request=None, responses={201: PageDetailSerializer})
    def post(self, request: Request, page_id: int, number: int) -> Response:
        page = _page(request, page_id)
        revision = selectors.get_revision_for_user(user=request.user, page=page, number=number)
        services.restore_revision(page=page, revision=revision, by=request.user)
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
        old = selectors.get_revision_for_user(user=request.user, page=page, number=from_number)
        new = selectors.get_revision_for_user(user=request.user, page=page, number=to_number)
        data = {
            "page_id": page.pk,
            "from_revision": old.number,
            "to_revision": new.number,
            "stats": diff_stats(old.body, new.body),
            "inline_html": diff_inline(old.body, new.body),
            "rows": diff_side_by_side(old.body, new.body),
        }
        return Response(self.OutputSerializer(data).data)


# --- Tags, owners, freshness -------------------------------------------------------------------


class PageTagsApi(WikiApi):
    """Replace a page's tags (editors)."""

    class InputSerializer(serializers.Serializer):
        tags = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=True)

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        data = _parse(self.InputSerializer, request.data)
        services.set_page_tags(page=page, by=request.user, names=data["tags"])
        return _page_response(_page(request, page.pk))


class PageOwnersApi(WikiApi):
    """Replace a page's owners by username (editors); each must be able to read the space."""

    class InputSerializer(serializers.Serializer):
        owners = serializers.ListField(
            child=serializers.CharField(max_length=150), allow_empty=True
        )

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        _require_role(request.user, page.space, Role.EDITOR)
        names = list(dict.fromkeys(_parse(self.InputSerializer, request.data)["owners"]))
        owners = list(User.objects.filter(username__in=names))
        missing = sorted(set(names) - {owner.username for owner in owners})
        if missing:
            raise services.WikiError(
                _("Unknown usernames: %(names)s") % {"names": ", ".join(missing)}
            )
        services.set_page_owners(page=page, by=request.user, owners=owners)
        return _page_response(_page(request, page.pk))


class PageReviewApi(WikiApi):
    """Set or clear the date by which the page should be checked again (editors)."""

    class InputSerializer(serializers.Serializer):
        review_by = serializers.DateField(allow_null=True)

    @extend_schema(request=InputSerializer, responses=PageDetailSerializer)
    def put(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        data = _parse(self.InputSerializer, request.data)
        services.set_review_by(page=page, by=request.user, review_by=data["review_by"])
        return _page_response(_page(request, page.pk))


class PageVerifyApi(WikiApi):
    """An owner (or a space admin) confirms the page is still right."""

    @extend_schema(request=None, responses=PageDetailSerializer)
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        services.mark_verified(page=page, by=request.user)
        return _page_response(_page(request, page.pk))


# --- Comments and attachments ------------------------------------------------------------------


class PageCommentListApi(WikiApi):
    """A page's comments (GET), or a new one (POST, any reader; @username notifies)."""

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=services.MAX_COMMENT_LENGTH)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        author = UserSerializer(allow_null=True)
        body = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        comments = selectors.list_comments(page=page)
        return Response(self.OutputSerializer(comments, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        data = _parse(self.InputSerializer, request.data)
        comment = services.add_comment(page=page, author=request.user, body=data["body"])
        return Response(self.OutputSerializer(comment).data, status=status.HTTP_201_CREATED)


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_by = serializers.CharField(
        source="uploaded_by.username", allow_null=True, default=None
    )
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Any) -> str:
        return reverse("api:wiki:attachment-detail", kwargs={"attachment_id": attachment.pk})


class PageAttachmentListApi(WikiApi):
    """A page's files (GET), or upload one (POST multipart ``file``, editors).

    The upload goes through the same checks as the HTML form: size limit, sniffed type.
    """

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(responses=AttachmentOutputSerializer(many=True))
    def get(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        attachments = selectors.list_attachments(page=page)
        return Response(AttachmentOutputSerializer(attachments, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: AttachmentOutputSerializer},
    )
    def post(self, request: Request, page_id: int) -> Response:
        page = _page(request, page_id)
        _require_role(request.user, page.space, Role.EDITOR)
        data = _parse(self.InputSerializer, request.data)
        attachment = services.upload_attachment(page=page, by=request.user, upload=data["file"])
        return Response(AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDetailApi(WikiApi):
    """Download a file (images inline, others as attachments, never sniffed), or delete it."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, attachment_id: int) -> HttpResponse:
        attachment = selectors.get_attachment_for_user(
            user=request.user, attachment_id=attachment_id
        )
        return attachment_file_response(attachment)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, attachment_id: int) -> Response:
        attachment = selectors.get_attachment_for_user(
            user=request.user, attachment_id=attachment_id
        )
        services.delete_attachment(attachment=attachment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Search ------------------------------------------------------------------------------------


class SearchApi(WikiApi):
    """Ranked full-text search over the pages the user may read, with highlighted snippets.

    ``q`` uses websearch syntax ("quoted phrase", -excluded, or); Chinese is matched too.
    ``snippet`` is escaped HTML whose only tags are ``<mark>``.
    """

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=500)
        space = serializers.CharField(required=False, max_length=64)
        tag = serializers.CharField(required=False, max_length=64)
        limit = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_SEARCH_RESULTS, default=20
        )

    class OutputSerializer(serializers.Serializer):
        page = PageSummarySerializer()
        rank = serializers.FloatField()
        snippet = serializers.CharField()

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="The query."),
            OpenApiParameter("space", str, description="Only this space (its key)."),
            OpenApiParameter("tag", str, description="Only pages with this tag."),
            OpenApiParameter("limit", int, description=f"At most {MAX_SEARCH_RESULTS}."),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = _parse(self.FilterSerializer, request.query_params)
        space = None
        if filters.get("space"):
            space = selectors.get_space_for_user(user=request.user, key=filters["space"])
        hits = selectors.search_pages(
            user=request.user,
            query=filters["q"],
            space=space,
            tag=filters.get("tag") or None,
            limit=filters["limit"],
        )
        return Response(self.OutputSerializer(hits, many=True).data)


# --- Export and import -------------------------------------------------------------------------


class SpaceExportApi(WikiApi):
    """Download a space as a zip of Markdown files with its attachments (space admins)."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, key: str) -> HttpResponse:
        space = selectors.get_space_for_user(user=request.user, key=key)
        archive = space_archive.export_space_archive(space=space, by=request.user)
        response = FileResponse(
            archive, as_attachment=True, filename=f"{space.key}.zip", content_type="application/zip"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ImportReportSerializer(serializers.Serializer):
    space = serializers.CharField(source="space.key")
    pages = serializers.IntegerField()
    attachments = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())


class SpaceImportApi(WikiApi):
    """Import a space export zip into this space, which must have no live pages (admins)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportReportSerializer},
    )
    def post(self, request: Request, key: str) -> Response:
        space = selectors.get_space_for_user(user=request.user, key=key)
        data = _parse(self.InputSerializer, request.data)
        report = space_archive.import_space_archive(
            space=space, archive_file=data["file"], by=request.user
        )
        return Response(ImportReportSerializer(report).data, status=status.HTTP_201_CREATED)


class SpaceImportNewApi(WikiApi):
    """Create a space and fill it from an export zip, in one transaction (any signed-in user)."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        name = serializers.CharField(max_length=120)
        key = serializers.CharField(max_length=64)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        is_private = serializers.BooleanField(required=False, default=True)

    @extend_schema(
        operation_id="wiki_space_import_new",
        request={"multipart/form-data": InputSerializer},
        responses={201: ImportReportSerializer},
    )
    def post(self, request: Request) -> Response:
        data = _parse(self.InputSerializer, request.data)
        upload = data.pop("file")
        with transaction.atomic():
            space = services.create_space(by=request.user, **data)
            report = space_archive.import_space_archive(
                space=space, archive_file=upload, by=request.user
            )
        response = Response(ImportReportSerializer(report).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:wiki:space-detail", kwargs={"key": space.key})
        return response
