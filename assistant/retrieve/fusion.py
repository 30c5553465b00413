"""Pure ranking functions: fusion of the dense and BM25 candidates per paper, and maximal marginal relevance.

    >>> rrf({"a": 1, "b": 2}, {"b": 1}, k=60)["b"] > rrf({"a": 1, "b": 2}, {"b": 1}, k=60)["a"]
    True
    >>> c = Candidates(dense=[("a", 0.8), ("b", 0.7)], lexical=[("b", 12.0), ("c", 3.0)])
    >>> fuse(c, RetrievalSettings(fusion="scores", score_norm="max", dense_weight=0.5, lexical_weight=0.5))
    ['b', 'a', 'c']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.config import RetrievalSettings


@dataclass
class Candidates:
    """What the two retrievers returned for one query, chunk by chunk, best first."""

    dense: list[tuple[str, float]]  # (paper id, cosine similarity)
    lexical: list[tuple[str, float]]  # (paper id, BM25 score)
    named: set[str] = field(default_factory=set)  # papers carrying a rare name of the query


def best_per_key(pairs: list[tuple[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, score in pairs:
        out.setdefault(key, score)
    return out


def normalised(best: dict[str, float], how: str) -> dict[str, float]:
    """Scores divided by the best one ("max"), or mapped onto [0, 1] over the candidates ("minmax")."""
    if not best:
        return {}
    hi, lo = max(best.values()), min(best.values())
    if how == "minmax":
        return {k: (v - lo) / (hi - lo) if hi > lo else 1.0 for k, v in best.items()}
    return {k: v / hi if hi > 0 else 0.0 for k, v in best.items()}


def fused_scores(c: Candidates, s: RetrievalSettings) -> dict[str, float]:
    """One score per paper: weighted RRF over each retriever's paper ranks, or a weighted sum of normalised scores."""
    if s.fusion == "rrf":
        return rrf(first_ranks([k for k, _ in c.dense]), first_ranks([k for k, _ in c.lexical]), k=s.rrf_k,
                   weights=(s.dense_weight, s.lexical_weight))
    dense, lexical = normalised(best_per_key(c.dense), s.score_norm), normalised(best_per_key(c.lexical), s.score_norm)
    return {k: s.dense_weight * dense.get(k, 0.0) + s.lexical_weight * lexical.get(k, 0.0)
            for k in dense.keys() | lexical.keys()}


def boosted(scores: dict[str, float], named: set[str], name_boost: float) -> dict[str, float]:
    """Scores with `name_boost` times the best score added for papers carrying a rare name of the query
    (1 or more: those papers first)."""
    top = max(scores.values(), default=0.0)
    return {k: v + name_boost * top if k in named else v for k, v in scores.items()}


def ordered(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda k: (-scores[k], k))


def fuse(c: Candidates, s: RetrievalSettings) -> list[str]:
    return ordered(boosted(fused_scores(c, s), c.named, s.name_boost))


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
