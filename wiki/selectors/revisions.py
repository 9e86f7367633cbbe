"""Reads of a page's revisions, and the diff between two of them."""

import hashlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404

from core.compiled_queries import CompiledQuery
from wiki.diff import DiffRow, DiffStats, diff_side_by_side, inline_html, stats_of
from wiki.models import (
    Page,
    Revision,
)
from wiki.selectors.access import readable_pages

# Part of every diff's cache key: change it when the diff's output changes, so that a cache
# shared by several releases (Redis) never serves the old shape.
DIFF_FORMAT = 1
# A diff is recomputed at the latest after a day, so an unused one leaves a shared cache.
DIFF_CACHE_SECONDS = 24 * 3600


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


def _revision_pair(
    user_pk: int, page_id: int, old_number: int, new_number: int
) -> QuerySet[Revision]:
    # Both numbers always take a place in the IN list (twice the same one for a diff of a
    # revision with itself), so the SQL keeps one shape.
    user = get_user_model()(pk=user_pk)
    return Revision.objects.filter(
        page_id=page_id,
        number__in=[old_number, new_number],
        page__in=readable_pages(user=user),
    ).only("id", "page_id", "number", "body", "author_id", "created_at")


# The diff's query, compiled once per process (core.compiled_queries): building its access
# subquery cost the ORM ~2 ms of Python a diff. The markers: see core.compiled_queries.
_PAIR_LOOKUP = CompiledQuery(
    _revision_pair,
    user_pk=-2_147_000_001,
    page_id=-2_147_000_002,
    old_number=2_147_000_004,
    new_number=2_147_000_005,
)


def get_revision_pair_for_user(
    *, user: AbstractBaseUser, page: Page, old_number: int, new_number: int
) -> tuple[Revision, Revision]:
    """Revisions ``old_number`` and ``new_number`` of a page, for a diff, else 404.

    One query for both, with only what a diff shows (their numbers and texts); the same
    access rule as ``get_revision_for_user``.
    """
    if user.is_authenticated and type(old_number) is int and type(new_number) is int:
        found = _PAIR_LOOKUP.all(
            user_pk=user.pk, page_id=page.pk, old_number=old_number, new_number=new_number
        )
    else:
        found = Revision.objects.filter(
            page=page, number__in={old_number, new_number}, page__in=readable_pages(user=user)
        ).only("id", "page_id", "number", "body", "author_id", "created_at")
    revisions = {revision.number: revision for revision in found}
    if old_number not in revisions or new_number not in revisions:
        raise Http404("No such revision.")
    for revision in revisions.values():
        revision.page = page
    return revisions[old_number], revisions[new_number]


@dataclass(frozen=True)
class RevisionDiff:
    """What a diff view shows: the counts, and the inline HTML and/or the side-by-side rows."""

    stats: DiffStats
    inline_html: str
    rows: list[DiffRow]


def diff_revisions(
    *, old: Revision, new: Revision, inline: bool = True, side: bool = True
) -> RevisionDiff:
    """The diff between two revisions: ``inline`` HTML and/or ``side`` rows ("" / [] if not).

    Cached: the key is a digest of both texts, so it names the same diff in every process
    and on every machine, and a revision's text never changes (rows are only inserted).
    The texts are those of revisions the caller got through an access-checked getter; the
    diff holds nothing but them.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(old.body.encode())
    digest.update(b"\0")
    digest.update(new.body.encode())
    key = f"wiki:diff:{DIFF_FORMAT}:{digest.hexdigest()}:{int(inline)}{int(side)}"
    found = cache.get(key)
    if found is not None:
        return found
    rows = diff_side_by_side(old.body, new.body)
    result = RevisionDiff(
        stats=stats_of(rows),
        inline_html=inline_html(rows) if inline else "",
        rows=rows if side else [],
    )
    cache.set(key, result, DIFF_CACHE_SECONDS)
    return result


def list_revisions(*, page: Page) -> QuerySet[Revision]:
    """A page's revisions, newest first, without their bodies."""
    return (
        Revision.objects.filter(page=page)
        .select_related("author")
        .defer("body", "rendered_html", "toc")
        .order_by("-number")
    )
