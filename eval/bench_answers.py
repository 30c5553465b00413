"""Answer benchmark: the product against a naive baseline, same model, same questions.

Baseline: the top-5 retrieved papers' whole abstracts in one prompt, citations taken as the
model writes them (only numbers outside 1..5 removed). Product: `Assistant.ask`.

Quality runs write one row per (system, question) to eval/reports/<name>_rows.jsonl as they
finish, so a run resumes where it stopped; the metrics (evaluate/scoring.py: claim-level
citation precision/recall against the papers' sentences, gold evidence cited, refusals,
stance) are computed from the rows. Timing ratios come from `--timing N`: N questions, the two
systems interleaved in one process, so both see the same machine load.

    .venv/bin/python eval/bench_answers.py --questions eval/questions.jsonl --name dev [--systems product,baseline]
    .venv/bin/python eval/bench_answers.py --questions eval/questions_test.jsonl --name test
    .venv/bin/python eval/bench_answers.py --timing 24 --name timing
    .venv/bin/python eval/bench_answers.py --corpus eval/corpus_pubmed_style.jsonl \
        --questions eval/questions_pubmed_style.jsonl --name pubmed    # a user's own collection, own index
    .venv/bin/python eval/report_answers.py      # dev and test side by side -> eval/reports/answers.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from cpulock import turn  # eval/cpulock.py
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answer import citations as cit
from assistant.answer.ask import is_refusal
from assistant.answer.prompts import render
from assistant.evaluate.metrics import mean, percentile
from assistant.evaluate.questions import Question, load_questions
from assistant.llm.base import Usage

EVAL = Path(__file__).parent
REPORTS = EVAL / "reports"


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
            "source_ids": [h.paper.paper_id for h in hits],
            "timings": {"ttft_ms": ((first or end) - t0) * 1000, "total_ms": (end - t0) * 1000},
            "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}}


def product(a: Assistant, question: str) -> dict[str, Any]:
    ans = a.ask(question)
    return {"refused": ans.refused, "citations": [c.title for c in ans.citations], "answer": ans.text,
            "draft": ans.draft, "source_ids": [s.paper.paper_id for s in ans.sources],
            "flags": [str(f.action) for f in ans.flagged], "timings": ans.timings, "usage": ans.usage}


def fresh_row(a: Assistant, q: Question, **fields: Any) -> dict[str, Any]:
    """The product's answer to `q` as a bench row, both llama.cpp contexts reset first: a prompt prefix kept from
    the run before can change a draft at temperature 0, so A/B runs of one question draft from the same state."""
    for llama in (getattr(a.llm, "llm", None), getattr(a.verifier, "llama", None)):
        if llama is not None:
            llama.reset()
    with turn():
        row = product(a, q.question)
    return {"system": "product", **fields, **question_fields(q), **row}


SYSTEMS = {"product": product, "baseline": baseline}


def question_fields(q: Question) -> dict[str, Any]:
    return {"id": q.id, "kind": q.kind, "question": q.question, "gold": q.gold, "answer_facts": q.answer_facts,
            "fact_evidence": q.fact_evidence, "stance": q.stance, "tags": q.tags}


def collection_assistant(corpus: Path | None, **llm: Any) -> Assistant:
    """The assistant over the bundled papers, or over a set's own collection (`corpus`), indexed (and pruned to it)
    in a data directory of its own as a user's own collection would be."""
    settings = Settings(llm=llm)
    if corpus:
        settings = Settings(llm=llm, data_dir=settings.data_dir / "eval-corpora" / corpus.stem)
    a = Assistant(settings, progress=False)
    if corpus:
        a.ingest([corpus], prune=True)
    return a


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by an interrupted run: that question runs again
    return rows


def run(a: Assistant, qs: list[Question], systems: list[str], rows_path: Path) -> None:
    done = {(r["system"], r["id"]) for r in read_rows(rows_path)}
    rows_path.parent.mkdir(parents=True, exist_ok=True)
    with rows_path.open("a", encoding="utf-8") as f:
        for name in systems:  # one system at a time, so each keeps its own prompt prefix in llama.cpp's cache
            for q in tqdm([q for q in qs if (name, q.id) not in done], desc=name, unit="q"):
                with turn():
                    row = SYSTEMS[name](a, q.question)
                f.write(json.dumps({"system": name, **question_fields(q), **row}) + "\n")
                f.flush()


def timing(a: Assistant, qs: list[Question], n: int) -> dict[str, Any]:
    """Both systems on the same answerable questions, interleaved: ratios of medians."""
    picked = [q for q in qs if q.gold][:n]
    t: dict[str, list[dict[str, float]]] = {"product": [], "baseline": []}
    for q in tqdm(picked, desc="timing", unit="q"):
        t["baseline"].append(baseline(a, q.question)["timings"])
        t["product"].append(product(a, q.question)["timings"])

    def p50(sys: str, key: str) -> float | None:
        return percentile([x[key] for x in t[sys] if key in x], 50)

    verify = [x["verify_ms"] / x["total_ms"] for x in t["product"] if x.get("total_ms")]
    out = {"questions": len(picked), "model": a.llm.describe(),
           "baseline_ttft_p50_ms": p50("baseline", "ttft_ms"), "baseline_total_p50_ms": p50("baseline", "total_ms"),
           "product_ttft_p50_ms": p50("product", "ttft_ms"),
           "product_first_verified_p50_ms": p50("product", "first_sentence_ms"),
           "product_total_p50_ms": p50("product", "total_ms"), "product_verify_share_mean": mean(verify)}
    out["first_verified_over_baseline_ttft"] = out["product_first_verified_p50_ms"] / out["baseline_ttft_p50_ms"]
    out["total_ratio"] = out["product_total_p50_ms"] / out["baseline_total_p50_ms"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--questions", type=Path, default=EVAL / "questions.jsonl")
    ap.add_argument("--name", default="dev", help="rows go to eval/reports/answers_<name>_rows.jsonl")
    ap.add_argument("--systems", default="product,baseline")
    ap.add_argument("--kinds", default="lookup,multi,unanswerable")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--sample", type=int, metavar="N", help="a fixed pseudo-random subset of N questions (by id hash): "
                    "for the slow baseline, when time does not allow all")
    ap.add_argument("--timing", type=int, metavar="N", help="interleaved timing of N questions instead")
    ap.add_argument("--corpus", type=Path, help="answer over this collection (any supported file) instead of the "
                    "bundled one, indexed in its own data directory as a user's own collection would be")
    args = ap.parse_args()
    kinds = set(args.kinds.split(","))
    qs = [q for q in load_questions(args.questions) if q.kind in kinds][: args.limit]
    if args.sample:
        qs = sorted(qs, key=lambda q: hashlib.sha256(q.id.encode()).hexdigest())[: args.sample]
    a = collection_assistant(args.corpus, model=args.model)
    a.retriever.search("warm up", 5)
    if "product" in args.systems or args.timing:
        a.ask("warm up: what is a sparse autoencoder?")  # loads the model and the verifier, fills the prompt cache
    else:
        baseline(a, "warm up: what is a sparse autoencoder?")
    if args.timing:
        out = timing(a, qs, args.timing)
        (REPORTS / f"timing_{args.name}.json").write_text(json.dumps(out, indent=2, default=str))
        print(json.dumps(out, indent=2, default=str))
        return
    run(a, qs, args.systems.split(","), REPORTS / f"answers_{args.name}_rows.jsonl")


if __name__ == "__main__":
    main()
