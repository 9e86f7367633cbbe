"""Watching and notifications: on change and on @mention, idempotent, and through a worker."""

import pytest
from django.urls import reverse

from tests.conftest import wait_for
from tests.wiki.conftest import edit
from wiki import services
from wiki.models import Notification

pytestmark = pytest.mark.django_db


def test_watchers_and_mentioned_readers_are_notified_once(wiki_page, teammate, successor, manager):
    services.watch(user=successor, page=wiki_page)
    result = edit(
        wiki_page, teammate, wiki_page.current_revision.body + "\nPing @manager and @outsider.\n"
    )
    assert services.notify_watchers(revision_id=result.revision.pk) == 2
    assert services.notify_watchers(revision_id=result.revision.pk) == 0
    kinds = set(Notification.objects.values_list("user__username", "kind"))
    # outsider cannot read the private space, so is not told about it
    assert kinds == {("successor", "change"), ("manager", "mention")}


def test_a_mention_already_in_the_text_does_not_notify_again(wiki_page, teammate, manager):
    first = edit(wiki_page, teammate, "Hi @manager\n")
    services.notify_watchers(revision_id=first.revision.pk)
    second = edit(wiki_page, teammate, "Hi @manager\nMore.\n")
    services.notify_watchers(revision_id=second.revision.pk)
    assert Notification.objects.filter(user=manager, kind="mention").count() == 1


def test_comment_mentions_notify(wiki_page, successor, manager, teammate):
    comment = services.add_comment(page=wiki_page, author=successor, body="@manager please check")
    services.notify_comment(comment_id=comment.pk)
    mention = Notification.objects.get(user=manager)
    assert mention.kind == "mention"
    # the teammate created the page and so watches it
    assert Notification.objects.get(user=teammate).kind == "comment"


def test_notification_page_lists_and_marks_read(wiki_page, teammate, successor, client_for):
    services.watch(user=successor, page=wiki_page)
    result = edit(wiki_page, teammate, "changed\n")
    services.notify_watchers(revision_id=result.revision.pk)
    client = client_for(successor)
    html = client.get(reverse("wiki:notification-list")).content.decode()
    assert "Deploy guide" in html and "New" in html
    assert client.post(reverse("wiki:notification-list")).status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_watch_toggle_by_htmx(wiki_page, successor, client_for):
    url = reverse("wiki:page-watch", kwargs={"key": wiki_page.space.key, "path": wiki_page.path})
    client = client_for(successor)
    response = client.post(url, {"action": "watch"}, headers={"HX-Request": "true"})
    assert "Stop watching" in response.content.decode()
    assert wiki_page.watches.filter(user=successor).exists()
    client.post(url, {"action": "unwatch"})
    assert not wiki_page.watches.filter(user=successor).exists()


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_change_notifications(celery_worker, space, teammate, successor):
    page = services.create_page(space=space, author=teammate, title="Watched", body="one")
    services.watch(user=successor, page=page)
    edit(page, teammate, "two")
    found = wait_for(lambda: Notification.objects.filter(user=successor, page=page).first())
    assert found.kind == "change"
