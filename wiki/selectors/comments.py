"""Reads of page comments."""

from django.db.models import QuerySet

from wiki.models import (
    Comment,
    Page,
)


def list_comments(*, page: Page) -> QuerySet[Comment]:
    return Comment.objects.filter(page=page).select_related("author").order_by("created_at")
