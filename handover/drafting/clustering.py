"""Topics from thread embeddings: agglomerative for a few thousand threads, k-means above.

Pure functions over normalised numpy rows; the runner loads and writes the rows.
"""

from __future__ import annotations

import math

import numpy as np
from django.conf import settings

# Up to this many threads, average-linkage agglomerative clustering (quadratic memory).
AGGLOMERATIVE_LIMIT = 3000
# Cosine distance under which two groups of threads are one topic.
DISTANCE_THRESHOLD = 0.6


def max_topics() -> int:
    return int(getattr(settings, "DRAFT_MAX_TOPICS", 30))


def cluster_embeddings(embeddings: np.ndarray) -> list[int]:
    """A topic label for each row of ``embeddings`` (0-based, dense, largest topic first)."""
    count = len(embeddings)
    if count == 0:
        return []
    if count == 1:
        return [0]
    cap = max_topics()
    if count <= AGGLOMERATIVE_LIMIT:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=DISTANCE_THRESHOLD,
        ).fit_predict(embeddings)
        if len(set(labels)) > cap:
            labels = AgglomerativeClustering(
                n_clusters=cap, metric="cosine", linkage="average"
            ).fit_predict(embeddings)
    else:
        from sklearn.cluster import MiniBatchKMeans

        k = max(2, min(cap, round(math.sqrt(count / 2))))
        labels = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3).fit_predict(embeddings)
    return _dense_by_size([int(label) for label in labels])


def _dense_by_size(labels: list[int]) -> list[int]:
    sizes: dict[int, int] = {}
    for label in labels:
        sizes[label] = sizes.get(label, 0) + 1
    order = sorted(sizes, key=lambda label: (-sizes[label], label))
    renumber = {label: index for index, label in enumerate(order)}
    return [renumber[label] for label in labels]


def normalised_mean(rows: np.ndarray) -> np.ndarray:
    mean = np.asarray(rows, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean
