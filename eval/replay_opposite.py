"""The negated-clause check (answer.opposite_share, check.opposite_clause) replayed on the product's drafts.

For each yes/no question of a set, the product's draft (from eval/reports/answers_<set>_rows.jsonl) goes through
the real claim check with the shipped stance bars, once with the check off and once per share; the judge's calls
are cached (pass --cache to keep them between runs). Prints how many answers show the gold stance, a wrong one or
none, and which answers changed. The dev sets chose the share; the PubMed-style set is where the idea came from.

    .venv/bin/python eval/replay_opposite.py dev eval/questions.jsonl
    .venv/bin/python eval/replay_opposite.py stance eval/questions_stance.jsonl
    .venv/bin/python eval/replay_opposite.py pubmed eval/questions_pubmed_style.jsonl --corpus eval/corpus_pubmed_style.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant  # eval/bench_answers.py
from calibrate_stance_judge import Cached, case, outcome, replay  # eval/calibrate_stance_judge.py

from assistant.answer.check import is_yes_no, render_claims
from assistant.evaluate.questions import load_questions

REPORTS = Path(__file__).parent / "reports"
SHARES = (0.5, 0.6, 0.75)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl")
    ap.add_argument("questions", type=Path)
    ap.add_argument("--corpus", type=Path, help="the set's own collection, as bench_answers.py --corpus indexed it")
    ap.add_argument("--cache", type=Path, help="a pickle of the judge's calls, read and written")
    args = ap.parse_args()
    a = collection_assistant(args.corpus)
    rows = {r["id"]: r for r in map(json.loads, (REPORTS / f"answers_{args.name}_rows.jsonl").read_text().splitlines())
            if r["system"] == "product"}
    verifier = Cached(a.verifier)
    verifier.load(args.cache)
    cases = [case(a, q.question, rows[q.id]["draft"], id=q.id, stance=q.stance) for q in load_questions(args.questions)
             if (q.stance in ("yes", "no") or q.kind == "unanswerable") and is_yes_no(q.question)
             and rows.get(q.id, {}).get("draft")]
    bars = (a.settings.verify.stance_yes, a.settings.verify.stance_no)
    base = a.settings.answer
    results: dict[str, dict[str, tuple[str, str]]] = {}
    for share in (1.01, *SHARES):  # above 1: the check never fires
        a.settings.answer = base.model_copy(update={"opposite_share": share})
        counts: dict[str, int] = {"right": 0, "wrong": 0, "none": 0, "unanswerable_answered": 0}
        per: dict[str, tuple[str, str]] = {}
        for c in cases:
            v = replay(a, c, verifier, bars)
            o: Any = outcome(v, c["stance"]) if c["stance"] else (
                "unanswerable_answered" if v.claims and not v.refused else "refused")
            counts[o] = counts.get(o, 0) + 1
            per[c["id"]] = (o, render_claims(v.claims))
        results["off" if share > 1 else str(share)] = per
        print(args.name, "off" if share > 1 else share, {k: v for k, v in counts.items() if k != "refused"}, flush=True)
    a.settings.answer = base
    verifier.save(args.cache)
    for share, per in results.items():
        for qid, (o, text) in per.items():
            if share != "off" and (o, text) != results["off"][qid]:
                print(f"  {share} {qid}: {results['off'][qid][0]} -> {o} | {results['off'][qid][1][:100]}")


if __name__ == "__main__":
    main()
