"""Writes of publishing: the case's pages into the wiki, their purge, the subject's pages on.

Everything reaches the wiki through ``wiki.services``; the handover keeps its own record
of what it published (``PublishedPage``) so that a withdrawal can find and purge it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import AuditEvent
from core.services import record_audit_event
from handover.cases import services as case_services
from handover.cases.selectors import is_subject_of
from handover.consent.purge import PurgeScope
from handover.consent.read import consented_messages, live_grants
from handover.errors import CasePermissionError, ConsentRequiredError, HandoverError
from handover.models import (
    DraftSection,
    DraftSentence,
    HandoverCase,
    Message,
    PageReassignment,
    PublishedPage,
    Purpose,
)
from handover.publishing.render import (
    PublishableSentence,
    attribution,
    page_title,
    render_root,
    render_section,
)
from wiki import services as wiki
from wiki.models import Page, Role
from wiki.selectors.access import has_space_role
from wiki.selectors.ownership import list_owned_pages

State = HandoverCase.State
PUBLISHABLE_STATES = frozenset({State.REVIEW, State.PUBLISHED})
REVIEW_AFTER_DAYS = 90
PURGE_REASON = "consent_withdrawn"


def subject_label(case: HandoverCase) -> str | None:
    """The subject's name when a live ATTRIBUTE grant allows it, else None."""
    if not live_grants(case=case, purpose=Purpose.ATTRIBUTE).exists():
        return None
    subject = case.subject
    return subject.get_full_name() or subject.get_username()


def review_date(case: HandoverCase, today: date | None = None) -> date:
    """When the published pages are due for review: 90 days after today or the last day."""
    today = today or timezone.localdate()
    return max(today, case.last_day) + timedelta(days=REVIEW_AFTER_DAYS)


def publishable_sentences(
    *, case: HandoverCase, section: DraftSection, served: set[int]
) -> list[PublishableSentence]:
    """The section's approved sentences whose citations consent still serves for publishing.

    A cited sentence keeps only its served citations and is left out when none is left;
    an interview answer cites nothing (the subject is its source) and is kept, as is a
    sentence of a plugin's section (people wrote it in the plugin, not in the threads).
    """
    chosen = []
    for sentence in section.sentences.all():
        if sentence.status != DraftSentence.Status.APPROVED:
            continue
        cited = [citation.message_id for citation in sentence.citations.all()]
        kept = tuple(message_id for message_id in cited if message_id in served)
        is_answer = sentence.part in (
            DraftSentence.Part.ANSWER,
            DraftSentence.Part.CONTRIBUTED,
        ) or (section.kind == DraftSection.Kind.INTERVIEW and not cited)
        if not kept and not is_answer:
            continue
        chosen.append(
            PublishableSentence(
                part=sentence.part,
                text=sentence.text,
                details=dict(sentence.details or {}),
                message_ids=kept,
            )
        )
    return chosen


def approved_sections(case: HandoverCase) -> list[DraftSection]:
    """The case's approved sections with their sentences and citations, in order."""
    return list(
        DraftSection.objects.filter(case=case, status=DraftSection.Status.APPROVED)
        .prefetch_related("sentences__citations")
        .order_by("position", "id")
    )


def served_message_ids(case: HandoverCase) -> set[int]:
    """Every message consent serves for publishing now."""
    return set(
        consented_messages(purpose=Purpose.PUBLISH, case=case).values_list("message_id", flat=True)
    )


def _check_may_publish(case: HandoverCase, by: AbstractBaseUser) -> None:
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving can publish their handover."))
    if not live_grants(case=case, purpose=Purpose.PUBLISH).exists():
        raise ConsentRequiredError(_("Publishing needs your consent to publish to the wiki."))
    if case.state not in PUBLISHABLE_STATES:
        raise HandoverError(
            _("A handover is published from review; this one is “%(state)s”.")
            % {"state": State(case.state).label}
        )
    if case.space is None:
        raise HandoverError(_("Choose the wiki space of this handover before publishing."))
    if not has_space_role(user=by, space=case.space, role=Role.EDITOR):
        raise HandoverError(
            _("You need to be an editor of the space “%(space)s” to publish into it.")
            % {"space": case.space.name}
        )
    successors = list(case.successors.all())
    if not successors:
        raise HandoverError(_("Name who takes over before publishing: they own the pages."))
    for successor in successors:
        if not has_space_role(user=successor, space=case.space, role=Role.READER):
            raise HandoverError(
                _("%(name)s cannot read the space “%(space)s”, so cannot own its pages.")
                % {
                    "name": successor.get_full_name() or successor.get_username(),
                    "space": case.space.name,
                }
            )


