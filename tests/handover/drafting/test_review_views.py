"""The review page, its htmx partials, the thread withdrawal and the citation view."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from handover.consent.read import consented_messages, iter_consented_messages
from handover.models import (
    DraftCitation,
    DraftSection,
    DraftSentence,
    Message,
    PreparedMessage,
    Purpose,
    Thread,
)
from tests.handover.drafting.conftest import consent_to

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _review(draft) -> str:  # noqa: ANN001
    return reverse("handover:draft-review", args=[draft.case.pk])


def test_the_review_page_for_each_persona(
    draft,
    subject,
    successor,
    manager,
    teammate,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    page = client_for(subject).get(_review(draft))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Dashboards and data" in body and "Approve section" in body
    assert "Withdraw this thread" in body and "it was cheaper" in body
    assert "Thread:" in body
    assert reverse("handover:draft-source", args=[draft.case.pk, draft.cited_message_id]) in body
    page = client_for(successor).get(_review(draft))
    body = page.content.decode()
    assert page.status_code == 200 and "Dashboards and data" in body
    assert "Approve section" not in body and "Withdraw this thread" not in body
    assert 'name="body"' in body
    page = client_for(manager).get(_review(draft))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-figure="sections">0 / 2' in body
    assert "Dashboards and data" not in body and "summary sentence" not in body
    for user in (teammate, outsider):
        assert client_for(user).get(_review(draft)).status_code == 404
    assert client_for(subject).post(_review(draft)).status_code == 405


def test_the_case_page_loads_the_completeness_for_the_manager(
    draft,
    manager,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    case_page = client_for(manager).get(reverse("handover:case-detail", args=[draft.case.pk]))
    url = reverse("handover:draft-completeness", args=[draft.case.pk])
    assert url in case_page.content.decode()
    numbers = client_for(manager).get(url, **HTMX)
    body = numbers.content.decode()
    assert numbers.status_code == 200 and "<html" not in body
    assert 'data-figure="topics">2 / 2' in body and 'data-figure="decisions">2' in body
    assert "Dashboards" not in body
    assert client_for(outsider).get(url).status_code == 404


def test_approving_by_htmx_returns_the_section_and_by_post_redirects(
    draft,
    subject,
    client_for,  # noqa: ANN001
) -> None:
    sentence = draft.first.sentences.get(part="summary")
    url = reverse("handover:draft-sentence-status", args=[sentence.pk])
    response = client_for(subject).post(url, {"status": "approved"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="section-{draft.first.pk}"' in body
    sentence.refresh_from_db()
    assert sentence.status == "approved"
    section_url = reverse("handover:draft-section-status", args=[draft.first.pk])
    response = client_for(subject).post(section_url, {"status": "approved"})
    assert response.status_code == 302
    assert response.url.endswith(f"#section-{draft.first.pk}")
    draft.first.refresh_from_db()
    assert draft.first.status == "approved"
    assert client_for(subject).get(section_url).status_code == 405


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("draft-sentence-edit", {"text": ""}),
        ("draft-sentence-edit", {"text": "   "}),
        ("draft-sentence-edit", {"text": "x" * 2001}),
        ("draft-sentence-status", {"status": "published"}),
    ],
)
def test_bad_sentence_input_changes_nothing(draft, subject, client_for, name, data) -> None:  # noqa: ANN001
    sentence = draft.first.sentences.get(part="summary")
    url = reverse(f"handover:{name}", args=[sentence.pk])
    response = client_for(subject).post(url, data, **HTMX)
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    full = client_for(subject).post(url, data, follow=True)
    assert full.status_code == 200 and b'class="messages"' in full.content
    sentence.refresh_from_db()
    assert sentence.text == sentence.original_text and sentence.status == "proposed"


def test_a_section_with_no_sentences_left_is_not_approved(draft, subject, client_for) -> None:  # noqa: ANN001
    DraftSentence.objects.filter(section=draft.first).update(status="dropped")
    url = reverse("handover:draft-section-status", args=[draft.first.pk])
    response = client_for(subject).post(url, {"status": "approved"}, **HTMX)
    assert response.status_code == 400
    draft.first.refresh_from_db()
    assert draft.first.status == "proposed"
    page = client_for(subject).get(_review(draft))
    assert b'data-figure="sections">0 / 2' in page.content


def test_others_may_not_change_the_draft(
    draft,
    successor,
    manager,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    sentence = draft.first.sentences.get(part="summary")
    edit = reverse("handover:draft-sentence-edit", args=[sentence.pk])
    rename = reverse("handover:draft-section-rename", args=[draft.first.pk])
    assert client_for(successor).post(edit, {"text": "Mine."}).status_code == 403
    assert client_for(successor).post(rename, {"title": "Mine"}).status_code == 403
    for user in (manager, outsider):
        assert client_for(user).post(edit, {"text": "Mine."}).status_code == 404
    sentence.refresh_from_db()
    draft.first.refresh_from_db()
    assert sentence.text == sentence.original_text and draft.first.title == "Dashboards and data"


def test_successors_comment_by_htmx_and_managers_may_not(
    draft,
    successor,
    manager,
    client_for,  # noqa: ANN001
) -> None:
    url = reverse("handover:draft-section-comment", args=[draft.first.pk])
    response = client_for(successor).post(url, {"body": "Who runs the export?"}, **HTMX)
    assert response.status_code == 200 and b"Who runs the export?" in response.content
    assert client_for(successor).post(url, {"body": ""}, **HTMX).status_code == 400
    assert client_for(manager).post(url, {"body": "Hi"}).status_code == 404
    assert draft.first.comments.count() == 1


def test_withdrawing_a_thread_on_the_page_confirms_then_removes_it(
    draft,
    subject,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    url = reverse("handover:draft-thread-withdraw", args=[draft.case.pk, draft.first_thread_id])
    assert client_for(successor).get(url).status_code == 404
    confirm = client_for(subject).get(url)
    assert confirm.status_code == 200 and b"everything you shared" in confirm.content
    assert DraftSentence.objects.filter(section=draft.first).exists()
    # A sentence of the other section cites the thread too: it is swapped in out of band.
    other_sentence = draft.second.sentences.get(part="summary")
    DraftCitation.objects.create(
        sentence=other_sentence, message_id=draft.cited_message_id, position=9
    )
    response = client_for(subject).post(url, {"section": draft.first.pk}, **HTMX)
    assert response.status_code == 200
    assert f'id="section-{draft.second.pk}"'.encode() in response.content
    assert b'hx-swap-oob="true"' in response.content
    assert not DraftSentence.objects.filter(pk=other_sentence.pk).exists()
    assert DraftSentence.objects.filter(section=draft.second).count() == 2
    assert b"No sentences left in this section." in response.content
    assert not DraftSentence.objects.filter(section=draft.first).exists()
    assert (
        not consented_messages(purpose=Purpose.PUBLISH, case=draft.case)
        .filter(message__thread_id=draft.first_thread_id)
        .exists()
    )
    page = client_for(subject).get(_review(draft))
    assert b"Dashboards and data: the summary" not in page.content
    other = Thread.objects.exclude(conversation__owner=subject).first()
    if other is not None:
        missing = reverse("handover:draft-thread-withdraw", args=[draft.case.pk, other.pk])
        assert client_for(subject).post(missing).status_code == 404


def _rewritten_message(case):  # noqa: ANN001, ANN202
    """A consented message whose served text differs from the raw one (redacted or renamed)."""
    for row in consented_messages(purpose=Purpose.PUBLISH, case=case).select_related(
        "message__author"
    ):
        if row.text != row.message.text and row.message.author and row.text:
            return row
    raise AssertionError("no redacted or pseudonymised message in the export")


def test_the_source_shows_the_message_as_the_read_path_serves_it(
    draft,
    subject,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    row = _rewritten_message(draft.case)
    served = next(
        m
        for m in iter_consented_messages(
            purpose=Purpose.PUBLISH, case=draft.case, thread_ids=[row.message.thread_id]
        )
        if m.message_id == row.message_id
    )
    url = reverse("handover:draft-source", args=[draft.case.pk, row.message_id])
    for user in (subject, successor):
        page = client_for(user).get(url)
        body = page.content.decode()
        assert page.status_code == 200 and "Source withheld" not in body
        assert escape(served.author) in body
        assert escape(served.text.splitlines()[0]) in body
        assert escape(row.message.text.splitlines()[0]) not in body or (
            served.text.splitlines()[0] == row.message.text.splitlines()[0]
        )
    author = row.message.author.display_name
    if not row.author_is_subject and author and " " in author:
        assert author not in client_for(successor).get(url).content.decode()
    assert client_for(subject).post(url).status_code == 405


def test_the_source_is_withheld_from_others_and_when_no_longer_consented(
    draft,
    subject,
    manager,
    teammate,
    outsider,
    client_for,  # noqa: ANN001
) -> None:
    from wiki import services as wiki_services
    from wiki.models import Role

    url = reverse("handover:draft-source", args=[draft.case.pk, draft.cited_message_id])
    # The manager knows of the case but may not read its sources.
    page = client_for(manager).get(url)
    assert page.status_code == 200 and b"Source withheld" in page.content
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(teammate).get(url).status_code == 404
    # A reader of the case's space sees it only while the subject lets words be quoted.
    space = wiki_services.create_space(name="Handover", key="handover-src", by=manager)
    wiki_services.set_space_role(space=space, by=manager, role=Role.READER, user=teammate)
    draft.case.space = space
    draft.case.save(update_fields=["space"])
    page = client_for(teammate).get(url)
    assert page.status_code == 200 and b"Source withheld" in page.content
    consent_to(draft.case, subject, [Purpose.PUBLISH, Purpose.QUOTE])
    page = client_for(teammate).get(url)
    assert page.status_code == 200 and b"Source withheld" not in page.content
    # A message outside the consent is withheld even from the subject.
    thread = Message.objects.get(pk=draft.cited_message_id).thread
    from handover.consent.services import withdraw_consent

    withdraw_consent(case=draft.case, by=subject, thread_ids=[thread.pk])
    page = client_for(subject).get(url)
    assert page.status_code == 200 and b"Source withheld" in page.content
    assert PreparedMessage.objects.filter(message_id=draft.cited_message_id).exists()


def test_the_section_partial_of_a_dropped_section_is_hidden_from_successors(
    draft,
    subject,
    successor,
    client_for,  # noqa: ANN001
) -> None:
    DraftSection.objects.filter(pk=draft.second.pk).update(status="dropped")
    url = reverse("handover:draft-section-comment", args=[draft.second.pk])
    assert client_for(successor).post(url, {"body": "Hm?"}).status_code == 404
    page = client_for(successor).get(_review(draft))
    assert b"Meetup planning" not in page.content
    assert b"Meetup planning" in client_for(subject).get(_review(draft)).content


def test_the_review_page_reads_in_a_fixed_number_of_queries(draft, subject, client_for) -> None:  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from handover.models import DraftCitation, DraftTopic

    client = client_for(subject)
    client.get(_review(draft))
    with CaptureQueriesContext(connection) as before:
        assert client.get(_review(draft)).status_code == 200
    cited = list(
        DraftCitation.objects.filter(sentence__section=draft.second).values_list(
            "message_id", flat=True
        )
    )
    topic = DraftTopic.objects.create(run=draft.run, title="More", position=5)
    section = DraftSection.objects.create(
        case=draft.case, run=draft.run, topic=topic, title="More", position=5
    )
    for index, message_id in enumerate(cited):
        sentence = DraftSentence.objects.create(
            section=section, part="summary", position=index, text="More.", original_text="More."
        )
        DraftCitation.objects.create(sentence=sentence, message_id=message_id)
    with CaptureQueriesContext(connection) as after:
        assert client.get(_review(draft)).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)


# --- Rewriting a section with the configured model -------------------------------------------

REWRITE_BUTTON = "Rewrite with the configured model"


def _rewrite_url(section) -> str:  # noqa: ANN001
    return reverse("handover:draft-section-rewrite", args=[section.pk])


def _let_the_processor_read(case, subject) -> None:  # noqa: ANN001
    from handover.consent import services as consent_services
    from handover.models import Conversation

    consent_services.record_consent(
        case=case,
        by=subject,
        purposes=[Purpose.EXTERNAL_PROCESSOR],
        conversation_ids=list(
            Conversation.objects.filter(owner=subject).values_list("pk", flat=True)
        ),
    )


def test_the_rewrite_button_is_absent_without_an_endpoint(
    draft, subject, client_for, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = ""
    body = client_for(subject).get(_review(draft)).content.decode()
    assert REWRITE_BUTTON not in body
    response = client_for(subject).post(_rewrite_url(draft.first), **HTMX)
    assert response.status_code == 400
    assert "No external processor is configured." in response.content.decode()
    draft.first.refresh_from_db()
    assert draft.first.rewrite_state == DraftSection.RewriteState.NONE


def test_the_rewrite_button_shows_to_the_subject_only_with_an_endpoint(
    draft, subject, successor, manager, client_for, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    body = client_for(subject).get(_review(draft)).content.decode()
    assert body.count(REWRITE_BUTTON) == 2
    assert _rewrite_url(draft.first) in body
    for user in (successor, manager):
        assert REWRITE_BUTTON not in client_for(user).get(_review(draft)).content.decode()


def test_others_may_not_ask_for_a_rewrite(
    draft, successor, manager, teammate, outsider, client_for, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    assert client_for(successor).post(_rewrite_url(draft.first), **HTMX).status_code == 403
    assert client_for(successor).get(_rewrite_url(draft.first), **HTMX).status_code == 403
    for user in (manager, teammate, outsider):
        assert client_for(user).post(_rewrite_url(draft.first), **HTMX).status_code == 404
    assert client_for(None).post(_rewrite_url(draft.first)).status_code == 302
    draft.first.refresh_from_db()
    assert draft.first.rewrite_state == DraftSection.RewriteState.NONE
    assert endpoint.requests == []


def test_asking_without_the_processor_consent_shows_a_clear_message(
    draft, subject, client_for, endpoint, settings
) -> None:  # noqa: ANN001
    settings.DRAFT_GENERATION_URL = endpoint.url
    response = client_for(subject).post(_rewrite_url(draft.first), **HTMX)
    assert response.status_code == 400
    assert "You have not let the external processor read" in response.content.decode()
    response = client_for(subject).post(_rewrite_url(draft.first), follow=True)
    assert response.status_code == 200
    assert "You have not let the external processor read" in response.content.decode()
    assert endpoint.requests == []


def test_asking_for_a_rewrite_shows_it_running_then_its_outcome(
    draft, subject, client_for, endpoint, settings, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    from handover.drafting.tasks import rewrite_section_task

    settings.DRAFT_GENERATION_URL = endpoint.url
    _let_the_processor_read(draft.case, subject)
    client = client_for(subject)
    cited = set(
        DraftCitation.objects.filter(sentence__section=draft.first).values_list(
            "message_id", flat=True
        )
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_rewrite_url(draft.first), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The configured model is rewriting this section." in body
    assert 'hx-trigger="every 2s"' in body and REWRITE_BUTTON not in body
    assert len(callbacks) == 1
    # A second ask while the first waits is refused in words; nothing else is sent.
    again = client.post(_rewrite_url(draft.first), **HTMX)
    assert again.status_code == 400
    assert "already being rewritten" in again.content.decode()

    # What the worker does with the task sent on commit, here in-process.
    endpoint.answer = (
        "The dashboards are summarised. [1] [2]\nAn uncited guess.\nThe export waits. [3]"
    )
    rewrite_section_task(draft.first.pk, subject.pk)
    polled = client.get(_rewrite_url(draft.first), **HTMX).content.decode()
    assert "Rewritten: 2 sentences written, 1 without a citation dropped." in polled
    assert "The dashboards are summarised." in polled and "An uncited guess" not in polled
    assert 'hx-trigger="every 2s"' not in polled and REWRITE_BUTTON in polled
    assert (
        set(
            DraftCitation.objects.filter(sentence__section=draft.first).values_list(
                "message_id", flat=True
            )
        )
        == cited
    )
    # Delivered twice, the task does nothing the second time.
    rewrite_section_task(draft.first.pk, subject.pk)
    assert len(endpoint.requests) == 1


def test_a_failed_rewrite_shows_a_clear_message_and_keeps_the_section(
    draft, subject, client_for, endpoint, settings
) -> None:  # noqa: ANN001
    from handover.drafting.tasks import rewrite_section_task

    settings.DRAFT_GENERATION_URL = endpoint.url
    _let_the_processor_read(draft.case, subject)
    before = list(draft.first.sentences.values_list("pk", "text"))
    client = client_for(subject)
    assert client.post(_rewrite_url(draft.first), **HTMX).status_code == 200
    endpoint.status = 500
    rewrite_section_task(draft.first.pk, subject.pk)
    response = client.get(_review(draft))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not rewritten:" in body and "did not give a usable answer" in body
    assert list(draft.first.sentences.values_list("pk", "text")) == before
    # The subject may ask again after a failure.
    assert client.post(_rewrite_url(draft.first), **HTMX).status_code == 200
