"""publish_case and the purge step over the real Slack export: pages, sources, consent."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from core.models import AuditEvent
from handover.cases import services as case_services
from handover.consent import services as consent_services
from handover.errors import CasePermissionError, ConsentRequiredError, HandoverError
from handover.models import DeletionReceipt, DraftSection, HandoverCase, PublishedPage, Purpose
from handover.publishing import services
from tests.handover.consent.test_read_path import _third_party_identifiers
from tests.handover.publishing.conftest import consent
from wiki.models import Page, Revision

pytestmark = pytest.mark.django_db

SOURCE_LINK = re.compile(r"\[\d+\]\(/handover/cases/(\d+)/sources/(\d+)/\)")


def _bodies(case) -> list[str]:  # noqa: ANN001
    pages = PublishedPage.objects.filter(case=case).values_list("page_id", flat=True)
    return list(Revision.objects.filter(page_id__in=pages).values_list("body", flat=True))


def test_it_publishes_approved_sections_under_the_handover_page(
    draft, ready_case, subject, successor, wiki_space
) -> None:  # noqa: ANN001
    rows = services.publish_case(case=ready_case, by=subject)
    root = rows[0]
    assert root.is_root and root.page.parent is None and root.page.space == wiki_space
    assert root.page.title == "Handover: a departing colleague"
    children = Page.objects.filter(parent=root.page)
    assert {row.section_id for row in rows[1:]} == {s.pk for s in draft.approved}
    assert children.count() == len(draft.approved) == 3
    today = timezone.localdate()
    for page in [root.page, *children]:
        page.refresh_from_db()
        assert list(page.owners.all()) == [successor]
        assert page.review_by == max(today, ready_case.last_day) + datetime.timedelta(days=90)
        assert page.current_revision.author == subject
    body = "\n".join(page.current_revision.body for page in children)
    for text in draft.published_texts:
        assert text in body
    for text in draft.unpublished_texts:
        assert text not in body
    assert "Written from the handover of a departing colleague" in body
    assert "## Decisions and their reasons" in body and "Reason: It was cheaper." in body
    assert "Waiting: Person A" in body and "## In their own words" in body
    for page in children:
        lines = [line for line in page.current_revision.body.splitlines() if line.startswith("- ")]
        row = PublishedPage.objects.get(page=page)
        for line in lines:
            if row.section.kind == DraftSection.Kind.TOPIC:
                links = SOURCE_LINK.findall(line)
                assert links and all(int(c) == ready_case.pk for c, _m in links), line
                assert {int(m) for _c, m in links} <= set(row.message_ids)
    ready_case.refresh_from_db()
    assert ready_case.state == HandoverCase.State.PUBLISHED
    event = AuditEvent.objects.get(action="publishing.published")
    assert set(event.details["pages"]) == {row.page_id for row in rows}


def test_no_third_party_real_name_or_address_is_published(
    draft, ready_case, subject, shared_data: Path
) -> None:  # noqa: ANN001
    services.publish_case(case=ready_case, by=subject)
    names, emails = _third_party_identifiers(shared_data)
    text = "\n".join(_bodies(ready_case)).lower()
    assert text
    for name in names:
        assert not re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text), name
    for email in emails:
        assert email not in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)


def test_it_names_the_subject_only_with_attribute_consent(draft, ready_case, subject) -> None:  # noqa: ANN001
    subject.first_name, subject.last_name = "Dana", "Leaving"
    subject.save(update_fields=["first_name", "last_name"])
    services.publish_case(case=ready_case, by=subject)
    assert "Dana Leaving" not in "\n".join(_bodies(ready_case))
    consent(ready_case, subject, purposes=(Purpose.PUBLISH, Purpose.ATTRIBUTE))
    rows = services.publish_case(case=ready_case, by=subject)
    rows[0].page.refresh_from_db()
    assert rows[0].page.title == "Handover: Dana Leaving"
    assert "Written from the handover of Dana Leaving" in rows[1].page.current_revision.body


def test_publishing_again_updates_the_pages_and_purges_unapproved_sections(
    draft, ready_case, subject
) -> None:  # noqa: ANN001
    first = services.publish_case(case=ready_case, by=subject)
    page_ids = {row.page_id for row in first}
    sentence = draft.approved[0].sentences.get(part="summary")
    sentence.text = "An edited summary."
    sentence.save(update_fields=["text"])
    draft.approved[1].status = DraftSection.Status.PROPOSED
    draft.approved[1].save(update_fields=["status"])
    dropped_page = PublishedPage.objects.get(section=draft.approved[1]).page_id
    second = services.publish_case(case=ready_case, by=subject)
    assert {row.page_id for row in second} == page_ids - {dropped_page}
    assert PublishedPage.objects.filter(case=ready_case).count() == len(second) == 3
    assert not Page.objects.filter(pk=dropped_page).exists()
    assert not Revision.objects.filter(page_id=dropped_page).exists()
    page = PublishedPage.objects.get(section=draft.approved[0]).page
    assert page.revisions.count() == 2
    assert "An edited summary." in page.current_revision.body


def test_a_sentence_whose_sources_are_no_longer_served_is_left_out(
    draft, ready_case, subject
) -> None:  # noqa: ANN001
    conversation_id, texts = next(iter(draft.by_conversation.items()))
    consent_services.withdraw_consent(
        case=ready_case, by=subject, conversation_ids=[conversation_id]
    )
    services.publish_case(case=ready_case, by=subject)
    body = "\n".join(_bodies(ready_case))
    for text in texts:
        assert text not in body
    assert PublishedPage.objects.filter(case=ready_case).count() == 3


@pytest.mark.parametrize("persona", ["successor", "manager", "teammate", "outsider"])
def test_only_the_subject_may_publish(draft, ready_case, persona, request) -> None:  # noqa: ANN001
    with pytest.raises(CasePermissionError):
        services.publish_case(case=ready_case, by=request.getfixturevalue(persona))
    assert not PublishedPage.objects.exists() and not Page.objects.exists()


def test_bad_cases_are_refused_with_nothing_written(draft, ready_case, subject) -> None:  # noqa: ANN001
    space = ready_case.space
    HandoverCase.objects.filter(pk=ready_case.pk).update(space=None)
    with pytest.raises(HandoverError, match="space"):
        services.publish_case(case=ready_case, by=subject)
    HandoverCase.objects.filter(pk=ready_case.pk).update(space=space)
    DraftSection.objects.filter(case=ready_case).update(status=DraftSection.Status.PROPOSED)
    with pytest.raises(HandoverError, match="Nothing to publish"):
        services.publish_case(case=ready_case, by=subject)
    consent_services.withdraw_consent(case=ready_case, by=subject, purposes=[Purpose.PUBLISH])
    with pytest.raises(ConsentRequiredError):
        services.publish_case(case=ready_case, by=subject)
    assert not Page.objects.exists() and not PublishedPage.objects.exists()
    ready_case.refresh_from_db()
    assert ready_case.state == HandoverCase.State.REVIEW
    assert not AuditEvent.objects.filter(action="publishing.published").exists()


def test_a_subject_who_cannot_edit_the_space_gets_a_clear_error(
    draft, ready_case, subject, manager
) -> None:  # noqa: ANN001
    from wiki import services as wiki

    wiki.set_space_role(space=ready_case.space, by=manager, role=None, user=subject)
    with pytest.raises(HandoverError, match="editor"):
        services.publish_case(case=ready_case, by=subject)
    assert not Page.objects.exists()


def _purge(job) -> DeletionReceipt:  # noqa: ANN001
    done = consent_services.run_purge_job(job_id=job.pk)
    assert done is not None
    return done.receipt


def test_withdrawing_everything_purges_every_page_and_revision(draft, ready_case, subject) -> None:  # noqa: ANN001
    rows = services.publish_case(case=ready_case, by=subject)
    services.publish_case(case=ready_case, by=subject)
    page_ids = [row.page_id for row in rows]
    job = consent_services.withdraw_everything(case=ready_case, by=subject)
    receipt = _purge(job)
    assert not Page.objects.filter(pk__in=page_ids).exists()
    assert not Revision.objects.filter(page_id__in=page_ids).exists()
    assert not PublishedPage.objects.exists()
    for text in draft.published_texts:
        assert not Revision.objects.filter(body__contains=text).exists()
    item = next(i for i in receipt.items if i["what"].startswith("Published handover pages"))
    assert item["count"] == len(page_ids)


def test_narrowing_consent_purges_only_the_pages_citing_what_was_taken_out(
    draft, ready_case, subject
) -> None:  # noqa: ANN001
    services.publish_case(case=ready_case, by=subject)
    conversation_id, texts = next(iter(draft.by_conversation.items()))
    doomed = PublishedPage.objects.get(section=draft.approved[0])
    job = consent_services.withdraw_consent(
        case=ready_case, by=subject, conversation_ids=[conversation_id]
    )
    receipt = _purge(job)
    assert not Page.objects.filter(pk=doomed.page_id).exists()
    assert PublishedPage.objects.filter(case=ready_case).count() == 3
    for text in texts:
        assert not Revision.objects.filter(body__contains=text).exists()
    item = next(i for i in receipt.items if i["what"].startswith("Published handover pages"))
    assert item["count"] == 1
    # Run again: nothing more goes.
    assert (
        services.purge_published_pages(
            __import__("handover.consent.purge", fromlist=["PurgeScope"]).PurgeScope(
                case_id=ready_case.pk, conversation_ids=frozenset({conversation_id})
            )
        )
        == 0
    )


def test_withdrawing_publish_alone_takes_the_root_page_too(draft, ready_case, subject) -> None:  # noqa: ANN001
    consent(ready_case, subject, purposes=(Purpose.PUBLISH, Purpose.INDEX))
    rows = services.publish_case(case=ready_case, by=subject)
    job = consent_services.withdraw_consent(case=ready_case, by=subject, purposes=[Purpose.PUBLISH])
    _purge(job)
    assert not Page.objects.filter(pk__in=[row.page_id for row in rows]).exists()


def test_withdrawing_attribution_purges_pages_that_named_the_subject(
    draft, ready_case, subject
) -> None:  # noqa: ANN001
    subject.first_name, subject.last_name = "Dana", "Leaving"
    subject.save(update_fields=["first_name", "last_name"])
    consent(ready_case, subject, purposes=(Purpose.PUBLISH, Purpose.ATTRIBUTE))
    services.publish_case(case=ready_case, by=subject)
    assert Revision.objects.filter(body__contains="Dana Leaving").exists()
    job = consent_services.withdraw_consent(
        case=ready_case, by=subject, purposes=[Purpose.ATTRIBUTE]
    )
    _purge(job)
    assert not PublishedPage.objects.exists()
    assert not Revision.objects.filter(body__contains="Dana Leaving").exists()
    rows = services.publish_case(case=ready_case, by=subject)
    assert rows[0].page.title == "Handover: a departing colleague"


def test_the_case_pages_publish_step_publishes_the_pages(draft, ready_case, subject) -> None:  # noqa: ANN001
    sections = DraftSection.objects.filter(case=ready_case)
    approved = list(
        sections.filter(status=DraftSection.Status.APPROVED).values_list("pk", flat=True)
    )
    sections.update(status=DraftSection.Status.PROPOSED)
    with pytest.raises(HandoverError, match="Nothing to publish"):
        case_services.STEPS["publish"](case=ready_case, by=subject)
    ready_case.refresh_from_db()
    assert ready_case.state == HandoverCase.State.REVIEW and not Page.objects.exists()
    sections.filter(pk__in=approved).update(status=DraftSection.Status.APPROVED)
    case_services.STEPS["publish"](case=ready_case, by=subject)
    assert ready_case.state == HandoverCase.State.PUBLISHED
    assert PublishedPage.objects.filter(case=ready_case, is_root=False).exists()


def test_the_handover_page_links_sections_whose_titles_hold_link_syntax(
    draft, ready_case, subject, wiki_space
) -> None:  # noqa: ANN001
    from wiki.rendering import parse_wikilinks

    titles = ["Costs | budget", "Build ]] and [[deploy", "RFC:12"]
    for section, title in zip(draft.approved, titles, strict=True):
        section.title = title
        section.save(update_fields=["title"])
    rows = services.publish_case(case=ready_case, by=subject)
    children = {row.section.title: row.page for row in rows[1:]}
    assert children["Costs | budget"].title == "Costs / budget"
    assert children["Build ]] and [[deploy"].title == "Build )) and ((deploy"
    assert children["RFC:12"].title == "RFC:12"
    root = rows[0].page
    root.refresh_from_db()
    links = parse_wikilinks(root.current_revision.body)
    assert [(link.space_key, link.title) for link in links] == [
        (None, page.title) for page in (row.page for row in rows[1:])
    ]
    assert "[[:RFC:12]]" in root.current_revision.body
    for link in links:
        assert Page.objects.filter(space=wiki_space, title=link.title).exists()
    # Publishing again keeps the same pages under the same titles.
    again = services.publish_case(case=ready_case, by=subject)
    assert [row.page_id for row in again] == [row.page_id for row in rows]
