"""Questions as users type them (eval/questions_user.jsonl), answered by two versions of the product and compared.

The set was written by a helper that saw only the corpus, after this stop's hand-trial fixes (a title's short name
capitalized, a question's bound, a source the question names, the early refusal's unknown words, 'list' as
framing, contractions typed without the apostrophe), in six groups of my choosing: two named papers compared,
yes/no questions with a numeric threshold, plain-word paper names, short topic lists, casual lowercase, near misses.
So it is held out for those fixes (but aimed at their classes); two of its questions (u03, u08) match hand trials.

    .venv/bin/python eval/probe_user.py answer eval/reports/answers_user_rows.jsonl
    # the earlier version, from a worktree of it (same index and models):
    #   git worktree add /tmp/old <commit>; cd /tmp/old && ASSISTANT_MODELS_DIR=$PWD/../main/models \\
    #   PYTHONPATH=/tmp/old ../main/.venv/bin/python ../main/eval/probe_user.py answer <rows>
    .venv/bin/python eval/probe_user.py score eval/reports/answers_user_before_rows.jsonl \\
        eval/reports/answers_user_rows.jsonl          # -> eval/reports/user_ab.md

Each question is answered with both llama.cpp contexts reset (bench_answers.fresh_row); scores use no model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EVAL = Path(__file__).parent
GROUPS = ("compare", "threshold", "plain_name", "topic_list", "casual", "near_miss")
SHOWN = ("n", "false_refusal_rate", "refusal_recall", "unanswerable_with_citation", "claim_citation_precision",
         "claim_citation_recall", "gold_evidence_cited", "facts_stated", "paper_precision", "paper_recall",
         "stance_agreement")


def answer(out: Path, questions: Path) -> None:
    sys.path.insert(0, str(Path.cwd() / "eval"))  # the checkout being measured, not this file's
    from bench_answers import fresh_row  # type: ignore[import-not-found]

    from assistant import Assistant
    from assistant.evaluate.questions import load_questions

    done = {json.loads(x)["id"] for x in out.read_text().splitlines()} if out.is_file() else set()
    a = Assistant(progress=False)
    with out.open("a") as f:
        for q in load_questions(questions):
            if q.id not in done:
                row = fresh_row(a, q)
                f.write(json.dumps(row) + "\n")
                f.flush()
                print(q.id, row["refused"], row["answer"][:120], flush=True)


def fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def score(before: Path, after: Path) -> None:
    from assistant import Assistant
    from assistant.evaluate.scoring import answer_metrics

    papers = {pid: p for pid, (p, _) in Assistant(progress=False).retriever.papers.items()}
    rows = {k: [json.loads(x) for x in p.read_text().splitlines()] for k, p in (("before", before), ("after", after))}
    cols = ["all", *GROUPS]

    def metrics(which: str, group: str) -> dict[str, Any]:
        return answer_metrics([r for r in rows[which] if group == "all" or group in r.get("tags", [])], papers)

    table = {c: (metrics("before", c), metrics("after", c)) for c in cols}
    md = ["# Questions as users type them: before and after", "",
          f"Produced by `.venv/bin/python eval/probe_user.py score {before} {after}` (see its docstring). "
          "Each cell: before -> after.", "",
          "| metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    md += [f"| {m} | " + " | ".join(f"{fmt(table[c][0].get(m))} -> {fmt(table[c][1].get(m))}" for c in cols) + " |"
           for m in SHOWN]
    md += ["", "## Answers that changed", ""]
    for b, a in zip(rows["before"], rows["after"], strict=True):
        if b["answer"] != a["answer"]:
            md += [f"- {a['id']} ({', '.join(a.get('tags', []))}) “{a['question']}”",
                   f"  - before: {b['answer'][:300]}", f"  - after: {a['answer'][:300]}"]
    (EVAL / "reports" / "user_ab.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("answer")
    a.add_argument("out", type=Path)
    a.add_argument("--questions", type=Path, default=EVAL / "questions_user.jsonl")
    s = sub.add_parser("score")
    s.add_argument("before", type=Path)
    s.add_argument("after", type=Path)
    args = ap.parse_args()
    if args.cmd == "answer":
        answer(args.out, args.questions)
    else:
        score(args.before, args.after)


if __name__ == "__main__":
    main()
