"""Probe, not shipped: to "Which paper ...?" (one paper asked) whose draft the check removed entirely, would checking
every source as a named answer ("<title> <predicate>", the mechanism ask.name_the_rest uses for "Which papers
...?") find the paper instead of refusing?

Replays the product's recorded drafts of the sets given through the real check, judge calls cached, with
citations.lists_papers forced on for the questions whose draft left nothing, and prints what it would add and
whether that is a gold paper. Dev sets only. Dev, 2026-11-29 (dev, which, names): 13 such drafts (3 answerable:
which w005, w007, w016; 10 near misses); it adds nothing to any of them: the judge does not pass the gold
paper's named answer at the main bar ("Learning a Deep Embedding Model for Zero-Shot Learning uses the visual
space as the embedding space"), so nothing was built.

    ANSWERED_CALLS=/tmp/calls.pkl .venv/bin/python eval/probe_one_paper.py dev which names
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_answered import cached_judge
from calibrate_stance_judge import case, replay

from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.evaluate.questions import load_questions

EVAL = Path(__file__).parent
FILES = {"dev": "questions.jsonl", "which": "questions_which.jsonl", "names": "questions_names.jsonl"}


def main() -> None:
    a = collection_assistant(None)
    judge, calls = cached_judge(a)
    bars = (a.settings.verify.stance_yes, a.settings.verify.stance_no)
    lists = cit.lists_papers
    try:
        for name in sys.argv[1:] or list(FILES):
            rows = {r["id"]: r for r in read_rows(EVAL / "reports" / f"answers_{name}_rows.jsonl")
                    if r["system"] == "product"}
            for q in load_questions(EVAL / FILES[name]):
                r = rows.get(q.id)
                if not r or not r.get("draft") or ask.is_refusal(r["draft"]) or lists(q.question) \
                        or cit.named_answer("[1]", q.question) == "[1]":  # not a one-paper which-question
                    continue
                c = case(a, q.question, r["draft"])
                v = replay(a, c, judge, bars, answers=a.settings.verify.answers)
                if v.claims or v.refused:
                    continue  # the draft showed something, or the model refused
                cit.lists_papers = lambda question: True  # type: ignore[assignment]
                try:
                    v = replay(a, c, judge, bars, answers=a.settings.verify.answers)
                finally:
                    cit.lists_papers = lists  # type: ignore[assignment]
                titles = {s.n: s.paper.title for s in c["sources"]}
                added = [titles[n] for claim in v.claims for n in claim.cited]
                verdict = "none" if not added else "gold" if set(added) <= set(q.gold) else "NOT gold"
                print(name, q.id, q.kind, "| gold:", q.gold, "| added:", added, "|", verdict, flush=True)
    finally:
        cit.lists_papers = lists  # type: ignore[assignment]
    judge.save(calls)


if __name__ == "__main__":
    main()
