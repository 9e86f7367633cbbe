"""The embedding model's health check, registered with /healthz by ``QaConfig.ready``."""

from django.db import DatabaseError

from core.health import Check
from qa.embeddings import EmbeddingModelError, embedding_model_info


def check_embedding_model() -> Check:
    """Whether the configured model folder reads as a model, without loading its weights.

    ``index`` says whether the active index is the configured model's (``current``), a new
    one is being built (``building``) or a switch is needed (``switch_needed``: run
    ``manage.py reindex --switch-model``). That is information, never a failure: the old
    index keeps answering.
    """
    from qa.rebuild import model_switch_state

    try:
        info = embedding_model_info()
    except EmbeddingModelError as error:
        return Check(False, {"error": str(error)})
    try:
        index = model_switch_state()
    except DatabaseError as error:
        # The database check reports the database; this one only says it could not look.
        index = {"state": "unknown", "error": str(error).strip()[:300]}
    return Check(True, {"name": info.name, "dimension": info.dimension, "index": index})
