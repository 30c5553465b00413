"""Answer benchmark: the product against a naive baseline, same model, same questions, one process.

Baseline: the top-5 retrieved papers' whole abstracts in one prompt, citations taken as the
model writes them (only numbers outside 1..5 removed). Product: `Assistant.ask`.
Reports time to first token, prompt tokens, total time, citation precision/recall against
the gold papers, refusals, and the product's time beyond llama.cpp's own prompt and
generation time. Writes eval/reports/<name>.{json,md} (`--name`, default bench_answers).

    .venv/bin/python eval/bench_answers.py [--model qwen2.5-coder-1.5b] [--limit N] [--product-only]

Each question's outcome (both systems) goes to eval/reports/<name>_rows.jsonl.
Held-out questions (never used to calibrate a threshold):
    .venv/bin/python eval/bench_answers.py --questions eval/questions_heldout.jsonl --name bench_answers_heldout
`--product-only` skips the baseline and prints the product's numbers; it writes rows only with `--rows`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answer import citations as cit
from assistant.answer.ask import is_refusal
from assistant.answer.prompts import render
from assistant.evaluate.metrics import mean, percentile
from assistant.evaluate.questions import load_questions
from assistant.llm.base import Usage

REPORTS = Path(__file__).parent / "reports"


def baseline(a: Assistant, question: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    hits = a.retriever.search(question, 5)
    sources = "\n\n".join(f"[{i}] {h.paper.title}\n{h.paper.abstract}" for i, h in enumerate(hits, 1))
    messages = [{"role": "system", "content": render("baseline_system")},
                {"role": "user", "content": render("baseline_user", sources=sources, question=question)}]
    usage, first, parts = Usage(), None, []
    for piece in a.llm.stream(messages, max_tokens=a.settings.llm.max_tokens, temperature=0.0, usage=usage):
        first = first or time.perf_counter()
        parts.append(piece)
    end = time.perf_counter()
    text = cit.keep_valid("".join(parts), len(hits))
    refused = is_refusal(text)
    nums = [] if refused else list(dict.fromkeys(n for s in cit.split_cited(text) for n in s.cited))
    return {"refused": refused, "citations": [hits[n - 1].paper.title for n in nums], "answer": text,
            "ttft_ms": ((first or end) - t0) * 1000, "total_ms": (end - t0) * 1000,
            "prompt_tokens": usage.prompt_tokens, "llm_ms": usage.prompt_ms + usage.generate_ms}


def product(a: Assistant, question: str) -> dict[str, Any]:
    ans = a.ask(question)
    t = ans.timings
    return {"refused": ans.refused, "citations": [c.title for c in ans.citations], "answer": ans.text,
            "draft": ans.draft, "sources": [s.paper.title for s in ans.sources], "ttft_ms": t["ttft_ms"],
            "total_ms": t["total_ms"], "prompt_tokens": ans.usage.get("prompt_tokens", 0),
            "llm_ms": t.get("llm_prompt_ms", 0.0) + t.get("llm_generate_ms", 0.0)}


def summarize(rows: list[tuple[Any, dict[str, Any]]]) -> dict[str, Any]:
    answerable = [(q, r) for q, r in rows if q.gold]
    unanswerable = [(q, r) for q, r in rows if not q.gold]
    cited = [(q, r) for q, r in answerable if r["citations"]]
    wrong_cites = sum(1 for q, r in unanswerable for _ in r["citations"])
    all_cites = sum(len(r["citations"]) for _, r in rows)
    ttft = [r["ttft_ms"] for _, r in rows if "prompt_tokens" in r and r["llm_ms"]]
    total = sum(r["total_ms"] for _, r in rows)
    llm = sum(r["llm_ms"] for _, r in rows if r["llm_ms"])
    llm_total = sum(r["total_ms"] for _, r in rows if r["llm_ms"])
    return {
        "questions": len(rows),
        "ttft_p50_ms": percentile(ttft, 50), "ttft_p95_ms": percentile(ttft, 95),
        "prompt_tokens_mean": mean(r["prompt_tokens"] for _, r in rows if r["prompt_tokens"]),
        "total_s": total / 1000,
        "citation_precision": (sum(len(set(r["citations"]) & set(q.gold)) for q, r in rows) / all_cites
                               if all_cites else None),
        "citation_precision_answered_mean": mean(len(set(r["citations"]) & set(q.gold)) / len(r["citations"])
                                                 for q, r in cited),
        "citation_recall": mean(len(set(r["citations"]) & set(q.gold)) / len(set(q.gold)) for q, r in answerable),
        "citations_on_unanswerables": wrong_cites,
        "refusal_rate_unanswerable": mean(1.0 if r["refused"] else 0.0 for _, r in unanswerable),
        "false_refusal_rate_answerable": mean(1.0 if r["refused"] else 0.0 for _, r in answerable),
        "overhead_beyond_llm": (llm_total - llm) / llm_total if llm_total else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--questions", type=Path, default=Path(__file__).parent / "questions.jsonl")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--kinds", default="lookup,multi,unanswerable")
    ap.add_argument("--product-only", action="store_true", help="iterate on the product; write no report")
    ap.add_argument("--name", default="bench_answers", help="report file names under eval/reports/")
    ap.add_argument("--rows", type=Path, help="per-question outcomes (default: eval/reports/<name>_rows.jsonl)")
    args = ap.parse_args()
    kinds = set(args.kinds.split(","))
    qs = [q for q in load_questions(args.questions) if q.kind in kinds][: args.limit]
    a = Assistant(Settings(llm={"model": args.model}), progress=False)
    a.retriever.search("warm up", 5)
    a.ask("warm up: what is a sparse autoencoder?")  # loads the model, fills the cached prompt prefix
    runs: dict[str, list[tuple[Any, dict[str, Any]]]] = {"baseline": [], "product": []}
    # one pass each, so each keeps its own fixed prompt prefix in llama.cpp's cache
    for q in tqdm(qs, desc="Product", unit="q"):
        runs["product"].append((q, product(a, q.question)))
    if not args.product_only:
        for q in tqdm(qs, desc="Baseline", unit="q"):
            runs["baseline"].append((q, baseline(a, q.question)))
    if args.product_only and not args.rows:
        print(json.dumps(summarize(runs["product"]), indent=2))
        return
    args.rows = args.rows or REPORTS / f"{args.name}_rows.jsonl"
    args.rows.parent.mkdir(parents=True, exist_ok=True)
    with args.rows.open("w") as f:
        for name, rows in runs.items():
            for q, r in rows:
                f.write(json.dumps({"system": name, "id": q.id, "kind": q.kind, "question": q.question,
                                    "gold": q.gold, **r}) + "\n")
    if args.product_only:
        print(json.dumps(summarize(runs["product"]), indent=2))
        return
    out = {name: summarize(rows) for name, rows in runs.items()}
    p, b = out["product"], out["baseline"]
    out["ratios"] = {"ttft_p50": p["ttft_p50_ms"] / b["ttft_p50_ms"], "ttft_p95": p["ttft_p95_ms"] / b["ttft_p95_ms"],
                     "prompt_tokens": p["prompt_tokens_mean"] / b["prompt_tokens_mean"],
                     "total_time": p["total_s"] / b["total_s"]}
    out["model"], out["kinds"] = a.llm.describe(), sorted(kinds)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / f"{args.name}.json").write_text(json.dumps(out, indent=2, default=str))
    rows = [k for k in p if k != "questions"]

    def f(v: Any) -> str:
        return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    md = (f"Model: {out['model']['model']} ({out['model']['device']}), {p['questions']} questions "
          f"({', '.join(sorted(kinds))}) from {args.questions.name}\n\n")
    md += "| metric | product | baseline |\n|---|---|---|\n" + "".join(f"| {k} | {f(p[k])} | {f(b[k])} |\n" for k in rows)
    md += "\nRatios (product / baseline): " + ", ".join(f"{k} {v:.2f}" for k, v in out["ratios"].items()) + "\n"
    (REPORTS / f"{args.name}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
