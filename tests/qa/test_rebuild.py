"""``manage.py reindex`` repairs the index, and a model switch re-embeds in the background
while the old index keeps answering."""

import io
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from qa.embeddings import embedding_model_info
from qa.indexing import ensure_active_index, index_page
from qa.models import Chunk, ChunkEmbedding, CorpusStats, EmbeddingIndex, Posting, Term
from qa.rebuild import (
    BuildOutcome,
    build_embedding_index,
    model_switch_state,
    rebuild_index,
    start_model_switch,
)
from qa.retrieval import active_index, search_chunks
from qa.tasks import index_pages_task
from wiki import services
from wiki.models import Page
from wiki.services.purge import purge_pages

pytestmark = pytest.mark.django_db

PAGES = {
    "Deploying": "We deploy the billing service with the pipeline every Tuesday.",
    "Backups": "The database backups run nightly; restoring one takes an hour.",
    "On call": "The on-call engineer restarts the payment gateway when it hangs.",
}


def _pages(space, author) -> list[Page]:  # noqa: ANN001
    # Created without the worker: these tests index in-process (on_commit never fires here).
    return [
        services.create_page(space=space, author=author, title=title, body=body)
        for title, body in PAGES.items()
    ]


def _exact_stats() -> tuple[dict[str, int], int, int]:
    """The keyword statistics as they must be, counted from the postings and chunks."""
    counts = Counter(Posting.objects.values_list("term__text", flat=True))
    chunks = list(Chunk.objects.values_list("length", flat=True))
    return dict(counts), len(chunks), sum(chunks)


def _stored_stats() -> tuple[dict[str, int], int, int]:
    stats = CorpusStats.objects.get()
    terms = dict(Term.objects.values_list("text", "document_frequency"))
    return terms, stats.chunks, stats.total_length


