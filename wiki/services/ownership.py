"""Ownership and freshness of pages: owners, review dates, verification, tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from wiki.errors import WikiError, WikiPermissionError
from wiki.models import (
    Page,
    Role,
    Space,
    Tag,
)
from wiki.selectors.access import has_space_role, require_space_role
from wiki.selectors.ownership import can_verify_page

# A verified page with a review date is due again this many days later.
REVIEW_INTERVAL_DAYS = 90


@transaction.atomic
def set_page_owners(
    *, page: Page, by: AbstractBaseUser, owners: Sequence[AbstractBaseUser]
) -> Page:
    """Replace the page's owners; each must be able to read the space."""
    require_space_role(by, page.space, Role.EDITOR)
    for owner in owners:
        if not has_space_role(user=owner, space=page.space, role=Role.READER):
            raise WikiError(
                _("%(name)s cannot read this space, so cannot own its pages.")
                % {"name": owner.get_username()}
            )
    before = sorted(page.owners.values_list("pk", flat=True))
    page.owners.set(owners)
    record_audit_event(
        actor=by,
        action="page.owners_set",
        target=page,
        scope=page.space.audit_scope,
        details={"before": before, "after": sorted(owner.pk for owner in owners)},
    )
    return page


@transaction.atomic
def reassign_pages(
    *,
    from_user: AbstractBaseUser,
    to_user: AbstractBaseUser,
    by: AbstractBaseUser | None,
    space: Space | None = None,
) -> int:
    """Hand every page ``from_user`` owns (optionally in one space) over to ``to_user``.

    Used by the handover workflow, which authorises the call itself. Returns how many pages
    changed; one audit row per space records it.
    """
    if from_user.pk == to_user.pk:
        return 0
    pages = Page.objects.filter(owners=from_user).select_related("space")
    if space is not None:
        pages = pages.filter(space=space)
    pages = list(pages)
    per_space: dict[int, list[int]] = {}
    for page in pages:
        page.owners.remove(from_user)
        page.owners.add(to_user)
        per_space.setdefault(page.space_id, []).append(page.pk)
    spaces = {page.space_id: page.space for page in pages}
    for space_id, page_ids in per_space.items():
        record_audit_event(
            actor=by,
            action="page.owners_reassigned",
            target=spaces[space_id],
            scope=spaces[space_id].audit_scope,
            details={"from_user_id": from_user.pk, "to_user_id": to_user.pk, "pages": page_ids},
        )
    return len(pages)


@transaction.atomic
def mark_verified(*, page: Page, by: AbstractBaseUser, today: date | None = None) -> Page:
    """Record that an owner (or a space admin) checked the page is still right.

    A page with a review date gets the next one ``REVIEW_INTERVAL_DAYS`` from today.
    """
    if not can_verify_page(user=by, page=page):
        raise WikiPermissionError(_("Only the page's owners or a space admin can verify it."))
    today = today or timezone.localdate()
    page.verified_at = timezone.now()
    page.verified_by = by
    fields = ["verified_at", "verified_by"]
    if page.review_by is not None:
        page.review_by = today + timedelta(days=REVIEW_INTERVAL_DAYS)
        fields.append("review_by")
    page.save(update_fields=fields)
    record_audit_event(
        actor=by,
        action="page.verified",
        target=page,
        scope=page.space.audit_scope,
        details={"review_by": page.review_by.isoformat() if page.review_by else None},
    )
    return page


@transaction.atomic
def set_review_by(*, page: Page, by: AbstractBaseUser, review_by: date | None) -> Page:
    """Set or clear the date by which the page should be checked again."""
    require_space_role(by, page.space, Role.EDITOR)
    before = page.review_by
    page.review_by = review_by
    page.save(update_fields=["review_by"])
    if before != review_by:
        record_audit_event(
            actor=by,
            action="page.review_by_set",
            target=page,
            scope=page.space.audit_scope,
            details={
                "before": before.isoformat() if before else None,
                "after": review_by.isoformat() if review_by else None,
            },
        )
    return page


def _set_tags(page: Page, names: Iterable[str]) -> list[str]:
    """Replace the page's tags (lowercased, blanks and repeats dropped); return the names."""
    cleaned = []
    for name in names:
        name = " ".join(name.split()).lower()[:64]
        if name and name not in cleaned:
            cleaned.append(name)
    tags = [Tag.objects.get_or_create(name=name)[0] for name in cleaned]
    page.tags.set(tags)
    return cleaned


@transaction.atomic
def set_page_tags(*, page: Page, by: AbstractBaseUser, names: Sequence[str]) -> Page:
    """Replace the page's tags (lowercased, blanks dropped)."""
    require_space_role(by, page.space, Role.EDITOR)
    before = sorted(page.tags.values_list("name", flat=True))
    after = sorted(_set_tags(page, names))
    if before != after:
        record_audit_event(
            actor=by,
            action="page.tags_set",
            target=page,
            scope=page.space.audit_scope,
            personal={"before": before, "after": after},
        )
    return page


@transaction.atomic
def update_page_settings(
    *,
    page: Page,
    by: AbstractBaseUser,
    owners: Sequence[AbstractBaseUser],
    review_by: date | None,
    tags: Sequence[str],
) -> Page:
    """Set a page's owners, review-by date and tags together: all three or none."""
    set_page_owners(page=page, by=by, owners=owners)
    set_review_by(page=page, by=by, review_by=review_by)
    set_page_tags(page=page, by=by, names=tags)
    return page


@transaction.atomic
def flag_page_for_review(
    *, page: Page, by: AbstractBaseUser, note: str, today: date | None = None
) -> int:
    """A reader found the page wanting: it is due for review today and its owners are told.

    Anyone who may read the page may flag it (a flag is work for the owners, never a
    silent change to what the page says). The review-by date only moves earlier. Returns
    how many owners were notified (none if the page has no owner who can read it).
    """
    from wiki.models import Notification
    from wiki.selectors.access import get_space_role

    if get_space_role(user=by, space=page.space) is None:
        raise WikiPermissionError(_("You cannot read this page."))
    today = today or timezone.localdate()
    page = Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)
    before = page.review_by
    if before is None or before > today:
        page.review_by = today
        page.save(update_fields=["review_by"])
    owners = [
        owner
        for owner in page.owners.all()
        if owner.pk != by.pk and get_space_role(user=owner, space=page.space) is not None
    ]
    Notification.objects.bulk_create(
        [
            Notification(
                user=owner,
                kind=Notification.Kind.REVIEW,
                page=page,
                actor=by,
                note=note[:500],
            )
            for owner in owners
        ]
    )
    record_audit_event(
        actor=by,
        action="page.flagged_for_review",
        target=page,
        scope=page.space.audit_scope,
        details={
            "before": before.isoformat() if before else None,
            "after": page.review_by.isoformat() if page.review_by else None,
            "notified": len(owners),
        },
    )
    return len(owners)
