"""What verify.premises changes, rerun live: the product rows of a set whose shown answer has a sentence opening
with what its wh-question assumes (check.premise; "X does P by Q" to "How does X do P?") are answered again with
the rule on and off, in one process, and both are scored with no model in the loop (evaluate.scoring). The rule
only turns such a sentence into its source's quoted words, so no other row can change and no answer can become a
refusal.

Rows go to eval/reports/premises_<name>_rows.jsonl (a rerun resumes there); with --merge the "on" rows replace
the set's recorded product rows whose answer they change, marked "rerun": "premises". A set with no recorded rows
(premise_test, written for this rule) runs every question, on and off.

    .venv/bin/python eval/probe_premises.py dev [--merge]
    .venv/bin/python eval/probe_premises.py test --questions eval/questions_test.jsonl [--merge]
    .venv/bin/python eval/probe_premises.py premise_test
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import product, question_fields, read_rows  # eval/
from cpulock import turn

from assistant import Assistant
from assistant.answer import citations as cit
from assistant.answer.check import premise, statement
from assistant.evaluate.questions import load_questions
from assistant.evaluate.scoring import answer_metrics

EVAL = Path(__file__).parent
REPORTS = EVAL / "reports"
QUESTIONS = {"dev": "questions", "test": "questions_test", "names": "questions_names", "which": "questions_which",
             "which_test": "questions_which_test", "premise_test": "questions_premises"}
SHOWN = ("false_refusal_rate", "claim_citation_precision", "claim_citation_recall", "gold_evidence_cited", "quotes_gold_evidence",
         "facts_stated", "paper_precision", "paper_recall")


def candidates(rows: list[dict[str, Any]]) -> list[str]:
    """Ids of answered product rows with a shown sentence the rule reads."""
    return [r["id"] for r in rows if r["system"] == "product" and not r["refused"]
            and any(premise(statement(s.text), r["question"]) for s in cit.split_cited(r["answer"]))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="the set: eval/reports/answers_<name>_rows.jsonl")
    ap.add_argument("--questions", type=Path)
    ap.add_argument("--merge", action="store_true")
    args = ap.parse_args()
    recorded_path = REPORTS / f"answers_{args.name}_rows.jsonl"
    recorded = read_rows(recorded_path)
    every = load_questions(args.questions or EVAL / f"{QUESTIONS[args.name]}.jsonl")
    out = REPORTS / f"premises_{args.name}_rows.jsonl"
    done = {(r["premises"], r["id"]) for r in read_rows(out)}
    # the rows run before count too: once merged, a recorded answer no longer holds the sentence the rule replaced
    ran = {i for _, i in done}
    ids = sorted(set(candidates(recorded)) | ran) if recorded else [q.id for q in every]
    qs = [q for q in every if q.id in ids]
    a = Assistant(progress=False)
    with out.open("a", encoding="utf-8") as f:
        for on in (True, False):
            a.settings.verify.premises = on
            for q in qs:
                if (on, q.id) in done:
                    continue
                with turn():
                    row = product(a, q.question)
                f.write(json.dumps({"system": "product", "premises": on, **question_fields(q), **row}) + "\n")
                f.flush()
    rows = read_rows(out)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    side = {on: [r for r in rows if r["premises"] is on and r["id"] in ids] for on in (True, False)}
    print(f"{args.name}: {len(ids)} rows read by the rule")
    tags = sorted({t for r in side[True] for t in r["tags"]}) if not recorded else []
    for tag in [None, *tags]:
        for on in (False, True):
            m = answer_metrics([r for r in side[on] if tag is None or tag in r["tags"]], papers)
            print(f"  {tag or 'all'}, premises {'on ' if on else 'off'}: " + ", ".join(f"{k} {m.get(k)}" for k in SHOWN))
    changed = show_changed(side)
    if args.merge and recorded:
        merge(recorded_path, recorded, changed, "premises")


def show_changed(side: dict[bool, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The "on" rows whose answer differs from the same question's "off" row, printed side by side."""
    off = {r["id"]: r for r in side[False]}
    changed = [r for r in side[True] if r["answer"] != off[r["id"]]["answer"]]
    print(f"  answers changed: {len(changed)}; drafts differ: "
          f"{sum(r.get('draft') != off[r['id']].get('draft') for r in side[True])}")
    for r in changed:
        print(f"  {r['id']} {r['tags']} {r['question']}\n    off: {off[r['id']]['answer']}\n    on:  {r['answer']}")
    return changed


def merge(path: Path, recorded: list[dict[str, Any]], changed: list[dict[str, Any]], rule: str) -> None:
    """The changed "on" rows replace the set's recorded product rows, marked "rerun": <rule>."""
    new = {r["id"]: {**{k: v for k, v in r.items() if k != rule}, "rerun": rule} for r in changed}
    kept = [new.get(r["id"], r) if r["system"] == "product" else r for r in recorded]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    print(f"  merged {len(new)} rows into {path}")


if __name__ == "__main__":
    main()