def _create(
    *, case: HandoverCase, by: AbstractBaseUser, title: str, body: str, parent: Page | None
) -> Page:
    """Create a page, with the case in its title when the plain title is taken."""
    try:
        return wiki.create_page(space=case.space, author=by, title=title, body=body, parent=parent)
    except wiki.PageTitleTakenError:
        return wiki.create_page(
            space=case.space,
            author=by,
            title=f"{title} ({_('handover %(id)s') % {'id': case.pk}})",
            body=body,
            parent=parent,
        )


def _update(*, page: Page, by: AbstractBaseUser, title: str, body: str) -> Page:
    """A new revision of a published page; its title follows the section's."""
    if page.title != title and not page.title.startswith(title + " ("):
        with contextlib.suppress(wiki.PageTitleTakenError):
            wiki.rename_page(page=page, by=by, new_title=title)
    page.refresh_from_db()
    wiki.publish_revision(
        page=page,
        author=by,
        body=body,
        base_revision=page.current_revision,
        summary=_("Published again from the handover"),
    )
    return page


def _settle(*, page: Page, case: HandoverCase, by: AbstractBaseUser, review_by: date) -> None:
    wiki.set_page_owners(page=page, by=by, owners=list(case.successors.all()))
    wiki.set_review_by(page=page, by=by, review_by=review_by)


@transaction.atomic
def publish_case(*, case: HandoverCase, by: AbstractBaseUser) -> list[PublishedPage]:
    """Publish the approved sections of ``case`` into its wiki space, all or nothing.

    Only the subject may; it needs a live PUBLISH grant, the case in review (or already
    published), its space, the subject an editor there and every successor a reader.
    A handover page is the root; each approved section with anything left to publish
    is a child page, its sentences cited with links to their sources. The pages are
    authored by the subject, owned by the successors, due for review 90 days on.
    Publishing again adds revisions to the same pages and purges the pages of sections
    that are no longer approved. Returns the ``PublishedPage`` rows, root first.
    """
    case = (
        HandoverCase.objects.select_for_update(of=("self",))
        .select_related("space", "subject")
        .get(pk=case.pk)
    )
    _check_may_publish(case, by)
    served = served_message_ids(case)
    planned = []
    for section in approved_sections(case):
        sentences = publishable_sentences(case=case, section=section, served=served)
        if sentences:
            planned.append((section, sentences))
    if not planned:
        raise HandoverError(
            _("Nothing to publish: approve at least one section with sentences you consent to.")
        )
    name = subject_label(case)
    written_from = attribution(name)
    review_by = review_date(case)
    existing = {
        row.section_id: row
        for row in PublishedPage.objects.filter(case=case, is_root=False).select_related(
            "page", "page__space"
        )
    }
    root = (
        PublishedPage.objects.filter(case=case, is_root=True)
        .select_related("page", "page__space")
        .first()
    )
    # Pages of sections no longer published, and pages trashed in the wiki, go for good.
    keep = {section.pk for section, _sentences in planned}
    stale = [row for key, row in existing.items() if key not in keep or row.page.is_deleted]
    if root is not None and root.page.is_deleted:
        stale.append(root)
    if stale:
        wiki.purge_pages(pages=[row.page for row in stale], reason="unpublished")
        removed = {row.pk for row in stale}
        existing = {key: row for key, row in existing.items() if row.pk not in removed}
        if root is not None and root.pk in removed:
            root = None
    root_title = page_title(_("Handover: %(name)s") % {"name": name or _("a departing colleague")})
    if root is None:
        root_page = _create(case=case, by=by, title=root_title, body="", parent=None)
        root = PublishedPage.objects.create(
            case=case, page=root_page, is_root=True, published_by=by
        )
    rows = []
    for section, sentences in planned:
        body = render_section(case_id=case.pk, sentences=sentences, written_from=written_from)
        message_ids = sorted({mid for sentence in sentences for mid in sentence.message_ids})
        row = existing.get(section.pk)
        title = page_title(section.title)
        if row is None:
            page = _create(case=case, by=by, title=title, body=body, parent=root.page)
            row = PublishedPage.objects.create(
                case=case, section=section, page=page, message_ids=message_ids, published_by=by
            )
        else:
            _update(page=row.page, by=by, title=title, body=body)
            row.message_ids = message_ids
            row.published_by = by
            row.save(update_fields=["message_ids", "published_by", "last_published_at"])
        _settle(page=row.page, case=case, by=by, review_by=review_by)
        rows.append(row)
    root_page = root.page
    root_page.refresh_from_db()
    root_body = render_root(titles=[row.page.title for row in rows], written_from=written_from)
    _update(page=root_page, by=by, title=root_title, body=root_body)
    _settle(page=root_page, case=case, by=by, review_by=review_by)
    root.published_by = by
    root.save(update_fields=["published_by", "last_published_at"])
    record_audit_event(
        actor=by,
        action="publishing.published",
        target=case,
        scope=f"case:{case.pk}",
        details={
            "pages": [root.page_id, *(row.page_id for row in rows)],
            "removed_pages": sorted(row.page_id for row in stale),
            "attributed": name is not None,
        },
    )
    if case.state != State.PUBLISHED:
        case_services.mark_published(case=case, by=by)
    return [root, *rows]


