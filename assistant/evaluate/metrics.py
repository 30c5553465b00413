"""Retrieval metrics as pure functions over ranked titles and a gold set.

Relevance is binary (a retrieved title is relevant when it is in gold). An empty
result list scores 0 on every metric; a question with empty gold has no retrieval
score (the caller leaves it out).

    >>> mrr_at_k(["b", "a"], {"a"}, 10)
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def hit_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    return 1.0 if any(t in gold for t in ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    if not gold:
        return 0.0
    return len(gold & set(ranked[:k])) / len(gold)


def mrr_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    for i, t in enumerate(ranked[:k], 1):
        if t in gold:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, t in enumerate(dict.fromkeys(ranked[:k]), 1) if t in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def retrieval_scores(ranked: Sequence[str], gold: Iterable[str]) -> dict[str, float]:
    g = set(gold)
    return {
        "hit@1": hit_at_k(ranked, g, 1),
        "hit@5": hit_at_k(ranked, g, 5),
        "recall@5": recall_at_k(ranked, g, 5),
        "mrr@10": mrr_at_k(ranked, g, 10),
        "ndcg@10": ndcg_at_k(ranked, g, 10),
    }


def mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return sum(vals) / len(vals) if vals else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """Linear-interpolated percentile, q in [0, 100]; None for no values."""
    vals = sorted(values)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)
