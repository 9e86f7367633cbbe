"""Reads of a page's revisions."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from wiki.models import (
    Page,
    Revision,
)
from wiki.selectors.access import readable_pages


def get_revision_for_user(*, user: AbstractBaseUser, page: Page, number: int) -> Revision:
    """Revision ``number`` of a page the caller already got through a getter, else 404."""
    # The caller holds the page already: joining it again fetched its whole text and search
    # vectors with every revision (two per diff).
    revision = (
        Revision.objects.filter(page=page, number=number, page__in=readable_pages(user=user))
        .select_related("author")
        .first()
    )
    if revision is None:
        raise Http404("No such revision.")
    revision.page = page
    return revision


def list_revisions(*, page: Page) -> QuerySet[Revision]:
    """A page's revisions, newest first, without their bodies."""
    return (
        Revision.objects.filter(page=page)
        .select_related("author")
        .defer("body", "rendered_html", "toc")
        .order_by("-number")
    )