def _name_withdrawn(scope: PurgeScope) -> bool:
    """The subject withdrew ATTRIBUTE and some publication named them.

    Their name is on every page and in its history, which only a purge removes; the
    subject can publish again, anonymously.
    """
    if Purpose.ATTRIBUTE not in scope.purposes:
        return False
    if live_grants(case=scope.case_id, purpose=Purpose.ATTRIBUTE).exists():
        return False
    return AuditEvent.objects.filter(
        action="publishing.published",
        scope=f"case:{scope.case_id}",
        details__attributed=True,
    ).exists()


def purge_published_pages(scope: PurgeScope) -> int:
    """Purge step: the published pages a withdrawal no longer allows, with every revision.

    A section page goes when a message it cites is no longer covered for publishing;
    all of them go when the whole case was withdrawn, no live PUBLISH grant is left, or
    the subject withdrew being named after pages named them.
    The handover page goes, with its whole page tree (pages others added under it too),
    when no section page is left. Idempotent: what is gone is not found again.
    """
    rows = list(PublishedPage.objects.filter(case_id=scope.case_id).select_related("page"))
    if not rows:
        return 0
    sections = [row for row in rows if not row.is_root]
    everything = (
        scope.whole_case
        or (
            Purpose.PUBLISH in scope.purposes
            and not live_grants(case=scope.case_id, purpose=Purpose.PUBLISH).exists()
        )
        or _name_withdrawn(scope)
    )
    if everything:
        doomed = sections
    else:
        cited = {int(mid) for row in sections for mid in row.message_ids}
        covered = set(
            Message.objects.filter(pk__in=cited)
            .filter(scope.covered_for(Purpose.PUBLISH, message_prefix=""))
            .values_list("pk", flat=True)
        )
        doomed = [row for row in sections if not {int(m) for m in row.message_ids} <= covered]
    pages = [row.page for row in doomed]
    if len(doomed) == len(sections):
        for root in (row for row in rows if row.is_root):
            pages += list(
                Page.objects.filter(space_id=root.page.space_id)
                .filter(path__startswith=root.page.path + "/")
                .exclude(pk__in=[page.pk for page in pages])
            )
            pages.append(root.page)
    if not pages:
        return 0
    with transaction.atomic():
        removed = wiki.purge_pages(pages=pages, reason=PURGE_REASON)
    if scope.heartbeat is not None:
        scope.heartbeat()
    return removed


# --- Passing the subject's own pages to the successors -----------------------------------------


def _check_party(case: HandoverCase, by: AbstractBaseUser) -> None:
    if not (is_subject_of(case=case, user=by) or case.successors.filter(pk=by.pk).exists()):
        raise CasePermissionError(_("Only the person leaving and who takes over can do this."))


@transaction.atomic
def propose_page_reassignments(
    *, case: HandoverCase, by: AbstractBaseUser
) -> list[PageReassignment]:
    """Propose each live wiki page the subject owns (the handover's own aside) to pass on.

    Called when the subject or a successor first opens the list; pages proposed before
    keep their confirmations. Returns every proposal of the case.
    """
    _check_party(case, by)
    published = PublishedPage.objects.filter(case=case).values_list("page_id", flat=True)
    owned = list_owned_pages(user=case.subject, owner=case.subject).exclude(pk__in=published)
    known = set(PageReassignment.objects.filter(case=case).values_list("page_id", flat=True))
    new = [PageReassignment(case=case, page=page) for page in owned if page.pk not in known]
    if new:
        PageReassignment.objects.bulk_create(new, ignore_conflicts=True)
        record_audit_event(
            actor=by,
            action="publishing.reassignments_proposed",
            target=case,
            scope=f"case:{case.pk}",
            details={"pages": sorted(item.page_id for item in new)},
        )
    return list(
        PageReassignment.objects.filter(case=case)
        .select_related("page", "page__space", "successor_confirmed_by")
        .order_by("page__space__name", "page__path")
    )


