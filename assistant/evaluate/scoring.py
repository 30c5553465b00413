"""Metrics over results rows, per kind and overall."""

from __future__ import annotations

from typing import Any

from assistant.evaluate.claims import ClaimScore, fact_sources, score_answer, stance
from assistant.evaluate.metrics import mean, percentile, retrieval_scores

RETRIEVAL_METRICS = ("hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10")


def _retrieval(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [retrieval_scores(r.get("retrieved") or [], r["gold"]) for r in rows if r.get("gold")]
    out: dict[str, Any] = {"n": len(scored)}
    for m in RETRIEVAL_METRICS:
        out[m] = mean(s[m] for s in scored)
    return out


def score_rows(rows: list[dict[str, Any]], *, answers: bool = False,
               papers: dict[str, Any] | None = None) -> dict[str, Any]:
    """{"overall": {...}, "by_kind": {kind: {...}}, "questions": n}; retrieval only over rows with gold.
    `papers` (id -> Paper) enables the claim-level scores (evaluate/claims.py)."""
    kinds = sorted({r.get("kind", "lookup") for r in rows})
    metrics: dict[str, Any] = {
        "questions": len(rows),
        "errors": sum(1 for r in rows if r.get("error")),
        "retrieval": {"overall": _retrieval(rows),
                      "by_kind": {k: _retrieval([r for r in rows if r.get("kind") == k]) for k in kinds}},
    }
    if answers:
        answered = [r for r in rows if "answer" in r]
        metrics["answers"] = {"overall": answer_metrics(answered, papers),
                              "by_kind": {k: answer_metrics([r for r in answered if r.get("kind") == k], papers)
                                          for k in kinds}}
    return metrics


def claim_scores(row: dict[str, Any], papers: dict[str, Any]) -> ClaimScore | None:
    """Claim-level scores of one answered row; None for a refusal or when its papers are unknown."""
    ids = row.get("source_ids") or []
    if row.get("refused") or not ids or not all(i in papers for i in ids):
        return None
    by_title = {papers[i].title: papers[i] for i in ids}
    facts = fact_sources(row, {**by_title, **{p.title: p for p in papers.values() if p.title in row.get("gold", [])}})
    return score_answer(row.get("answer") or "", {n: papers[i] for n, i in enumerate(ids, 1)}, facts)


def answer_metrics(rows: list[dict[str, Any]], papers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Refusals, claim-level citation precision/recall against the papers' sentences, gold evidence cited,
    facts stated, stance agreement and latency over answered rows."""
    gold_rows = [r for r in rows if r.get("gold")]
    no_gold = [r for r in rows if not r.get("gold")]
    cites = [(set(r.get("citations") or []), set(r["gold"])) for r in gold_rows]
    n_cited = sum(len(c) for c, _ in cites)
    facts = [_facts(r) for r in gold_rows if r.get("answer_facts")]
    timings = [r.get("timings") or {} for r in rows]
    refused = [r for r in rows if r.get("refused")]
    scores = [c for r in gold_rows if (c := claim_scores(r, papers)) is not None] if papers else []
    stanced = [r for r in gold_rows if r.get("stance") in ("yes", "no")]
    verify = [t["verify_ms"] / t["total_ms"] for t in timings if t.get("verify_ms") is not None and t.get("total_ms")]

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        "n": len(rows),
        "false_refusal_rate": mean(1.0 if r.get("refused") else 0.0 for r in gold_rows),
        "refusal_recall": mean(1.0 if r.get("refused") else 0.0 for r in no_gold),
        "unanswerable_with_citation": sum(1 for r in no_gold if r.get("citations")) if no_gold else None,
        "refusal_precision": (sum(1 for r in refused if not r.get("gold")) / len(refused)) if refused else None,
        "claim_citation_precision": ratio(sum(c.correct for c in scores), sum(c.citations for c in scores)),
        "claim_citation_recall": ratio(sum(c.grounded for c in scores), sum(c.claims for c in scores)),
        "claim_citation_precision_unquoted": ratio(sum(c.correct - c.quoted_correct for c in scores),
                                                   sum(c.citations - c.quoted for c in scores)),
        "claims_naming_another_paper": sum(c.misnamed for c in scores) if scores else None,
        "gold_evidence_cited": ratio(sum(c.facts_cited for c in scores), sum(c.facts for c in scores)),
        "quotes_gold_evidence": ratio(sum(bool(c.quotes_gold) for c in scores),
                                      sum(c.quotes_gold is not None for c in scores)),
        "facts_stated": mean(facts),
        "paper_precision": n_cited and sum(len(c & g) for c, g in cites) / n_cited or None,
        "paper_recall": mean(len(c & g) / len(g) for c, g in cites),
        "stance_agreement": mean(1.0 if stance(r.get("answer") or "") == r["stance"] and not r.get("refused")
                                 else 0.0 for r in stanced),
        "ttft_p50_ms": percentile([t["ttft_ms"] for t in timings if "ttft_ms" in t], 50),
        "first_sentence_p50_ms": percentile([t["first_sentence_ms"] for t in timings if "first_sentence_ms" in t], 50),
        "total_p50_ms": percentile([t["total_ms"] for t in timings if "total_ms" in t], 50),
        "total_p95_ms": percentile([t["total_ms"] for t in timings if "total_ms" in t], 95),
        "verify_share": mean(verify),
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
