"""The embedding model's health check, registered with /healthz by ``QaConfig.ready``."""

from core.health import Check
from qa.embeddings import EmbeddingModelError, embedding_model_info


def check_embedding_model() -> Check:
    """Whether the configured model folder reads as a model, without loading its weights."""
    try:
        info = embedding_model_info()
    except EmbeddingModelError as error:
        return Check(False, {"error": str(error)})
    return Check(True, {"name": info.name, "dimension": info.dimension})
