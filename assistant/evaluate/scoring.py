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


def score_rows(rows: list[dict[str, Any]], *, answers: bool = False, judge: Any = None,
               papers: dict[str, Any] | None = None, threshold: float = 0.58) -> dict[str, Any]:
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
        alce = ({r["id"]: _alce(r, judge, papers, threshold) for r in answered}
                if judge is not None and papers is not None else {})
        metrics["answers"] = {"overall": answer_metrics(answered, alce),
                              "by_kind": {k: answer_metrics([r for r in answered if r.get("kind") == k], alce)
                                          for k in kinds}}
    return metrics


def answer_metrics(rows: list[dict[str, Any]], alce_by_id: dict[str, Any] | None = None) -> dict[str, Any]:
    """Gold-paper citation precision/recall, refusals, fact coverage and latency over answered rows."""
    gold_rows = [r for r in rows if r.get("gold")]
    no_gold = [r for r in rows if not r.get("gold")]
    cites = [(set(r.get("citations") or []), set(r["gold"])) for r in gold_rows]
    n_cited = sum(len(c) for c, _ in cites) + sum(len(r.get("citations") or []) for r in no_gold)
    facts = [_facts(r) for r in gold_rows if r.get("answer_facts")]
    timings = [r.get("timings") or {} for r in rows]
    refused = [r for r in rows if r.get("refused")]
    alce = [a for r in rows if (a := (alce_by_id or {}).get(r["id"])) is not None]
    drafts = [d for r in rows if r.get("draft") is not None and "source_ids" in r
              if (d := _validity(r)) is not None]
    return {
        "n": len(rows),
        "citation_validity": mean(drafts),
        "alce_citation_recall": mean(a.recall for a in alce if a.recall is not None),
        "alce_citation_precision": mean(a.precision for a in alce if a.precision is not None),
        "citation_precision": sum(len(c & g) for c, g in cites) / n_cited if n_cited else None,
        "citation_recall": mean(len(c & g) / len(g) for c, g in cites),
        "refusal_recall": mean(1.0 if r.get("refused") else 0.0 for r in no_gold),
        "refusal_precision": (sum(1 for r in refused if not r.get("gold")) / len(refused)) if refused else None,
        "false_refusal_rate": mean(1.0 if r.get("refused") else 0.0 for r in gold_rows),
        "fact_coverage": mean(facts),
        "retrieve_p50_ms": percentile([t["retrieve_ms"] for t in timings if "retrieve_ms" in t], 50),
        "retrieve_p95_ms": percentile([t["retrieve_ms"] for t in timings if "retrieve_ms" in t], 95),
        "ttft_p50_ms": percentile([t["ttft_ms"] for t in timings if "ttft_ms" in t], 50),
        "ttft_p95_ms": percentile([t["ttft_ms"] for t in timings if "ttft_ms" in t], 95),
        "total_p50_ms": percentile([t["total_ms"] for t in timings if "total_ms" in t], 50),
        "total_p95_ms": percentile([t["total_ms"] for t in timings if "total_ms" in t], 95),
        "completion_tokens_mean": mean((r.get("usage") or {}).get("completion_tokens", 0) for r in rows
                                       if (r.get("usage") or {}).get("completion_tokens")),
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


def _validity(row: dict[str, Any]) -> float | None:
    """Share of the draft's citation numbers that point at a given source (None: the draft cites nothing)."""
    from assistant.answer.citations import MARKER, parse_numbers

    nums = [n for m in MARKER.finditer(row.get("draft") or "") for n in parse_numbers(m.group(1))]
    if not nums:
        return None
    return sum(1 for n in nums if 1 <= n <= len(row["source_ids"])) / len(nums)


def _alce(row: dict[str, Any], judge: Any, papers: dict[str, Any], threshold: float) -> Any:
    from assistant.evaluate.alce import alce

    ids = row.get("source_ids") or []
    if row.get("refused") or not ids or not all(i in papers for i in ids):
        return None
    return alce(row.get("answer") or "", {n: papers[i] for n, i in enumerate(ids, 1)}, judge, threshold)
