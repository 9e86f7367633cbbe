"""Serializers of users, pages and revisions shared by several wiki API views."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response

from wiki.http import page_etag
from wiki.models import Page
from wiki.selectors.rendering import page_url


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
        return page_url(page)

    def get_etag(self, page: Page) -> str:
        return page_etag(page)

    def get_tags(self, page: Page) -> list[str]:
        return [tag.name for tag in page.tags.all()]

    def get_owners(self, page: Page) -> list[str]:
        return [owner.username for owner in page.owners.all()]

    def get_is_stale(self, page: Page) -> bool:
        return page.is_stale


def _page_response(page: Page, *, status_code: int = 200, extra: dict | None = None) -> Response:
    """A page's detail with its ETag header (and ``extra`` keys, e.g. a merge notice)."""
    data = dict(PageDetailSerializer(page).data)
    if extra:
        data.update(extra)
    response = Response(data, status=status_code)
    response["ETag"] = page_etag(page)
    return response
