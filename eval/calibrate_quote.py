"""Calibrate verify.quote_answers: when the check removes every sentence of a yes/no answer's draft, quote the
answering source instead of refusing, if the judge reads that source as answering the question (dev only).

The small model opens most yes/no answers with "Yes, <the question restated>". Where the paper found "no" (a false
premise), the check rightly removes that sentence, and often nothing else of the draft is left: the answer was a
refusal, though the source says what the asker needs to read. The rule (ask.fall_back, check.ClaimChecker.passages):
the source read best as answering the question (the LLM judge's P(yes) + P(no) against "unknown", the reading the
check already makes for `verify.answers`), among source [1] and those the check already read, gives its two shown
sentences closest to the question, quoted verbatim; no stance is stated. A near miss (the papers do not answer) must
not get one: that would cite a paper for a question it does not answer.

This replays the product's recorded drafts of every yes/no question through the real claim check, judge calls
cached, with the rule off and at each bar from 0.05 to 0.95, and picks on the dev sets (eval/questions.jsonl and
eval/questions_stance.jsonl) the lowest bar at which no near miss is quoted. The other sets are replayed at the
chosen bar only to report: test (eval/questions_test.jsonl, held out) and pubmed (its own collection; nothing of
this rule was designed on it).

    .venv/bin/python eval/calibrate_quote.py   # -> eval/reports/quote_calibration.json
    ANSWERED_CALLS=/tmp/answered.pkl ...      # keep the judge's answers between runs
    .venv/bin/python eval/calibrate_quote.py --time   # live: the rule's cost on the dev questions it quotes
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_answered import DEV, cached_judge, report_sets
from calibrate_stance_judge import Cached, case, replay
from cpulock import turn  # eval/cpulock.py
from time_stage import time_stage
from tqdm import tqdm

from assistant import Assistant
from assistant.answer import ask
from assistant.answer.check import is_yes_no
from assistant.evaluate.questions import load_questions
from assistant.types import Action

EVAL = Path(__file__).parent
BARS = [round(0.05 * i, 2) for i in range(1, 20)]


def cases_for(a: Assistant, name: str, file: str) -> list[dict[str, Any]]:
    """The set's yes/no questions whose model wrote a draft (not refusals made before the model ran)."""
    rows = {r["id"]: r for r in read_rows(EVAL / "reports" / f"answers_{name}_rows.jsonl") if r["system"] == "product"}
    return [case(a, q.question, rows[q.id]["draft"], set=name, id=q.id, answerable=q.kind != "unanswerable",
                 gold={e for ev in q.fact_evidence for e in ev})
            for q in load_questions(EVAL / file) if is_yes_no(q.question) and rows.get(q.id, {}).get("draft")]


def outcome(v: ask.Verified, c: dict[str, Any]) -> dict[str, Any]:
    quoted = v.claims if any(f.action == Action.QUOTED for f in v.flags) else []  # all or none: see ask.fall_back
    return {"shown": bool(v.claims) and not v.refused, "quoted": bool(quoted),
            "gold": any(e in c["gold"] for x in quoted for e in x.evidence.values())}


def tally(outs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    ans = [(c, o) for c, o in outs if c["answerable"]]
    near = [(c, o) for c, o in outs if not c["answerable"]]
    return {"answerable": len(ans), "answerable_shown": sum(o["shown"] for _, o in ans),
            "answerable_quoted": sum(o["quoted"] for _, o in ans),
            "quotes_holding_gold": sum(o["gold"] for _, o in ans),
            "near_misses": len(near), "near_misses_shown": sum(o["shown"] for _, o in near),
            "near_misses_quoted": sum(o["quoted"] for _, o in near),
            "quoted": [f"{c['set']}:{c['id']}" for c, o in outs if o["quoted"]]}


def measure(a: Assistant, cases: list[dict[str, Any]], verifier: Cached, bars: list[float]) -> dict[float, Any]:
    for c in tqdm(cases, desc="judge calls", unit="q"):  # every judge call once, under the bench lock
        with turn():
            replay(a, c, verifier, (a.settings.verify.stance_yes, a.settings.verify.stance_no),
                   answers=a.settings.verify.answers, quote=0.01)  # 0.01: reads every stance the rule can read
    out = {}
    for bar in [0.0, *bars]:
        outs = [(c, outcome(replay(a, c, verifier, (a.settings.verify.stance_yes, a.settings.verify.stance_no),
                                   answers=a.settings.verify.answers, quote=bar), c)) for c in cases]
        out[bar] = {"total": tally(outs), **{s: tally([x for x in outs if x[0]["set"] == s])
                                             for s in sorted({c["set"] for c in cases})}}
    return out


def time_live(a: Assistant) -> None:
    """Ask the dev questions the chosen bar quotes, live, and print what ask.fall_back cost each (the drafts are the
    model's own, so a few may come out different from the recorded ones and not reach the rule)."""
    chosen = json.loads((EVAL / "reports" / "quote_calibration.json").read_text())
    ids = {x.split(":")[1] for x in chosen["dev"][str(chosen["chosen"])]["total"]["quoted"]}
    time_stage(a, "fall_back", [q for f in DEV.values() for q in load_questions(EVAL / f) if q.id in ids])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time", action="store_true", help="time the rule live on the dev questions it quotes")
    if ap.parse_args().time:
        return time_live(collection_assistant(None))
    a = collection_assistant(None)
    verifier, calls = cached_judge(a)
    grid = measure(a, [c for name, file in DEV.items() for c in cases_for(a, name, file)], verifier, BARS)
    verifier.save(calls)
    chosen = min(b for b in BARS if grid[b]["total"]["near_misses_quoted"] == 0)
    out: dict[str, Any] = {"chosen": chosen, "rule": "lowest bar quoting no dev near miss",
                           "dev": {str(b): grid[b] for b in [0.0, *BARS]}, "report": {}}
    print(json.dumps({"chosen": chosen, "off": grid[0.0]["total"], "at_chosen": grid[chosen]["total"]}, indent=1))
    for name, file, other in report_sets(a, verifier):
        for b, r in measure(other, cases_for(other, name, file), verifier, [chosen]).items():
            out["report"].setdefault(str(b), {})[name] = r[name]
        verifier.save(calls)
    (EVAL / "reports" / "quote_calibration.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out["report"], indent=1))


if __name__ == "__main__":
    main()
