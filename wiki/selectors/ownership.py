"""Reads about ownership and freshness: who may verify, stale and owned pages."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from wiki.models import (
    Page,
    Role,
    Space,
)
from wiki.selectors.access import get_space_role, readable_pages


def with_staleness(pages: QuerySet[Page], *, today: date | None = None) -> QuerySet[Page]:
    """Annotate each page's ``is_stale``: it has a review-by date and that date has come.

    The one definition of a stale page: lists filter on it, views and the API show it.
    """
    today = today or timezone.localdate()
    due = Q(review_by__isnull=False, review_by__lte=today)
    return pages.annotate(is_stale=ExpressionWrapper(due, output_field=BooleanField()))


def can_verify_page(
    *,
    user: AbstractBaseUser,
    page: Page,
    role: str | None = "",
    owner_ids: set[int] | None = None,
) -> bool:
    """Owners who can still read the space, and space admins, may mark a page verified.

    A view that already knows the user's ``role`` (None: no role) and the page's
    ``owner_ids`` passes them to save two queries.
    """
    if role == "":
        role = get_space_role(user=user, space=page.space)
    if role is None:
        return False
    if owner_ids is None:
        owner_ids = set(page.owners.values_list("pk", flat=True))
    return user.pk in owner_ids or role == Role.ADMIN


def list_stale_pages(
    *,
    user: AbstractBaseUser,
    space: Space | None = None,
    owner: AbstractBaseUser | None = None,
    today: date | None = None,
) -> QuerySet[Page]:
    """Live, readable pages whose review-by date has passed, oldest first.

    Filter by ``space`` for the space's list and by ``owner`` for "my pages to review".
    """
    pages = with_staleness(readable_pages(user=user), today=today).filter(is_stale=True)
    if space is not None:
        pages = pages.filter(space=space)
    if owner is not None:
        pages = pages.filter(owners=owner)
    return (
        pages.select_related("space", "verified_by", "current_revision")
        .prefetch_related("owners")
        .order_by("review_by", "title")
    )


def list_owned_pages(*, user: AbstractBaseUser, owner: AbstractBaseUser) -> QuerySet[Page]:
    """Live pages ``owner`` owns that ``user`` may read (a handover lists these)."""
    return (
        readable_pages(user=user)
        .filter(owners=owner)
        .select_related("space")
        .defer("search_vector", "title_vector", "search_text")
        .order_by("space__name", "path")
    )
