"""Probe, not shipped: redraft a yes/no answer with the other stance when the check rejects the stance it opened with.

The small model opens most yes/no answers with "Yes, <the question restated>"; where the paper found "no", the
check rejects that sentence and often nothing else of the draft answers the question. Nothing has been shown
yet at that point, so the product could draft again with the other stance forced as the first token and let the
same check decide. This replays that on the dev sets only: for each product row (eval/reports/answers_<set>_rows.jsonl)
whose first sentence opens with a stance the real check rejects, the model drafts again with the other stance
forced, the redraft goes through the real check (judge calls cached), and the redraft is taken when its first
shown sentence carries the forced stance; otherwise the answer is the original draft's, as now.

Dev (eval/questions.jsonl) and stance (eval/questions_stance.jsonl) rows, default model, 2026-11-28:
- 46 answers opened with a stance the check rejected (8 dev, 38 stance; 16 of them unanswerable near misses);
- the other stance was the gold one in 15 of the 30 answerable; the check kept the forced stance in 4 (s001, s005
  "No"; s045, s055 "Yes"), all right; no wrong stance and no unanswerable was shown;
- the other 11 right redrafts failed the stance bars: e.g. s033 "Yes, the language stream ... can be used by
  itself" got P(states) 0.34 and P(answers yes) 0.11; wrong forced stances read as high (s030 0.76 states).
So the judge, not the draft, limits these answers: +4 right stances of 107 dev yes/no questions would cost
every such answer a second generation (and a third, of the original, when the redraft fails, 42 of 46 times).
Not built.

    .venv/bin/python eval/probe_flip.py dev eval/questions.jsonl
    .venv/bin/python eval/probe_flip.py stance eval/questions_stance.jsonl --cache /tmp/flip_calls.pkl
"""

from __future__ import annotations

import argparse
from collections import Counter
from contextlib import closing
from pathlib import Path

from bench_answers import collection_assistant, read_rows  # eval/bench_answers.py
from calibrate_stance_judge import Cached, case, replay  # eval/calibrate_stance_judge.py
from cpulock import turn  # eval/cpulock.py

from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.answer.check import is_yes_no, render_claims, stance_of, statement
from assistant.evaluate.claims import stance
from assistant.evaluate.questions import load_questions

REPORTS = Path(__file__).parent / "reports"


def sentences(draft: str) -> list[str]:
    stream = cit.SentenceStream()
    return [*stream.feed(draft), *filter(None, [stream.flush()])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="rows: eval/reports/answers_<name>_rows.jsonl (a dev set)")
    ap.add_argument("questions", type=Path)
    ap.add_argument("--cache", type=Path, help="a pickle of the judge's calls, read and written")
    args = ap.parse_args()
    a = collection_assistant(None)
    v, s = Cached(a.verifier), a.settings.verify
    v.load(args.cache)
    rows = {r["id"]: r for r in read_rows(REPORTS / f"answers_{args.name}_rows.jsonl") if r["system"] == "product"}

    def check(c: dict, draft: str) -> ask.Verified:  # c: the question's case (sources retrieved once)
        return replay(a, {**c, "draft": draft}, v, (s.stance_yes, s.stance_no), answers=s.answers,
                      named=s.llm_named_threshold)

    tally: Counter[tuple[str | None, str | None, str | None]] = Counter()
    for q in load_questions(args.questions):
        draft = (rows.get(q.id) or {}).get("draft") or ""
        first = sentences(draft)[:1]
        if not is_yes_no(q.question) or not first or statement(first[0]) == first[0]:
            continue
        with turn():
            c = case(a, q.question, draft)
            if check(c, first[0]).claims:
                continue  # the opening stance was shown: nothing to redraft
            other = "no" if stance_of(first[0]) == "yes" else "yes"
            bias = {other.capitalize(): 100.0, ("Yes" if other == "no" else "No"): -100.0}
            with closing(a.llm.stream(ask.draft_messages(ask.Question(q.question), c["sources"]), temperature=0.0,
                                      max_tokens=a.settings.llm.max_tokens, first_bias=bias)) as pieces:
                redraft = "".join(pieces)
            old, new = check(c, draft), check(c, redraft)
        said_old = stance(render_claims(old.claims)) if old.claims else None
        took = bool(new.claims) and stance(render_claims(new.claims[:1])) == other
        gold = q.stance if q.kind != "unanswerable" else None
        tally[(gold, said_old, other if took else said_old)] += 1
        print(f"{q.id} gold {gold} opened {stance_of(first[0])} -> {other}: {'taken' if took else 'fallback'} | "
              f"{render_claims(new.claims)[:100]!r}", flush=True)
    v.save(args.cache)
    print("(gold, stance shown now, stance shown with the redraft):", dict(tally))


if __name__ == "__main__":
    main()
