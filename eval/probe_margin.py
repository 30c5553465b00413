"""Probe: answer.source_margin at its shipped 0.15 against 0.20, the value eval/calibrate_sources.py picks on today's
dev set (120 answerable questions; 0.15 was picked on the 80 of 2026-11-26). Unlike a checking rule, the margin
changes which papers the model reads, so only a live run can say what it does: every question of a set whose
sources differ between the two margins is answered with each, in one process (both llama.cpp contexts reset
before each run, so no prompt prefix carries over), and scored with no model in the loop (evaluate.scoring).

Rows go to eval/reports/margin_<name>_rows.jsonl (a rerun resumes there).

    .venv/bin/python eval/probe_margin.py dev      # then test, only to report
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_answers import fresh_row, read_rows  # eval/
from probe_premises import QUESTIONS, SHOWN, show_changed

from assistant import Assistant
from assistant.answer import ask
from assistant.evaluate.questions import load_questions
from assistant.evaluate.scoring import answer_metrics

EVAL = Path(__file__).parent
REPORTS = EVAL / "reports"
MARGINS = (0.15, 0.20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="the set: eval/<questions>.jsonl, as probe_premises names them")
    args = ap.parse_args()
    a = Assistant(progress=False)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    shipped = a.settings.answer.source_margin

    def sources(question: str, margin: float) -> list[str]:
        a.settings.answer.source_margin = margin
        r = ask.retrieve(ask.Question(question), a.retriever, a.settings.retrieval.k)
        return [s.paper.paper_id for s in ask.evidence(r, a.judge, a.llm, a.settings)]

    qs = [q for q in load_questions(EVAL / f"{QUESTIONS[args.name]}.jsonl")
          if q.kind != "topic" and sources(q.question, MARGINS[0]) != sources(q.question, MARGINS[1])]
    out = REPORTS / f"margin_{args.name}_rows.jsonl"
    done = {(r["margin"], r["id"]) for r in read_rows(out)}
    try:
        with out.open("a", encoding="utf-8") as f:
            for q in qs:
                for margin in MARGINS:
                    if (margin, q.id) in done:
                        continue
                    a.settings.answer.source_margin = margin
                    f.write(json.dumps(fresh_row(a, q, margin=margin)) + "\n")
                    f.flush()
    finally:
        a.settings.answer.source_margin = shipped
    rows = read_rows(out)
    ids = {q.id for q in qs}
    side = {m == MARGINS[1]: [r for r in rows if r["margin"] == m and r["id"] in ids] for m in MARGINS}
    print(f"{args.name}: {len(ids)} questions whose sources differ between margins {MARGINS[0]} and {MARGINS[1]}")
    for m in MARGINS:
        s = side[m == MARGINS[1]]
        met = answer_metrics(s, papers)
        read = [r["usage"]["prompt_tokens"] for r in s if r["usage"]]  # a refusal before the model read nothing
        tokens = sum(read) / max(len(read), 1)
        print(f"  margin {m}: " + ", ".join(f"{k} {met.get(k)}" for k in (*SHOWN, "stance_agreement", "total_p50_ms"))
              + f", prompt tokens mean {tokens:.0f}")
    show_changed(side)


if __name__ == "__main__":
    main()
