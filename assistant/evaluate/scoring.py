"""Metrics over results rows, per kind and overall."""

from __future__ import annotations

from typing import Any

from assistant.evaluate.metrics import mean, percentile, retrieval_scores

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
    if answers:
        answered = [r for r in rows if "answer" in r]
        metrics["answers"] = {"overall": answer_metrics(answered),
                              "by_kind": {k: answer_metrics([r for r in answered if r.get("kind") == k]) for k in kinds}}
    return metrics


def answer_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Gold-paper citation precision/recall, refusals, fact coverage and latency over answered rows."""
    gold_rows = [r for r in rows if r.get("gold")]
    no_gold = [r for r in rows if not r.get("gold")]
    cites = [(set(r.get("citations") or []), set(r["gold"])) for r in gold_rows]
    n_cited = sum(len(c) for c, _ in cites) + sum(len(r.get("citations") or []) for r in no_gold)
    facts = [_facts(r) for r in gold_rows if r.get("answer_facts")]
    timings = [r.get("timings") or {} for r in rows]
    return {
        "n": len(rows),
        "citation_precision": sum(len(c & g) for c, g in cites) / n_cited if n_cited else None,
        "citation_recall": mean(len(c & g) / len(g) for c, g in cites),
        "refusal_recall": mean(1.0 if r.get("refused") else 0.0 for r in no_gold),
        "false_refusal_rate": mean(1.0 if r.get("refused") else 0.0 for r in gold_rows),
        "fact_coverage": mean(facts),
        "ttft_p50_ms": percentile([t["ttft_ms"] for t in timings if "ttft_ms" in t], 50),
        "ttft_p95_ms": percentile([t["ttft_ms"] for t in timings if "ttft_ms" in t], 95),
        "total_p50_ms": percentile([t["total_ms"] for t in timings if "total_ms" in t], 50),
        "prompt_tokens_mean": mean((r.get("usage") or {}).get("prompt_tokens", 0) for r in rows
                                   if (r.get("usage") or {}).get("prompt_tokens")),
    }


def _facts(row: dict[str, Any]) -> float:
    """Share of the answer facts whose content words mostly (>= 60%) appear in the answer."""
    from assistant.answer.support import content_words

    said = content_words(row.get("answer") or "")
    hits = 0
    for fact in row.get("answer_facts") or []:
        words = content_words(fact)
        if words and len(words & said) / len(words) >= 0.6:
            hits += 1
    return hits / len(row["answer_facts"])
