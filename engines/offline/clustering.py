"""Clustering of short documents in numpy and scipy: sublinear TF-IDF, k-means with
greedy k-means++ seeding from a fixed seed, and the cosine silhouette to choose how many
clusters. Deterministic: the same documents give the same clusters.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse


_SILHOUETTE_SAMPLE = 2000
_K_MEANS_SEEDINGS = 3
_K_MEANS_ROUNDS = 300


def tf_idf(documents: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, list[str]]:
    """One row per document (non-empty) of sublinear TF-IDF weights, scaled to unit length,
    and the term of each column (alphabetical): tf = 1 + ln(count),
    idf = 1 + ln((1 + documents) / (1 + documents with the term))."""
    import numpy as np
    from scipy import sparse

    vocabulary = sorted({term for document in documents for term in document})
    column = {term: j for j, term in enumerate(vocabulary)}
    rows, columns, counts = [], [], []
    for row, document in enumerate(documents):
        for term, count in sorted(Counter(document).items()):
            rows.append(row)
            columns.append(column[term])
            counts.append(count)
    frequency = np.bincount(columns, minlength=len(vocabulary))
    idf = 1 + np.log((1 + len(documents)) / (1 + frequency))
    weights = (1 + np.log(np.array(counts, dtype=float))) * idf[columns]
    matrix = sparse.csr_matrix((weights, (rows, columns)), shape=(len(documents), len(vocabulary)))
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.csr_matrix(sparse.diags(1 / lengths) @ matrix), vocabulary


def best_clustering(matrix: sparse.csr_matrix, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of the best k-means clustering with 2 to `limit` clusters (the
    best separated by silhouette), or of a single cluster when `limit` is below 2."""
    import numpy as np

    if limit < 2:
        return np.zeros(matrix.shape[0], dtype=int), np.asarray(matrix.mean(axis=0))
    fits = [_k_means(matrix, count) for count in range(2, limit + 1)]
    # max keeps the first of equals: the fewest clusters.
    return max(fits, key=lambda fit: _separation(matrix, fit[0]))


def _k_means(matrix: sparse.csr_matrix, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of k-means (k-means++ seeding, Lloyd's iterations) over unit
    rows: the least inertia of a few seedings drawn from a fixed seed."""
    import numpy as np

    generator = np.random.default_rng(0)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(_K_MEANS_SEEDINGS):
        centres = _seed_centres(matrix, count, generator)
        labels = np.full(matrix.shape[0], -1)
        for _ in range(_K_MEANS_ROUNDS):
            distances = _squared_distances(matrix, centres)
            new_labels = distances.argmin(axis=1)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            centres = _centres(matrix, labels, count, distances)
        inertia = float(_squared_distances(matrix, centres)[np.arange(len(labels)), labels].sum())
        if best is None or inertia < best[0]:
            best = (inertia, labels, centres)
    assert best is not None
    return best[1], best[2]


def _squared_distances(matrix: sparse.csr_matrix, centres: np.ndarray) -> np.ndarray:
    import numpy as np

    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2, and every row has length 1.
    products = np.asarray(matrix @ centres.T)
    return np.maximum(1 - 2 * products + (centres**2).sum(axis=1), 0)


def _seed_centres(
    matrix: sparse.csr_matrix, count: int, generator: np.random.Generator
) -> np.ndarray:
    """Greedy k-means++: each next centre the best of a few rows drawn with odds by their
    squared distance to the nearest centre so far (the one that leaves rows nearest)."""
    import numpy as np

    rows = matrix.shape[0]
    trials = 2 + int(math.log(count))
    chosen = [int(generator.integers(rows))]
    nearest = _squared_distances(matrix, matrix[chosen].toarray()).ravel()
    while len(chosen) < count:
        total = nearest.sum()
        if total <= 0:  # every row sits on a centre: any other row will do
            chosen.append(next(i for i in range(rows) if i not in chosen))
            continue
        odds = np.cumsum(nearest) / total
        candidates = np.minimum(np.searchsorted(odds, generator.random(trials)), rows - 1)
        distances = _squared_distances(matrix, matrix[candidates].toarray()).T
        distances = np.minimum(nearest, distances)
        best = int(distances.sum(axis=1).argmin())
        chosen.append(int(candidates[best]))
        nearest = distances[best]
    return matrix[chosen].toarray()


def _centres(
    matrix: sparse.csr_matrix, labels: np.ndarray, count: int, distances: np.ndarray
) -> np.ndarray:
    """The mean of each cluster's rows; a cluster left empty takes the row farthest from
    its own centre."""
    import numpy as np
    from scipy import sparse

    rows = matrix.shape[0]
    membership = sparse.csr_matrix((np.ones(rows), (labels, np.arange(rows))), shape=(count, rows))
    sizes = np.bincount(labels, minlength=count)
    centres = np.asarray((membership @ matrix).todense()) / np.maximum(sizes, 1)[:, None]
    far = np.argsort(-distances[np.arange(rows), labels], kind="stable")
    for label, row in zip(np.flatnonzero(sizes == 0), far, strict=False):
        centres[label] = matrix[row].toarray().ravel()
    return centres


def _separation(matrix: sparse.csr_matrix, labels: np.ndarray) -> float:
    """The mean silhouette of a clustering under cosine distance, on a fixed sample: exact
    silhouettes cost n^2."""
    import numpy as np

    count = matrix.shape[0]
    sample = np.arange(count)
    if count > _SILHOUETTE_SAMPLE:
        generator = np.random.default_rng(0)
        sample = np.sort(generator.choice(count, _SILHOUETTE_SAMPLE, replace=False))
    labels = np.unique(labels[sample], return_inverse=True)[1]
    clusters = labels.max() + 1
    if clusters < 2:
        return -1.0
    rows = matrix[sample]
    distance = np.clip(1 - np.asarray((rows @ rows.T).todense()), 0, 2)
    np.fill_diagonal(distance, 0)
    sizes = np.bincount(labels, minlength=clusters)
    totals = distance @ np.eye(clusters)[labels]  # each row's summed distance to each cluster
    here = np.arange(len(labels))
    own = sizes[labels]
    inside = totals[here, labels] / np.maximum(own - 1, 1)
    mean_to = totals / sizes
    mean_to[here, labels] = np.inf
    nearest_other = mean_to.min(axis=1)
    widest = np.maximum(inside, nearest_other)
    scores = np.divide(nearest_other - inside, widest, out=np.zeros_like(inside), where=widest > 0)
    scores[own == 1] = 0  # a lone member's silhouette is 0 by convention
    return float(scores.mean())
