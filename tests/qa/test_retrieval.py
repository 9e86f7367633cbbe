"""Hybrid retrieval finds what the asker may read and nothing else; the filter is in the SQL."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qa.indexing import (
    ThreadSource,
    embed_pending_chunks,
    ensure_active_index,
    hide_consent_chunks,
    index_page,
    purge_consent_chunks,
    replace_thread_sources,
)
from qa.models import Chunk, CorpusStats, Posting, Term
from qa.retrieval import dense_candidates, embed_question, search_chunks
from wiki import services

pytestmark = pytest.mark.django_db


def _page(space, author, title, body):  # noqa: ANN001, ANN202
    page = services.create_page(space=space, author=author, title=title, body=body)
    index_page(page_id=page.pk)
    return page


def _found(user, question, mode="hybrid"):  # noqa: ANN001, ANN202
    ids = [c.chunk_id for c in search_chunks(user=user, question=question, mode=mode)]
    return list(Chunk.objects.filter(pk__in=ids).values_list("title", flat=True).distinct())


def _thread(space, key="case:1", **overrides) -> ThreadSource:  # noqa: ANN001
    values = {
        "source_key": f"{key}:thread:7",
        "space_id": space.pk,
        "title": "Certificate renewal",
        "text": "The TLS certificate of the billing gateway expires every March; renew it early.",
        "url": "/handover/cases/1/sources/7/",
        "owner_label": "Colleague A",
        "consent_key": key,
        "purpose": Chunk.QA_PURPOSE,
        "expires_at": None,
    }
    values.update(overrides)
    return ThreadSource(**values)


def test_keywords_rank_by_rarity_with_english_stemming(space, teammate) -> None:  # noqa: ANN001
    _page(space, teammate, "Deploying", "We deploy the service with the pipeline every day.")
    _page(space, teammate, "Backups", "The database backups run nightly; restoring takes an hour.")
    _page(space, teammate, "Chatter", "The the the service service day day pipeline.")
    # "restored" stems to "restor", found in "restoring"; rare words outweigh common ones.
    assert _found(teammate, "how is a database restored?", mode="keyword") == ["Backups"]
    stats = CorpusStats.objects.get()
    assert stats.chunks == 3 and stats.total_length > 0
    assert Term.objects.get(text="servic").document_frequency == 2


def test_chinese_is_found_by_character_pairs(space, teammate) -> None:  # noqa: ANN001
    _page(space, teammate, "运维手册", "部署流程需要先检查数据库备份。")
    _page(space, teammate, "Other", "Nothing about it.")
    assert _found(teammate, "怎么部署？", mode="keyword") == ["运维手册"]


def test_reindexing_an_unchanged_page_keeps_its_chunks_and_an_edit_replaces_them(
    space,
    teammate,  # noqa: ANN001
) -> None:
    page = _page(space, teammate, "Runbook", "# One\n\nAlpha text.\n\n# Two\n\nBeta text.")
    before = dict(Chunk.objects.values_list("ordinal", "pk"))
    assert index_page(page_id=page.pk) == []
    assert dict(Chunk.objects.values_list("ordinal", "pk")) == before
    services.publish_revision(
        page=page, author=teammate, body="# One\n\nAlpha text.", base_revision=None
    )
    changed = index_page(page_id=page.pk)
    assert changed == [] and Chunk.objects.count() == 1
    assert not Posting.objects.filter(term__text="beta").exists()
    assert Term.objects.get(text="beta").document_frequency == 0
    assert CorpusStats.objects.get().chunks == 1


def test_a_trashed_page_leaves_the_index_and_comes_back_when_restored(space, teammate) -> None:  # noqa: ANN001
    page = _page(space, teammate, "Runbook", "Rotate the signing keys yearly.")
    services.delete_page(page=page, by=teammate)
    # Found nowhere even before the indexer runs: the filter reads the page live.
    assert _found(teammate, "signing keys", mode="keyword") == []
    index_page(page_id=page.pk)
    assert Chunk.objects.count() == 0 and CorpusStats.objects.get().chunks == 0
    services.undelete_page(page=page, by=teammate)
    index_page(page_id=page.pk)
    assert _found(teammate, "signing keys", mode="keyword") == ["Runbook"]


def test_each_persona_finds_only_what_they_may_read(
    space,
    public_space,
    manager,
    teammate,
    successor,
    outsider,
    subject,  # noqa: ANN001
) -> None:
    _page(space, teammate, "Private runbook", "Rotate the signing keys yearly.")
    _page(
        public_space, manager, "Public handbook", "Signing keys are rotated by the platform team."
    )
    everything = ["Private runbook", "Public handbook"]
    for user in (teammate, successor, subject, manager):
        assert sorted(_found(user, "signing keys", mode="keyword")) == everything, user
    assert _found(outsider, "signing keys", mode="keyword") == ["Public handbook"]

    from django.contrib.auth.models import AnonymousUser

    assert search_chunks(user=AnonymousUser(), question="signing keys") == []


def test_the_access_filter_is_inside_each_candidate_query(space, teammate, outsider) -> None:  # noqa: ANN001
    _page(space, teammate, "Private runbook", "Rotate the signing keys yearly.")
    with CaptureQueriesContext(connection) as queries:
        assert search_chunks(user=outsider, question="signing keys", mode="keyword") == []
    scoring = [q["sql"] for q in queries.captured_queries if "scored" in q["sql"]]
    assert scoring
    for query in scoring:
        assert "wiki_spacerole" in query and "c.searchable" in query
        assert "deleted_at IS NULL" in query


def test_keyword_matches_beyond_the_first_scored_are_found_when_those_are_unreadable(
    space, public_space, manager, teammate, outsider, monkeypatch
) -> None:  # noqa: ANN001
    import qa.retrieval as retrieval

    for number in range(3):
        _page(space, teammate, f"Private {number}", "Signing keys, signing keys, signing keys.")
    _page(public_space, manager, "Public handbook", "The signing keys of the platform team.")
    public = Chunk.objects.get(title="Public handbook").pk
    monkeypatch.setattr(retrieval, "KEYWORD_FACTOR", 1)
    with CaptureQueriesContext(connection) as queries:
        found = retrieval.keyword_candidates(user=outsider, terms=["sign", "key"], limit=1)
    assert [chunk_id for chunk_id, _score in found] == [public]
    # The best match overall is private: the first query found nothing readable, so it ran
    # again over every match.
    assert len([q for q in queries.captured_queries if "scored" in q["sql"]]) == 2
    for limit in (1, 2, 4):
        narrow = retrieval.keyword_candidates(user=teammate, terms=["sign", "key"], limit=limit)
        monkeypatch.setattr(retrieval, "KEYWORD_FACTOR", 10)
        assert (
            retrieval.keyword_candidates(user=teammate, terms=["sign", "key"], limit=limit)
            == narrow
        )
        monkeypatch.setattr(retrieval, "KEYWORD_FACTOR", 1)
    assert public in {chunk_id for chunk_id, _score in narrow}


def test_postings_carry_their_chunks_length(space, teammate) -> None:  # noqa: ANN001
    page = _page(space, teammate, "Runbook", "## One\n\nRotate keys.\n\n## Two\n\nRenew the certs.")
    services.publish_revision(
        page=page,
        author=teammate,
        body="## One\n\nRotate the keys yearly.\n",
        base_revision=page.current_revision,
    )
    index_page(page_id=page.pk)
    postings = list(Posting.objects.select_related("chunk"))
    assert postings
    assert all(posting.chunk_length == posting.chunk.length for posting in postings)


def test_thread_chunks_follow_their_consent(space, teammate, outsider) -> None:  # noqa: ANN001
    replace_thread_sources(consent_key="case:1", sources=[_thread(space)])
    assert _found(teammate, "certificate renewal", mode="keyword") == ["Certificate renewal"]
    assert _found(outsider, "certificate renewal", mode="keyword") == []

    # Expired consent: gone at once, without any reindex.
    Chunk.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _found(teammate, "certificate renewal", mode="keyword") == []
    Chunk.objects.update(expires_at=None)

    # Withdrawal hides in the caller's transaction; the purge deletes.
    assert hide_consent_chunks(consent_key="case:1") == 1
    assert _found(teammate, "certificate renewal", mode="keyword") == []
    assert purge_consent_chunks(consent_key="case:1") == 1
    assert not Chunk.objects.exists() and not Posting.objects.exists()
    assert purge_consent_chunks(consent_key="case:1") == 0


def test_a_source_no_longer_served_loses_its_chunks(space, teammate) -> None:  # noqa: ANN001
    first = _thread(space)
    second = _thread(
        space, source_key="case:1:thread:8", title="Invoices", text="Invoices go out monthly."
    )
    replace_thread_sources(consent_key="case:1", sources=[first, second])
    assert Chunk.objects.count() == 2
    replace_thread_sources(consent_key="case:1", sources=[second])
    assert list(Chunk.objects.values_list("title", flat=True)) == ["Invoices"]


def test_a_thread_source_must_carry_the_q_and_a_purpose(space) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="purpose"):
        replace_thread_sources(consent_key="case:1", sources=[_thread(space, purpose="publish")])
    with pytest.raises(ValueError, match="belongs to"):
        replace_thread_sources(consent_key="case:2", sources=[_thread(space)])
    assert not Chunk.objects.exists()


def test_dense_and_hybrid_find_a_paraphrase_and_never_an_unreadable_chunk(
    space,
    public_space,
    manager,
    teammate,
    outsider,  # noqa: ANN001
) -> None:
    _page(space, teammate, "Private runbook", "How to restart the payment service after an outage.")
    _page(public_space, manager, "Lunch", "The canteen serves soup on Fridays.")
    _page(public_space, manager, "Holidays", "Book your vacation days in the HR tool.")
    index = ensure_active_index()
    assert embed_pending_chunks() == 3
    assert embed_pending_chunks() == 0
    question = "bring the billing system back up after it crashed"
    assert _found(teammate, question, mode="dense")[0] == "Private runbook"
    assert _found(teammate, question)[0] == "Private runbook"
    # The outsider's vector query is given the private chunk's own text: still not found.
    vector = embed_question("How to restart the payment service after an outage.", index)
    found = dense_candidates(user=outsider, vector=vector, index=index)
    private = Chunk.objects.get(title="Private runbook").pk
    assert private not in [chunk_id for chunk_id, _distance in found] and len(found) == 2


def test_an_edited_chunk_is_re_embedded(space, teammate) -> None:  # noqa: ANN001
    page = _page(space, teammate, "Runbook", "Old words.")
    ensure_active_index()
    embed_pending_chunks()
    services.publish_revision(page=page, author=teammate, body="New words.", base_revision=None)
    index_page(page_id=page.pk)
    assert embed_pending_chunks() == 1
