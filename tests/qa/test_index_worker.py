"""The Q&A index follows page edits, moves, deletes and restores through a real worker."""

import pytest

from qa.models import Chunk, ChunkEmbedding
from qa.retrieval import search_chunks
from tests.conftest import wait_for
from wiki import services
from wiki.models import Page

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


def _titles(user, question: str) -> list[str]:  # noqa: ANN001
    ids = [c.chunk_id for c in search_chunks(user=user, question=question)]
    return list(Chunk.objects.filter(pk__in=ids).values_list("title", flat=True).distinct())


def _embedded(page: Page) -> bool:
    chunks = Chunk.objects.filter(page=page)
    return (
        chunks.exists()
        and not chunks.exclude(
            content_sha256__in=ChunkEmbedding.objects.values("content_sha256")
        ).exists()
    )


def test_the_index_follows_the_wiki_on_the_worker(celery_worker, space, teammate) -> None:  # noqa: ANN001
    page = services.create_page(
        space=space, author=teammate, title="Runbook", body="Restart the gateway with care."
    )
    wait_for(lambda: _embedded(page), timeout=120)
    assert _titles(teammate, "restart the gateway") == ["Runbook"]

    services.publish_revision(
        page=page, author=teammate, body="Rotate the signing keys yearly.", base_revision=None
    )
    wait_for(lambda: Chunk.objects.filter(text__contains="signing keys").exists(), timeout=60)
    wait_for(lambda: _embedded(page), timeout=60)
    assert _titles(teammate, "signing keys rotation") == ["Runbook"]
    assert not Chunk.objects.filter(text__contains="gateway").exists()

    folder = services.create_page(space=space, author=teammate, title="Ops", body="Ops pages.")
    services.move_page(page=Page.objects.get(pk=page.pk), by=teammate, new_parent=folder)
    wait_for(
        lambda: Chunk.objects.filter(page=page, url__startswith="/wiki/platform/ops/").exists(),
        timeout=60,
    )

    services.delete_page(page=Page.objects.get(pk=page.pk), by=teammate)
    assert "Runbook" not in _titles(teammate, "signing keys rotation")
    wait_for(lambda: not Chunk.objects.filter(page_id=page.pk).exists(), timeout=60)

    services.undelete_page(page=Page.objects.get(pk=page.pk), by=teammate)
    wait_for(lambda: _embedded(page), timeout=60)
    assert _titles(teammate, "signing keys rotation")[0] == "Runbook"
