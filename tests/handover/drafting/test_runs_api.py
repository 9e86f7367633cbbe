"""The drafting API per persona: start, follow, cancel, and edit the draft's topics."""

import pytest

from handover.drafting import runner, runs, topics
from handover.models import DraftRun, DraftSection, DraftThread, DraftTopic

pytestmark = pytest.mark.django_db


def _drafted(case, subject) -> DraftRun:  # noqa: ANN001
    run = runs.start_draft_run(case=case, by=subject)
    done = runner.run_draft(run_id=run.pk)
    assert done.status == DraftRun.Status.SUCCEEDED, done.error
    return done


def _rewrite(run: DraftRun) -> None:
    ids = list(
        DraftTopic.objects.filter(run=run, section__isnull=True).values_list("pk", flat=True)
    )
    topics.rewrite_topics(run_id=run.pk, topic_ids=ids)


def test_only_the_subject_starts_a_run_and_others_see_progress_only(
    small_case,
    client_for,
    subject,
    manager,
    successor,
    outsider,  # noqa: ANN001
) -> None:
    url = f"/api/handover/cases/{small_case.pk}/drafts/"
    assert client_for(manager).post(url).status_code == 403
    assert client_for(outsider).post(url).status_code == 404
    started = client_for(subject).post(url)
    assert started.status_code == 201, started.content
    run_id = started.json()["id"]
    assert started.json()["status"] == "queued" and started.json()["threads_done"] == 0
    assert client_for(subject).post(url).status_code == 409  # one at a time

    seen = client_for(manager).get(url).json()["results"]
    assert [row["id"] for row in seen] == [run_id]
    assert seen[0]["threads_done"] is None and seen[0]["error"] is None
    assert client_for(successor).get(f"/api/handover/drafts/{run_id}/").status_code == 200
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).get(f"/api/handover/drafts/{run_id}/").status_code == 404
    assert client_for(manager).get(f"/api/handover/drafts/{run_id}/topics/").status_code == 404

    cancel = f"/api/handover/drafts/{run_id}/cancel/"
    assert client_for(manager).post(cancel).status_code == 403
    assert client_for(subject).get(cancel).status_code == 405
    cancelled = client_for(subject).post(cancel)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client_for(subject).post(cancel).status_code == 409


def test_it_refuses_a_run_without_consent_to_publish(case, client_for, subject) -> None:  # noqa: ANN001
    response = client_for(subject).post(f"/api/handover/cases/{case.pk}/drafts/")
    assert response.status_code == 409


def test_the_subject_renames_merges_and_splits_topics(
    small_case,
    client_for,
    subject,
    manager,  # noqa: ANN001
) -> None:
    run = _drafted(small_case, subject)
    client = client_for(subject)
    base = f"/api/handover/drafts/{run.pk}/topics/"
    listed = client.get(base).json()["results"]
    assert listed and all(topic["threads"] for topic in listed)
    # A topic with nothing citable has no section (test_runner); take one that has.
    written = set(DraftSection.objects.filter(run=run).values_list("topic_id", flat=True))
    first = next(topic for topic in listed if topic["id"] in written)

    renamed = client.post(f"{base}{first['id']}/rename/", {"title": "Our datasets"})
    assert renamed.status_code == 200 and renamed.json()["title_edited"] is True
    assert DraftSection.objects.get(topic_id=first["id"]).title == "Our datasets"
    assert client.post(f"{base}{first['id']}/rename/", {"title": ""}).status_code == 400
    assert (
        client_for(manager).post(f"{base}{first['id']}/rename/", {"title": "x"}).status_code == 404
    )

    # Split the first thread of the first topic off into a new topic; both are rewritten.
    thread = first["threads"][0]["id"]
    moved = client.post(
        f"{base}move/",
        {"threads": [thread], "title": "Split off"},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    new_topic = moved.json()["id"]
    # What rewrite_topics_task (sent on commit) does, here in-process.
    _rewrite(run)
    assert DraftThread.objects.get(pk=thread).topic_id == new_topic
    assert DraftSection.objects.filter(topic_id=new_topic).exists()
    assert DraftTopic.objects.get(pk=new_topic).title == "Split off"

    # Merge it back: one topic, its section written again, the other gone.
    ids = [first["id"], new_topic] if DraftTopic.objects.filter(pk=first["id"]).exists() else None
    if ids:
        merged = client.post(f"{base}merge/", {"topics": ids}, content_type="application/json")
        _rewrite(run)
        assert merged.status_code == 200, merged.content
        assert not DraftTopic.objects.filter(pk=new_topic).exists()
        assert DraftSection.objects.filter(topic_id=first["id"]).exists()
        assert DraftTopic.objects.get(pk=first["id"]).title == "Our datasets"

    # Bad input: 400, never 500.
    assert (
        client.post(
            f"{base}merge/", {"topics": [first["id"]]}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{base}merge/", {"topics": ["x", 0]}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"{base}merge/", {"topics": [10**9, 10**9 + 1]}, content_type="application/json"
        ).status_code
        == 400
    )
    assert (
        client.post(f"{base}move/", {"threads": []}, content_type="application/json").status_code
        == 400
    )
    assert (
        client.post(
            f"{base}move/",
            {"threads": [thread], "to_topic": 10**9},
            content_type="application/json",
        ).status_code
        == 400
    )
    assert client.get(f"{base}merge/").status_code == 405


def test_the_progress_partial_and_topic_page_per_persona(
    small_case,
    client_for,
    subject,
    manager,
    outsider,  # noqa: ANN001
) -> None:
    run = runs.start_draft_run(case=small_case, by=subject)
    progress = f"/handover/cases/{small_case.pk}/draft/progress/"
    mine = client_for(subject).get(progress).content.decode()
    assert "<progress" in mine and "every 2s" in mine and "Cancel" in mine
    theirs = client_for(manager).get(progress).content.decode()
    assert "<progress" in theirs and "Cancel" not in theirs
    assert client_for(outsider).get(progress).status_code == 404
    assert client_for(subject).post(progress).status_code == 405

    runner.run_draft(run_id=run.pk)
    done = client_for(subject).get(progress).content.decode()
    assert "Draft again" in done and "every 2s" not in done
    title = DraftTopic.objects.filter(run=run).first().title
    assert title not in client_for(manager).get(progress).content.decode()
    topics_page = f"/handover/cases/{small_case.pk}/draft/topics/"
    assert title in client_for(subject).get(topics_page).content.decode()
    assert client_for(manager).get(topics_page).status_code == 404
    topic = DraftTopic.objects.filter(run=run).first()
    edited = client_for(subject).post(
        f"/handover/cases/{small_case.pk}/draft/topics/edit/",
        {"action": "rename", "topic": topic.pk, "title": "Renamed here"},
    )
    assert edited.status_code == 302
    assert DraftTopic.objects.get(pk=topic.pk).title == "Renamed here"
    bad = client_for(subject).post(
        f"/handover/cases/{small_case.pk}/draft/topics/edit/", {"action": "merge", "topics": "x"}
    )
    assert bad.status_code == 302
    assert (
        client_for(manager).post(f"/handover/cases/{small_case.pk}/draft/start/").status_code == 404
    )