def _reindex(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("reindex", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _dense_titles(user, question: str) -> list[str]:  # noqa: ANN001
    ids = [c.chunk_id for c in search_chunks(user=user, question=question, mode="dense")]
    by_id = dict(Chunk.objects.filter(pk__in=ids).values_list("pk", "title"))
    return [by_id[chunk_id] for chunk_id in ids]


def _hnsw_exists(index: EmbeddingIndex) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [index.hnsw_index_name])
        return cursor.fetchone() is not None


@pytest.fixture
def second_model(settings, tmp_path) -> Path:  # noqa: ANN001
    """The same model's files in another folder: to the product, another model."""
    original = Path(django_settings.EMBEDDING_MODEL)
    folder = tmp_path / "other-model"
    folder.mkdir()
    for entry in original.iterdir():
        (folder / entry.name).symlink_to(entry)
    yield folder
    embedding_model_info.cache_clear()


def _use_model(settings, folder: Path) -> None:  # noqa: ANN001
    settings.EMBEDDING_MODEL = folder
    embedding_model_info.cache_clear()


def test_reindex_repairs_drifted_keyword_statistics(space, teammate) -> None:  # noqa: ANN001
    _pages(space, teammate)
    out, _err = _reindex("--no-progress")
    assert "3 pages re-chunked" in out
    exact = _exact_stats()
    assert _stored_stats() == exact
    assert exact[1] == Chunk.objects.count() > 0

    # Drift: wrong frequencies, a term no chunk has, wrong totals.
    Term.objects.filter(text__in=list(exact[0])[:3]).update(
        document_frequency=F("document_frequency") + 5
    )
    Term.objects.create(text="zzzghost", document_frequency=3)
    CorpusStats.objects.update(chunks=999, total_length=1)
    assert _stored_stats() != exact

    out, _err = _reindex("--no-progress")
    assert _stored_stats() == exact
    assert not Term.objects.filter(text="zzzghost").exists()
    assert "3 term frequencies" in out and "1 unused terms removed" in out
    assert "corpus totals corrected" in out


def test_reindex_drops_chunks_of_trashed_and_purged_pages(space, teammate) -> None:  # noqa: ANN001
    deploying, backups, on_call = _pages(space, teammate)
    rebuild_index(embed=False)
    assert set(Chunk.objects.values_list("page_id", flat=True)) == {
        deploying.pk,
        backups.pk,
        on_call.pk,
    }
    # Neither reached the index (its worker is not running): the chunks are left behind.
    services.delete_page(page=backups, by=teammate)
    purge_pages(pages=[Page.objects.get(pk=on_call.pk)], reason="test")
    assert Chunk.objects.filter(page__isnull=True).exists()

    out, _err = _reindex("--no-progress")
    assert set(Chunk.objects.values_list("page_id", flat=True)) == {deploying.pk}
    assert "orphan chunks dropped" in out and ", 0 orphan" not in out
    assert _stored_stats() == _exact_stats()
    # Every chunk left has its vector in the active index.
    index = active_index()
    assert ChunkEmbedding.objects.filter(index=index).count() == Chunk.objects.count()


def test_reindex_shows_progress_and_a_summary(space, teammate) -> None:  # noqa: ANN001
    _pages(space, teammate)
    out, err = _reindex()
    chunks = Chunk.objects.count()
    assert "re-chunking pages" in err and "3/3" in err
    assert "embedding chunks" in err and f"{chunks}/{chunks}" in err
    assert out.startswith("Reindexed: 3 pages re-chunked")
    assert f"{chunks} chunks embedded into index {active_index().pk}" in out

    out, err = _reindex("--embed-only")
    assert "re-chunking" not in err
    assert out == f"Reindexed: 0 chunks embedded into index {active_index().pk} (" + (
        f"{active_index().model_name}).\n"
    )


def test_reindex_re_embeds_thread_chunks_without_re_chunking_them(space, teammate) -> None:  # noqa: ANN001
    from qa.indexing import ThreadSource, replace_thread_sources

    replace_thread_sources(
        consent_key="case:1",
        sources=[
            ThreadSource(
                source_key="case:1:thread:1",
                space_id=space.pk,
                title="Certificates",
                text="The TLS certificate of the gateway is renewed every March.",
                url="/handover/cases/1/",
                owner_label="Colleague A",
                consent_key="case:1",
                purpose=Chunk.QA_PURPOSE,
                expires_at=None,
            )
        ],
    )
    thread = Chunk.objects.get(kind=Chunk.Kind.THREAD)
    _reindex("--no-progress")
    assert Chunk.objects.get(kind=Chunk.Kind.THREAD).indexed_at == thread.indexed_at
    assert ChunkEmbedding.objects.filter(chunk=thread, index=active_index()).exists()


def test_without_an_active_index_there_is_nothing_to_switch(second_model, settings) -> None:  # noqa: ANN001
    _use_model(settings, second_model)
    assert model_switch_state() == {"state": "none"}
    switch = start_model_switch()
    assert switch.state == "current" and switch.building is None
    assert switch.active.model_path == str(second_model)


def test_a_model_switch_builds_in_the_background_then_switches(  # noqa: PLR0915
    space, teammate, second_model, settings, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    _pages(space, teammate)
    rebuild_index()
    old = active_index()
    question = "who restarts the payment gateway?"
    assert _dense_titles(teammate, question)[0] == "On call"
    assert model_switch_state()["state"] == "current"

    _use_model(settings, second_model)
    assert model_switch_state()["state"] == "switch_needed"
    out, _err = _reindex("--no-progress", "--embed-only")
    assert "--switch-model" in out
    with django_capture_on_commit_callbacks() as queued:
        out, _err = _reindex("--no-progress", "--switch-model")
    assert len(queued) == 1  # the build, for the worker (not run here)
    new = EmbeddingIndex.objects.get(status=EmbeddingIndex.Status.BUILDING)
    assert f"Started building index {new.pk}" in out
    assert new.model_path == str(second_model) and new.dimension == 384
    assert _hnsw_exists(new)
    assert model_switch_state()["state"] == "building"

    # The build is interrupted after its first batch.
    class Crash(Exception):
        pass

    def crash(_done: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        build_embedding_index(index_id=new.pk, batch_size=1, progress=crash)
    assert ChunkEmbedding.objects.filter(index=new).count() == 1
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.status == "building" and old.status == "active"
    # A run may stop after a slice, to be run again.
    outcome = build_embedding_index(index_id=new.pk, batch_size=1, max_chunks=1)
    assert outcome == BuildOutcome.MORE
    assert ChunkEmbedding.objects.filter(index=new).count() == 2
    # Queries still answer from the old index.
    assert active_index() == old
    assert _dense_titles(teammate, question)[0] == "On call"

    # A page written meanwhile (its own embedding is not run here): the build takes it too.
    late = services.create_page(
        space=space, author=teammate, title="Certificates", body="Renew the TLS cert in March."
    )
    index_page(page_id=late.pk)

    # Running the switch again resumes the same build instead of starting another.
    with django_capture_on_commit_callbacks() as queued:
        assert start_model_switch().state == "building"
    assert len(queued) == 1
    missing = Chunk.objects.count() - ChunkEmbedding.objects.filter(index=new).count()
    embedded: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        outcome = build_embedding_index(index_id=new.pk, batch_size=1, progress=embedded.append)
    assert outcome == BuildOutcome.SWITCHED
    assert embedded[-1] == missing  # only what was missing

    new.refresh_from_db()
    old.refresh_from_db()
    assert new.status == "active" and new.activated_at is not None
    assert old.status == "retired"
    assert not ChunkEmbedding.objects.filter(index=old).exists()
    assert not _hnsw_exists(old) and _hnsw_exists(new)
    assert ChunkEmbedding.objects.filter(index=new).count() == Chunk.objects.count()
    assert active_index() == new
    assert _dense_titles(teammate, question)[0] == "On call"
    assert model_switch_state()["state"] == "current"
    # Done twice is harmless.
    assert build_embedding_index(index_id=new.pk) == BuildOutcome.NOT_BUILDING
    assert start_model_switch().state == "current"


def test_configuring_the_old_model_again_abandons_the_build(
    space, teammate, second_model, settings, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    original = Path(django_settings.EMBEDDING_MODEL)
    ensure_active_index()
    _use_model(settings, second_model)
    with django_capture_on_commit_callbacks(execute=False):
        building = start_model_switch().building
    _use_model(settings, original)
    with django_capture_on_commit_callbacks(execute=True):
        switch = start_model_switch()
    assert switch.state == "current"
    building.refresh_from_db()
    assert building.status == "retired"
    assert not _hnsw_exists(building)
    assert build_embedding_index(index_id=building.pk) == BuildOutcome.NOT_BUILDING


def test_chunks_written_during_a_build_are_embedded_into_the_active_index_then_the_new(
    space, teammate, second_model, settings, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    ensure_active_index()
    _use_model(settings, second_model)
    with django_capture_on_commit_callbacks(execute=False):
        switch = start_model_switch()
    page = services.create_page(
        space=space, author=teammate, title="Certificates", body="Renew the TLS cert in March."
    )
    index_pages_task.run([page.pk])  # what the worker runs after the page is saved
    chunk = Chunk.objects.get(page=page)
    assert ChunkEmbedding.objects.filter(index=switch.active, chunk=chunk).exists()
    assert active_index() == switch.active
    # The build takes it before it switches.
    assert not ChunkEmbedding.objects.filter(index=switch.building, chunk=chunk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert build_embedding_index(index_id=switch.building.pk) == BuildOutcome.SWITCHED
    assert ChunkEmbedding.objects.filter(index=switch.building, chunk=chunk).exists()


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_the_new_index_and_switches(
    celery_worker, space, teammate, second_model, settings
) -> None:  # noqa: ANN001
    from tests.conftest import wait_for

    page = services.create_page(
        space=space, author=teammate, title="On call", body=PAGES["On call"]
    )
    wait_for(lambda: ChunkEmbedding.objects.filter(chunk__page=page).exists(), timeout=120)
    old = active_index()
    _use_model(settings, second_model)
    switch = start_model_switch()  # queues the build on commit (no transaction here: now)
    assert switch.state == "started"

    def switched() -> bool:
        return EmbeddingIndex.objects.filter(
            pk=switch.building.pk, status=EmbeddingIndex.Status.ACTIVE
        ).exists()

    wait_for(switched, timeout=120)
    old.refresh_from_db()
    assert old.status == "retired"
    wait_for(lambda: not ChunkEmbedding.objects.filter(index=old).exists(), timeout=30)
    assert _dense_titles(teammate, "who restarts the payment gateway?") == ["On call"]
