"""What the claim check reads: each cited source's whole abstract, or only what it showed the model (its title and
evidence sentences, `verify.read_shown`). The model can only have read the shown sentences, so a sentence it wrote
rests on them; the judge then reads fewer tokens.

Replay (no answering model): a set's recorded product drafts (eval/reports/answers_<set>_rows.jsonl) go through the
real check twice, reading whole abstracts ("full") and shown text ("shown"); both answers are scored with the
product's own metrics (gold sentences, no model in the loop), and every answer that differs is printed. Rows whose
sources are not the ones retrieved now, and refusals made before the model ran, stay as recorded. The replay uses
the abstract judge throughout (not the source-[1] prefix shortcut, which reads the prompt either way).

Live (--live N): the first N questions of the set are asked with the setting off and on, in alternating order, in
one process; reported: the ratio of verification time and of total time, and the answers that differ.

    .venv/bin/python eval/replay_shown.py dev eval/questions.jsonl --cache /tmp/shown
    .venv/bin/python eval/replay_shown.py test eval/questions_test.jsonl --cache /tmp/shown
    .venv/bin/python eval/replay_shown.py dev eval/questions.jsonl --live 30
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_stance_judge import Cached, case
from cpulock import turn  # eval/cpulock.py
from replay_check import shown

from assistant import Assistant
from assistant.evaluate.questions import load_questions
from assistant.evaluate.scoring import answer_metrics

REPORTS = Path(__file__).parent / "reports"
METRICS = ["false_refusal_rate", "refusal_recall", "unanswerable_with_citation", "claim_citation_precision",
           "claim_citation_recall", "gold_evidence_cited", "facts_stated", "paper_recall", "stance_agreement"]


def replayed(a: Assistant, row: dict[str, Any], c: dict[str, Any], verifier: Cached, read_shown: bool) -> dict[str, Any]:
    """The row as the check shows its draft (replay_check.shown), reading whole abstracts or the shown text."""
    settings = a.settings.model_copy(deep=True)
    settings.verify.read_shown = read_shown
    ans = shown(a, settings, row, c, verifier)
    return {**row, "refused": ans.refused, "citations": [x.title for x in ans.citations], "answer": ans.text}


def replay(a: Assistant, name: str, cache: Path | None) -> None:
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    rows = [r for r in read_rows(REPORTS / f"answers_{name}_rows.jsonl") if r["system"] == "product"]
    out: dict[str, list[dict[str, Any]]] = {"full": [], "shown": []}
    judge_s = {"full": 0.0, "shown": 0.0}
    judges = {"full": Cached(a.verifier), "shown": Cached(a.verifier)}  # each reading with a cache of its own
    for key, judge in judges.items():
        judge.load(cache / f"{name}_{key}.pkl" if cache else None)
    differ = 0
    for row in rows:
        c = case(a, row["question"], row["draft"]) if row.get("draft") else None
        if c is None or [x.paper.paper_id for x in c["sources"]] != row.get("source_ids"):
            out["full"].append(row)
            out["shown"].append(row)
            continue
        for key in ("full", "shown"):
            t = time.perf_counter()
            out[key].append(replayed(a, row, c, judges[key], key == "shown"))
            judge_s[key] += time.perf_counter() - t
        if out["full"][-1]["answer"] != out["shown"][-1]["answer"]:
            differ += 1
            print(f"{row['id']}: {out['full'][-1]['answer'][:200]!r}\n   -> {out['shown'][-1]['answer'][:200]!r}")
    for key, judge in judges.items():
        judge.save(cache / f"{name}_{key}.pkl" if cache else None)
    print(f"{name}: {len(rows)} product rows, {differ} answers differ")
    print("| metric | whole abstract | shown text |\n|---|---|---|")
    m = {k: answer_metrics(v, papers) for k, v in out.items()}
    for key in METRICS:
        print(f"| {key} | {fmt(m['full'][key])} | {fmt(m['shown'][key])} |")
    print(f"| check time, s (full first, then shown, per row; 0 when cached) | {judge_s['full']:.0f} | "
          f"{judge_s['shown']:.0f} |")


def live(a: Assistant, questions: Path, n: int) -> None:
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    differ = 0
    for i, q in enumerate(load_questions(questions)[:n]):
        answers = {}
        for flag in (False, True) if i % 2 == 0 else (True, False):
            a.settings.verify.read_shown = flag
            with turn():
                ans = a.ask(q.question)
            answers[flag] = ans.text
            times[flag].append((ans.timings.get("verify_ms", 0.0), ans.timings["total_ms"]))
        if answers[False] != answers[True]:
            differ += 1
            print(f"{q.id}: {answers[False][:200]!r}\n   -> {answers[True][:200]!r}")
    verify = {f: sum(v for v, _ in t) for f, t in times.items()}
    total = {f: sum(x for _, x in t) for f, t in times.items()}
    share = {f: statistics.mean(v / x for v, x in t if x) for f, t in times.items()}
    print(f"{n} questions asked both ways, {differ} answers differ")
    print(f"verification: {verify[False] / 1000:.1f} s -> {verify[True] / 1000:.1f} s "
          f"(ratio {verify[True] / verify[False]:.2f}); total {total[False] / 1000:.1f} s -> {total[True] / 1000:.1f} s "
          f"(ratio {total[True] / total[False]:.2f}); verify share {share[False]:.3f} -> {share[True]:.3f}")


def fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl (read, not written)")
    ap.add_argument("questions", type=Path, help="the set's questions (for --live)")
    ap.add_argument("--live", type=int, default=0, help="ask the first N questions both ways instead of replaying")
    ap.add_argument("--cache", type=Path, help="a folder for the judge's calls, read and written (clear it after "
                    "changing a prompt or the model)")
    args = ap.parse_args()
    a = collection_assistant(None)
    if args.live:
        live(a, args.questions, args.live)
    else:
        replay(a, args.name, args.cache)


if __name__ == "__main__":
    main()
