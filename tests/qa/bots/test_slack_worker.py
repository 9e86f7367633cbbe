"""End to end through a real Celery worker: Slack's request is acknowledged at once, and the
worker answers and posts in the thread."""

import uuid

import pytest
from django.conf import settings as django_settings

from qa.models import Question
from tests.conftest import WorkerProcess, wait_for
from tests.qa.bots.conftest import (
    QUESTION,
    SITE,
    SLACK_SECRET,
    SLACK_TEAM,
    direct_message,
    linked_account,
    post_slack,
)

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def test_a_direct_message_is_acknowledged_and_answered_on_the_worker(
    settings,
    fake_api,
    client,
    successor,
    runbook,  # noqa: ANN001
) -> None:
    linked_account(successor, platform="slack", workspace=SLACK_TEAM, external_id="U1")
    bot = {
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": f"{fake_api.url}/api/",
        "TACIT_SITE_URL": SITE,
    }
    for name, value in bot.items():
        setattr(settings, name, value)
    # A queue of its own, consumed by a worker that knows where the fake Slack is.
    settings.CHAT_BOT_QUEUE = f"bots-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(
        django_settings.DATABASES["default"]["NAME"], queue=settings.CHAT_BOT_QUEUE, env=bot
    )
    try:
        worker.wait_ready()
        response = post_slack(client, direct_message(QUESTION))
        assert response.status_code == 200
        reply = wait_for(lambda: fake_api.calls("chat.postMessage"), timeout=120)[0]
    finally:
        worker.stop()
    assert reply.data["channel"] == "D1" and reply.data["thread_ts"] == "1700000001.000100"
    assert reply.headers["authorization"] == "Bearer xoxb-test-token"
    assert runbook.title in reply.text and f"{SITE}/wiki/platform/" in reply.text
    question = Question.objects.get()
    assert (question.asked_by, question.surface, question.audience) == (successor, "slack", "asker")
