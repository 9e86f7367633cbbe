"""Import, consent, draft, review, publish and withdraw, end to end on the real worker.

Over the real Slack and mbox exports of ../shared/data: the import, the preparation of
the copies, the drafting run and the purge after the withdrawal all run on a Celery
worker, as in production; the subject's review and publishing call the services a
page calls.
"""

import mailbox
import re
from email.utils import getaddresses
from pathlib import Path

import pytest
from django.db.models import Q

from handover.cases import services as case_services
from handover.consent import services as consent_services
from handover.drafting import review
from handover.imports import services as import_services
from handover.models import (
    Conversation,
    DeletionReceipt,
    DraftCitation,
    DraftRun,
    DraftSection,
    DraftSentence,
    Message,
    PreparedMessage,
    PublishedPage,
    PurgeJob,
    Purpose,
    Source,
)
from handover.publishing.services import publish_case
from tests.conftest import wait_for
from tests.handover.consent.test_read_path import _third_party_identifiers
from wiki import services as wiki
from wiki.models import Page, Revision, Role

# Not marked "broker": the worker tests of each room already run again through Redis, and
# this one is long; it runs once, on the configured broker.
pytestmark = [pytest.mark.django_db(transaction=True)]

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _mbox_identifiers(path: Path) -> tuple[set[str], set[str]]:
    """Display names (with a space) and addresses of everyone in the archive's headers."""
    names: set[str] = set()
    emails: set[str] = set()
    for message in mailbox.mbox(str(path)):
        headers = [message.get_all(field, []) for field in ("from", "to", "cc")]
        for name, address in getaddresses([value for values in headers for value in values]):
            if name and " " in name.strip():
                names.add(name.strip())
            if address:
                emails.add(address.lower())
    return names, emails


def _import_on_worker(owner, path: Path) -> Source:  # noqa: ANN001
    source = import_services.create_source(owner=owner, path=path)
    import_services.start_import(source=source, by=owner)
    return wait_for(
        lambda: Source.objects.filter(pk=source.pk, status=Source.Status.SUCCEEDED).first(),
        timeout=240,
    )


@pytest.mark.parametrize("export", ["slack", "mbox"])
def test_a_handover_goes_from_threads_to_cited_pages_and_away_again(
    export, case, subject, manager, successor, teammate, shared_data, celery_worker
) -> None:  # noqa: ANN001
    if export == "slack":
        path = shared_data / "slack" / "houstondatavis"
        names, emails = _third_party_identifiers(shared_data)
    else:
        path = shared_data / "mbox" / "perceval" / "mbox_complex.mbox"
        names, emails = _mbox_identifiers(path)
    _import_on_worker(subject, path)
    space = wiki.create_space(name="Handovers", key="handovers", by=manager)
    wiki.set_space_role(space=space, by=manager, role=Role.EDITOR, user=subject)
    wiki.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    case.space = space
    case.save(update_fields=["space"])

    # Consent: every conversation but one, for publishing; the copies are prepared on the worker.
    conversations = list(
        Conversation.objects.filter(owner=subject).order_by("pk").values_list("pk", flat=True)
    )
    shared = conversations[:-1] if len(conversations) > 1 else conversations
    consent_services.record_consent(
        case=case, by=subject, purposes=[Purpose.PUBLISH], conversation_ids=shared
    )
    total = Message.objects.filter(conversation_id__in=shared).count()
    wait_for(lambda: PreparedMessage.objects.filter(case=case).count() >= total, timeout=240)

    # Drafting on the worker.
    case_services.start_drafting(case=case, by=subject)
    run = wait_for(
        lambda: DraftRun.objects.filter(
            case=case, status__in=[DraftRun.Status.SUCCEEDED, DraftRun.Status.FAILED]
        ).first(),
        timeout=300,
    )
    assert run.status == DraftRun.Status.SUCCEEDED, run.error
    sentences = DraftSentence.objects.filter(section__run=run)
    assert sentences.exists()
    unshared = set(conversations) - set(shared)
    for sentence in sentences.prefetch_related("citations__message"):
        cited = list(sentence.citations.all())
        assert cited, f"uncited sentence: {sentence.text!r}"
        assert all(c.message.conversation_id in shared for c in cited)
        assert not {c.message.conversation_id for c in cited} & unshared
    texts = [s.text for s in sentences] + list(
        DraftSection.objects.filter(run=run).values_list("title", flat=True)
    )
    for text in texts:
        assert not any(name in text for name in names), text
        assert not {address.lower() for address in EMAIL.findall(text)} & emails, text

    # The subject's review: every sentence and section approved.
    case_services.submit_for_review(case=case, by=subject)
    for section in DraftSection.objects.filter(run=run, sentences__isnull=False).distinct():
        for sentence in section.sentences.all():
            review.set_sentence_status(
                sentence=sentence, by=subject, status=DraftSentence.Status.APPROVED
            )
        review.set_section_status(section=section, by=subject, status=DraftSection.Status.APPROVED)

    published = publish_case(case=case, by=subject)
    pages = Page.objects.filter(pk__in=[row.page_id for row in published])
    assert pages.count() == len(published) >= 2
    assert all(set(page.owners.all()) == {successor} for page in pages)
    bodies = list(Revision.objects.filter(page__in=pages).values_list("body", flat=True))
    assert any("/sources/" in body for body in bodies)
    for body in bodies:
        assert not any(name in body for name in names)
        assert not {address.lower() for address in EMAIL.findall(body)} & emails

    # Withdrawal after publishing: the worker purges pages, revisions and the draft.
    page_ids = list(pages.values_list("pk", flat=True))
    job = consent_services.withdraw_everything(case=case, by=subject)
    done = wait_for(
        lambda: PurgeJob.objects.filter(pk=job.pk, status=PurgeJob.Status.DONE).first(),
        timeout=240,
    )
    assert not Page.objects.filter(pk__in=page_ids).exists()
    assert not Revision.objects.filter(page_id__in=page_ids).exists()
    assert not PublishedPage.objects.filter(case=case).exists()
    assert not DraftSentence.objects.filter(section__case=case).exists()
    assert not DraftCitation.objects.filter(Q(sentence__section__case=case)).exists()
    # The deletion receipt lists the published pages among what was deleted.
    assert DeletionReceipt.objects.filter(pk=done.receipt_id).exists()
    assert done.results["handover.published_pages"]["count"] >= len(page_ids)
