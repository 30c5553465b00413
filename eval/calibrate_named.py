"""Choose the bar a named answer must clear (verify.llm_named_threshold), on the dev which-questions only.

To "Which paper <predicate>?" the model often answers with a marker alone ("[1]"). The check turns that into
"<title of [1]> <predicate>." (citations.named_answer) and asks the judge whether source [1] states it. That
sentence is the asker's words, not the paper's: the judge reads it lower than the sentences the model drafts
in the source's own words, on which the main bar (verify.llm_threshold) was chosen, and right answers fell
just under that bar ("Functional Map of the World releases a satellite image dataset for predicting
building function", 0.633). So named answers get a bar of their own, chosen the same way: the highest
recall at precision >= 0.95.

Pairs: for every question of eval/questions_which.jsonl (the which-question dev set), each source the product
gives the model, named as the whole answer. A pair is right when the source is one of the question's gold
papers (none for the unanswerable ones). Scored by the abstract judge with the check's own rules (a name or
number the source lacks fails it). With --test, the held-out twin (questions_which_test.jsonl) is scored the
same way and reported at the bar chosen on dev and at the main bar; it never chooses anything.

    .venv/bin/python eval/calibrate_named.py [--test]   # -> eval/reports/named_calibration.json
    NAMED_CALLS=/tmp/named.pkl ...                      # keep the judge's answers between runs
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench_verifiers import prf  # eval/
from calibrate_stance_judge import Cached, case
from cpulock import turn

from assistant import Assistant, Settings
from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, statement

EVAL = Path(__file__).parent
OUT = EVAL / "reports" / "named_calibration.json"
PRECISION = 0.95


def pairs(a: Assistant, verifier: Cached, name: str) -> list[dict]:
    """(question, source, named sentence, judge score, passed by the check's rules, gold?) for every source."""
    out = []
    rows = [json.loads(line) for line in (EVAL / name).read_text().splitlines() if line.strip()]
    for row in rows:
        c = case(a, row["question"], "")
        titles = {s.n: s.paper.title for s in c["sources"]}
        checker = ClaimChecker(row["question"], c["sources"], verifier=verifier, threshold=a.threshold(),
                               settings=a.settings.answer, judge=a.judge, question_vec=c["qvec"])
        for src in c["sources"]:
            named = cit.named_answer(f"[{src.n}]", row["question"], titles)
            if named == f"[{src.n}]":
                continue  # not a question a name alone answers
            sentence = cit.split_cited(named, titles)[0]
            with turn():
                sup = checker._support(statement(sentence.text), src.n)
            out.append({"id": row["id"], "kind": row["kind"], "source": src.paper.title, "n": src.n,
                        "sentence": sentence.text, "score": round(sup.score, 4), "note": sup.note,
                        "gold": src.paper.title in row["gold"]})
    return out


def scored(rows: list[dict]) -> tuple[list[float], list[bool]]:
    return [0.0 if r["note"] else r["score"] for r in rows], [r["gold"] for r in rows]  # a missing name fails


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--test", action="store_true", help="also report the held-out which-questions")
    args = ap.parse_args()
    a = Assistant(Settings(), progress=False)
    calls = Path(os.environ["NAMED_CALLS"]) if os.environ.get("NAMED_CALLS") else None
    verifier = Cached(a.verifier)
    verifier.load(calls)
    rows = pairs(a, verifier, "questions_which.jsonl")
    test = pairs(a, verifier, "questions_which_test.jsonl") if args.test else []
    verifier.save(calls)
    scores, labels = scored(rows)
    grid = sorted({round(s, 3) for s in scores if s > 0})
    table = {t: prf(scores, labels, t) for t in grid}
    ok = [t for t in grid if table[t]["precision"] >= PRECISION]
    chosen = max(ok, key=lambda t: (table[t]["recall"], -t)) if ok else None
    main_bar = a.settings.verify.llm_threshold
    shown = sorted({0.4, 0.5, 0.55, 0.6, main_bar, *([chosen] if chosen else [])})
    out = {"pairs": len(rows), "gold": sum(labels), "questions": len({r["id"] for r in rows}),
           "target_precision": PRECISION, "chosen": chosen, "main_bar": main_bar,
           "at": {str(t): prf(scores, labels, t) for t in shown}, "rows": rows}
    if test:
        ts, tl = scored(test)
        out["test"] = {"pairs": len(test), "gold": sum(tl), "questions": len({r["id"] for r in test}),
                       "at": {str(t): prf(ts, tl, t) for t in sorted({main_bar, *([chosen] if chosen else [])})},
                       "rows": test}
    OUT.write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}, indent=2, default=str)[:3000])


if __name__ == "__main__":
    main()
