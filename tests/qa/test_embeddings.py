"""The real offline embedding model: its declared size, normalised vectors, and meaning."""

import numpy as np
import pytest

from qa.embeddings import (
    EmbeddingModelError,
    embed_texts,
    embedding_model_info,
    get_embedding_model,
)


def test_it_reads_the_models_name_and_dimension_without_loading_it() -> None:
    info = embedding_model_info()
    assert info.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert info.dimension == 384


def test_it_embeds_each_text_as_one_unit_vector_of_the_declared_dimension() -> None:
    texts = ["Deploys go out on Tuesdays.", "部署在周二进行。", ""]
    vectors = embed_texts(texts)
    assert vectors.shape == (len(texts), embedding_model_info().dimension)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_it_places_texts_of_the_same_meaning_nearer_than_others() -> None:
    query, close, far = embed_texts(
        [
            "How do I restart the payment service?",
            "Steps to restart the payments backend",
            "The cafeteria serves soup on Fridays",
        ]
    )
    assert float(query @ close) > float(query @ far) + 0.2


def test_it_gives_the_same_vector_for_the_same_text_in_any_batch() -> None:
    alone = embed_texts(["Who owns the billing runbook?"])[0]
    batched = embed_texts(["something else", "Who owns the billing runbook?"], batch_size=2)[1]
    assert np.allclose(alone, batched, atol=1e-5)


def test_it_loads_the_model_once_per_process() -> None:
    assert get_embedding_model() is get_embedding_model()


def test_a_folder_that_is_no_model_is_refused_clearly(settings, tmp_path) -> None:  # noqa: ANN001
    settings.EMBEDDING_MODEL = tmp_path
    embedding_model_info.cache_clear()
    try:
        with pytest.raises(EmbeddingModelError, match="modules.json"):
            embedding_model_info()
    finally:
        embedding_model_info.cache_clear()
