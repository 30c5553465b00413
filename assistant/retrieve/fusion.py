"""Pure ranking functions: reciprocal rank fusion and maximal marginal relevance.

    >>> rrf({"a": 1, "b": 2}, {"b": 1}, k=60)["b"] > rrf({"a": 1, "b": 2}, {"b": 1}, k=60)["a"]
    True
"""

from __future__ import annotations

import numpy as np


def rrf(*rankings: dict[str, int], k: int = 60, weights: tuple[float, ...] | None = None) -> dict[str, float]:
    """Fused score per key: sum over rankings of weight / (k + rank); ranks start at 1."""
    weights = weights or (1.0,) * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for key, rank in ranking.items():
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
    return scores


def first_ranks(keys: list[str]) -> dict[str, int]:
    """1-based rank of each key's first appearance: chunk order -> paper ranks."""
    ranks: dict[str, int] = {}
    for key in keys:
        ranks.setdefault(key, len(ranks) + 1)
    return ranks


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float) -> list[int]:
    """Indices picked greedily by lam * relevance - (1 - lam) * max similarity to those already picked."""
    picked: list[int] = []
    rest = list(range(len(relevance)))
    while rest and len(picked) < k:
        if picked:
            redundancy = (vectors[rest] @ vectors[picked].T).max(axis=1)
        else:
            redundancy = np.zeros(len(rest))
        best = int(np.argmax(lam * relevance[rest] - (1 - lam) * redundancy))
        picked.append(rest.pop(best))
    return picked
