"""The drafting API per persona: start, follow, cancel, and edit the draft's topics."""

import pytest

from handover.drafting import runner, runs
from handover.models import DraftRun, DraftSection, DraftThread, DraftTopic

pytestmark = pytest.mark.django_db


def _drafted(case, subject) -> DraftRun:  # noqa: ANN001
    run = runs.start_draft_run(case=case, by=subject)
    done = runner.run_draft(run_id=run.pk)
    assert done.status == DraftRun.Status.SUCCEEDED, done.error
    return done


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
    manager,
    django_capture_on_commit_callbacks,  # noqa: ANN001
) -> None:
    run = _drafted(small_case, subject)
    client = client_for(subject)
    base = f"/api/handover/drafts/{run.pk}/topics/"
    listed = client.get(base).json()["results"]
    assert listed and all(topic["threads"] for topic in listed)
    first = listed[0]

    renamed = client.post(f"{base}{first['id']}/rename/", {"title": "Our datasets"})
    assert renamed.status_code == 200 and renamed.json()["title_edited"] is True
    assert DraftSection.objects.get(topic_id=first["id"]).title == "Our datasets"
    assert client.post(f"{base}{first['id']}/rename/", {"title": ""}).status_code == 400
    assert (
        client_for(manager).post(f"{base}{first['id']}/rename/", {"title": "x"}).status_code == 404
    )

    # Split the first thread of the first topic off into a new topic; both are rewritten.
    thread = first["threads"][0]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(
            f"{base}move/",
            {"threads": [thread], "title": "Split off"},
            content_type="application/json",
        )
    assert moved.status_code == 200, moved.content
    new_topic = moved.json()["id"]
    assert DraftThread.objects.get(pk=thread).topic_id == new_topic
    assert DraftSection.objects.filter(topic_id=new_topic).exists()
    assert DraftTopic.objects.get(pk=new_topic).title == "Split off"

    # Merge it back: one topic, its section written again, the other gone.
    ids = [first["id"], new_topic] if DraftTopic.objects.filter(pk=first["id"]).exists() else None
    if ids:
        with django_capture_on_commit_callbacks(execute=True):
            merged = client.post(f"{base}merge/", {"topics": ids}, content_type="application/json")
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
