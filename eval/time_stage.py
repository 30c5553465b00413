"""What one stage of ask costs live: the time a function of assistant/answer/ask.py takes, on a question set.

The stage (by name, e.g. name_the_rest or fall_back) is wrapped while the product answers the set's questions (all,
or those whose ids are given); printed: per question the stage's seconds, whether it changed the answer (returned
something) and the answer's total, then the medians over the answers it ran in.

    .venv/bin/python eval/time_stage.py name_the_rest eval/questions_which.jsonl --kind multi
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant  # eval/
from cpulock import turn

from assistant import Assistant
from assistant.answer import ask
from assistant.evaluate.questions import Question, load_questions


def time_stage(a: Assistant, stage: str, questions: list[Question]) -> None:
    """Answer `questions` live with ask.<stage> wrapped; print its seconds per answer, then its medians over the
    answers it ran in and over those it changed."""
    inner = getattr(ask, stage)
    spent: list[tuple[float, bool]] = []

    def timed(*xs: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        out = inner(*xs, **kw)
        spent.append((time.perf_counter() - t, bool(out)))
        return out

    setattr(ask, stage, timed)
    totals, shares = [], []
    try:
        for q in questions:
            before = len(spent)
            with turn():
                answer = a.ask(q.question)
            total = answer.timings["total_ms"] / 1000
            totals.append(total)
            took, changed = spent[-1] if len(spent) > before else (0.0, False)
            shares.append(took / total)
            print(f"{q.id}: {stage} {took:.1f} s{' (changed the answer)' if changed else ''}, answer {total:.1f} s",
                  flush=True)
    finally:
        setattr(ask, stage, inner)
    if spent:
        times, changed_times = [s for s, _ in spent], [s for s, c in spent if c]
        print(f"{stage} ran in {len(spent)} of {len(questions)} answers and changed {len(changed_times)}: its time p50 "
              f"{statistics.median(times):.1f} s (range {min(times):.1f}-{max(times):.1f}), where it changed the "
              f"answer p50 {statistics.median(changed_times) if changed_times else 0:.1f} s; share of the answer's "
              f"time p50 {statistics.median(shares):.2f}; answer total p50 {statistics.median(totals):.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", help="a function of assistant/answer/ask.py")
    ap.add_argument("questions", type=Path)
    ap.add_argument("--kind", help="only questions of this kind")
    ap.add_argument("--ids", help="only these question ids, comma-separated")
    args = ap.parse_args()
    ids = set(args.ids.split(",")) if args.ids else None
    questions = [q for q in load_questions(args.questions) if (not args.kind or q.kind == args.kind)
                 and (ids is None or q.id in ids)]
    time_stage(collection_assistant(None), args.stage, questions)


if __name__ == "__main__":
    main()
