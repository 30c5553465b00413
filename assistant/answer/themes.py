"""Themes of a summary: the chosen papers grouped by their embeddings, no model call.

Average-linkage agglomerative clustering on cosine similarity; the number of themes (2 to
`most`) is the one with the best silhouette, and a handful of papers stays one theme.

    >>> import numpy as np
    >>> v = np.array([[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99]], dtype=float)
    >>> group(v / np.linalg.norm(v, axis=1, keepdims=True), most=3)
    [[0, 1], [2, 3]]
"""

from __future__ import annotations

import numpy as np


def _merge(sim: np.ndarray, k: int) -> list[list[int]]:
    """Average-linkage clusters, merged until k are left."""
    groups = [[i] for i in range(len(sim))]
    while len(groups) > k:
        best, pair = -np.inf, (0, 1)
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                s = float(sim[np.ix_(groups[a], groups[b])].mean())
                if s > best:
                    best, pair = s, (a, b)
        a, b = pair
        groups[a] = sorted(groups[a] + groups.pop(b))
    return sorted(groups, key=lambda g: g[0])


def silhouette(sim: np.ndarray, groups: list[list[int]]) -> float:
    """Mean silhouette with 1 - cosine as the distance; a paper alone in its group scores 0."""
    dist = 1.0 - sim
    label = {i: g for g, members in enumerate(groups) for i in members}
    scores = []
    for i in range(len(sim)):
        own = [j for j in groups[label[i]] if j != i]
        if not own:
            scores.append(0.0)
            continue
        a = float(dist[i, own].mean())
        b = min(float(dist[i, members].mean()) for g, members in enumerate(groups) if g != label[i])
        scores.append((b - a) / max(a, b, 1e-9))
    return float(np.mean(scores))


def group(vectors: np.ndarray, *, most: int = 4, alone: int = 3) -> list[list[int]]:
    """Row indices grouped into themes: one theme for `alone` papers or fewer, else 2..`most` by silhouette."""
    n = len(vectors)
    if n <= alone:
        return [list(range(n))] if n else []
    sim = vectors @ vectors.T
    options = [_merge(sim, k) for k in range(2, min(most, n - 1) + 1)]
    return max(options, key=lambda g: silhouette(sim, g))
