"""The stance-only rule (check.stance_only, check.stance_quotes) replayed on a set's rows, without the model.

The rule changes what a kept sentence shows, never what the claim check keeps or what the model drafts: a kept
"Yes, <the question>" is shown as "Yes [1]."; an answer of nothing but bare stances gets the source sentence(s)
each stance rests on (the embedding judge's `rests_on`, as `ask` computes it). So the product rows of a set run
before the rule give the answers it shows, with no model call. Rows written by a replay carry
"replayed": "stance_only"; their timings are the original run's.

    .venv/bin/python eval/replay_stance_only.py stance
    .venv/bin/python eval/replay_stance_only.py pubmed --corpus eval/corpus_pubmed_style.jsonl
    .venv/bin/python eval/replay_stance_only.py dev --rows old_rows.jsonl --out /tmp/dev_replayed.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/bench_answers.py

from assistant.answer import citations as cit
from assistant.answer.check import implied_stance, is_yes_no, render_claims, stance_quotes, statement
from assistant.answer.support import EmbeddingJudge
from assistant.types import Claim, Paper

REPORTS = Path(__file__).parent / "reports"


def replay(row: dict[str, Any], papers: dict[str, Paper], judge: EmbeddingJudge) -> dict[str, Any]:
    """The row as the rule shows it (unchanged when the rule does not apply)."""
    if row["system"] != "product" or row.get("refused") or not is_yes_no(row["question"]):
        return row
    ids = row.get("source_ids") or []
    claims = []
    for s in cit.split_cited(row.get("answer") or ""):
        text = s.text
        if text != statement(text) and (stance := implied_stance(statement(text), row["question"])):
            evidence = {n: judge.rests_on(statement(text), papers[ids[n - 1]]) for n in s.cited if n <= len(ids)}
            claims.append(Claim(f"{stance.capitalize()}.", list(s.cited), evidence))
        else:
            claims.append(Claim(text, list(s.cited)))
    claims += stance_quotes(claims)
    answer = render_claims(claims)
    return row if answer == row.get("answer") else {**row, "answer": answer, "replayed": "stance_only"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl (rewritten unless --out)")
    ap.add_argument("--rows", type=Path, help="read these rows instead")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--corpus", type=Path, help="the set's own collection, as bench_answers.py --corpus indexed it")
    args = ap.parse_args()
    a = collection_assistant(args.corpus)
    papers = {pid: p for pid, (p, _) in a.retriever.papers.items()}
    path = args.rows or REPORTS / f"answers_{args.name}_rows.jsonl"
    rows = read_rows(path)
    out = [replay(r, papers, a.judge) for r in rows]
    changed = sum(r is not o for r, o in zip(rows, out, strict=True))
    (args.out or path).write_text("".join(json.dumps(r) + "\n" for r in out))
    print(f"{changed} of {len(rows)} rows changed -> {args.out or path}")


if __name__ == "__main__":
    main()
