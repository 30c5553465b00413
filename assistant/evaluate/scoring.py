"""Metrics over results rows, per kind and overall."""

from __future__ import annotations

from typing import Any

from assistant.evaluate.metrics import mean, retrieval_scores

RETRIEVAL_METRICS = ("hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10")


def _retrieval(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [retrieval_scores(r.get("retrieved") or [], r["gold"]) for r in rows if r.get("gold")]
    out: dict[str, Any] = {"n": len(scored)}
    for m in RETRIEVAL_METRICS:
        out[m] = mean(s[m] for s in scored)
    return out


def score_rows(rows: list[dict[str, Any]], *, answers: bool = False) -> dict[str, Any]:
    """{"overall": {...}, "by_kind": {kind: {...}}, "questions": n}; retrieval only over rows with gold."""
    kinds = sorted({r.get("kind", "lookup") for r in rows})
    metrics: dict[str, Any] = {
        "questions": len(rows),
        "errors": sum(1 for r in rows if r.get("error")),
        "retrieval": {"overall": _retrieval(rows),
                      "by_kind": {k: _retrieval([r for r in rows if r.get("kind") == k]) for k in kinds}},
    }
    return metrics
