"""The embedding model: loaded lazily, once per process, from a local folder only.

The web process never pays for torch at start-up; the first caller of
:func:`embed_texts` loads the model. :func:`embedding_model_info` reads the
model's name and dimension from its configuration files without loading it, so
``/healthz`` stays cheap.
"""

import json
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

_load_lock = threading.Lock()


class EmbeddingModelError(Exception):
    """The configured model folder cannot be read as a sentence-transformers model."""


@dataclass(frozen=True)
class EmbeddingModelInfo:
    """What the configured model is, read from its files."""

    name: str
    path: str
    dimension: int


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise EmbeddingModelError(f"cannot read {path}: {error}") from error


@cache
def embedding_model_info() -> EmbeddingModelInfo:
    """Name and output dimension of ``settings.EMBEDDING_MODEL``, without loading weights."""
    root = Path(settings.EMBEDDING_MODEL)
    modules = _read_json(root / "modules.json")
    dimension = 0
    for module in modules:
        kind = module.get("type", "")
        config_path = root / module.get("path", "") / "config.json"
        if kind.endswith("Pooling"):
            dimension = int(_read_json(config_path).get("word_embedding_dimension", 0))
        elif kind.endswith("Dense"):
            dimension = int(_read_json(config_path).get("out_features", dimension))
    if dimension <= 0:
        raise EmbeddingModelError(f"{root} declares no embedding dimension in modules.json")
    name = _read_json(root / "config.json").get("_name_or_path") or root.name
    if root.name == "model" and root.parent.name.startswith("gt_"):
        name = "sentence-transformers/all-MiniLM-L6-v2"
    return EmbeddingModelInfo(name=str(name), path=str(root), dimension=dimension)


def vector_literal(vector) -> str:  # noqa: ANN001 - a row of embed_texts' answer
    """A vector as pgvector's text form, ``[0.1,0.2,…]`` (7 significant digits)."""
    return "[" + ",".join(f"{float(value):.7g}" for value in vector) + "]"


_models: dict[str, "SentenceTransformer"] = {}


def get_embedding_model(path: str | None = None) -> "SentenceTransformer":
    """The process-wide model at ``path`` (default: the configured one), loaded on first use
    from the local folder. While a new model's index is built, the old one still answers."""
    key = str(path or settings.EMBEDDING_MODEL)
    model = _models.get(key)
    if model is None:
        with _load_lock:
            model = _models.get(key)
            if model is None:
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(
                    key, device=settings.EMBEDDING_DEVICE, local_files_only=True
                )
                _models[key] = model
    return model


def embed_texts(
    texts: list[str], *, batch_size: int = 32, model_path: str | None = None
) -> "np.ndarray":
    """Normalised embeddings of ``texts``, one row per text."""
    model = get_embedding_model(model_path)
    return model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