def _locked(reassignment: PageReassignment, case: HandoverCase) -> PageReassignment:
    locked = (
        PageReassignment.objects.select_for_update()
        .select_related("page", "page__space")
        .filter(pk=reassignment.pk, case=case)
        .first()
    )
    if locked is None:
        raise HandoverError(_("That page is not part of this handover."))
    if locked.applied_at is not None:
        raise HandoverError(_("That page has already passed to who takes over."))
    return locked


def _apply(item: PageReassignment, case: HandoverCase, by: AbstractBaseUser) -> None:
    """Both confirmed: the page's owners become the successors (the subject leaves them)."""
    if item.excluded or item.subject_confirmed_at is None or item.successor_confirmed_at is None:
        return
    successors = list(case.successors.all())
    others = [owner for owner in item.page.owners.all() if owner.pk != case.subject_id]
    owners = list({user.pk: user for user in [*others, *successors]}.values())
    # The wiki asks an editor to change owners: the subject, who owns the page, or
    # whoever confirms last when the subject no longer can edit there.
    actor = case.subject
    if not has_space_role(user=actor, space=item.page.space, role=Role.EDITOR):
        actor = by
    try:
        wiki.set_page_owners(page=item.page, by=actor, owners=owners)
    except wiki.WikiError as error:
        raise HandoverError(str(error)) from error
    item.applied_at = timezone.now()
    item.save(update_fields=["applied_at"])
    record_audit_event(
        actor=by,
        action="publishing.page_reassigned",
        target=case,
        scope=f"case:{case.pk}",
        details={"page_id": item.page_id, "owners": sorted(user.pk for user in owners)},
    )


@transaction.atomic
def confirm_reassignment_as_subject(
    *, case: HandoverCase, reassignment: PageReassignment, by: AbstractBaseUser
) -> PageReassignment:
    """The subject agrees the page passes on; applied when a successor agreed too."""
    if not is_subject_of(case=case, user=by):
        raise CasePermissionError(_("Only the person leaving can confirm this for themself."))
    item = _locked(reassignment, case)
    if item.excluded:
        raise HandoverError(_("That page was left out."))
    item.subject_confirmed_at = item.subject_confirmed_at or timezone.now()
    item.save(update_fields=["subject_confirmed_at"])
    record_audit_event(
        actor=by,
        action="publishing.reassignment_confirmed",
        target=case,
        scope=f"case:{case.pk}",
        details={"page_id": item.page_id, "as": "subject"},
    )
    _apply(item, case, by)
    return item


@transaction.atomic
def confirm_reassignment_as_successor(
    *, case: HandoverCase, reassignment: PageReassignment, by: AbstractBaseUser
) -> PageReassignment:
    """A successor agrees to take the page; applied when the subject agreed too."""
    if not case.successors.filter(pk=by.pk).exists():
        raise CasePermissionError(_("Only who takes over can confirm this."))
    item = _locked(reassignment, case)
    if item.excluded:
        raise HandoverError(_("That page was left out."))
    if item.successor_confirmed_at is None:
        item.successor_confirmed_at = timezone.now()
        item.successor_confirmed_by = by
        item.save(update_fields=["successor_confirmed_at", "successor_confirmed_by"])
    record_audit_event(
        actor=by,
        action="publishing.reassignment_confirmed",
        target=case,
        scope=f"case:{case.pk}",
        details={"page_id": item.page_id, "as": "successor"},
    )
    _apply(item, case, by)
    return item


@transaction.atomic
def exclude_page(
    *, case: HandoverCase, reassignment: PageReassignment, by: AbstractBaseUser
) -> PageReassignment:
    """The subject or a successor leaves the page out: it keeps its owners."""
    _check_party(case, by)
    item = _locked(reassignment, case)
    item.excluded = True
    item.save(update_fields=["excluded"])
    record_audit_event(
        actor=by,
        action="publishing.page_excluded",
        target=case,
        scope=f"case:{case.pk}",
        details={"page_id": item.page_id},
    )
    return item


def successor_names(case: HandoverCase) -> Sequence[str]:
    return [user.get_full_name() or user.get_username() for user in case.successors.all()]
