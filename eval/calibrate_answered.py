"""Calibrate verify.answers, the bar a yes/no answer's sources must clear to answer the question at all (dev only).

To a yes/no question the papers do not answer (a near miss: "in type 1 diabetes?" where the paper studied type 2),
the model writes what the closest paper does say, and the claim check passes it: the sentence is true of its source.
The rule (check.ClaimChecker._unanswered): such a sentence is shown only when one of the sources backing it answers
the question, as the LLM judge reads it (P(yes) + P(no) against "unknown", the stance reading the check already
uses). This replays the product's recorded drafts of every yes/no question through the real claim check, every
judge call cached, at each bar from 0 to 0.95 in 0.05 steps, and picks on the dev sets (eval/questions.jsonl and
eval/questions_stance.jsonl) the bar with the most near misses refused minus answerable questions lost (an answer
that showed something and shows nothing at the bar), the lowest such bar on ties. The other sets are replayed
with the chosen bar only to report: test (eval/questions_test.jsonl, held out) and pubmed (its own collection;
two earlier rules were designed on its first run, none on this one).

    .venv/bin/python eval/calibrate_answered.py   # -> eval/reports/answered_calibration.json
    ANSWERED_CALLS=/tmp/answered.pkl ...         # keep the judge's answers between runs
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant, read_rows  # eval/
from calibrate_stance_judge import Cached, case, replay
from cpulock import turn  # eval/cpulock.py
from tqdm import tqdm

from assistant import Assistant
from assistant.answer import ask
from assistant.answer.check import is_yes_no, render_claims
from assistant.evaluate.claims import stance
from assistant.evaluate.questions import load_questions
from assistant.types import Action

EVAL = Path(__file__).parent
DEV = {"dev": "questions.jsonl", "stance": "questions_stance.jsonl"}
REPORT = {"test": ("questions_test.jsonl", None), "pubmed": ("questions_pubmed_style.jsonl", "corpus_pubmed_style.jsonl")}
BARS = [round(0.05 * i, 2) for i in range(20)]


def cases_for(a: Assistant, name: str, file: str) -> list[dict[str, Any]]:
    rows = {r["id"]: r for r in read_rows(EVAL / "reports" / f"answers_{name}_rows.jsonl") if r["system"] == "product"}
    return [case(a, q.question, rows[q.id]["draft"], set=name, id=q.id, answerable=q.kind != "unanswerable",
                 stance=q.stance) for q in load_questions(EVAL / file) if is_yes_no(q.question) and q.id in rows]


def run(a: Assistant, case: dict[str, Any], verifier: Cached, bar: float) -> ask.Verified:
    return replay(a, case, verifier, (a.settings.verify.stance_yes, a.settings.verify.stance_no), answers=bar)


def outcome(v: ask.Verified, case: dict[str, Any]) -> dict[str, Any]:
    shown = bool(v.claims) and not v.refused
    said = stance(render_claims(v.claims)) if shown else None
    return {"shown": shown, "stance": said, "right": said is not None and said == case["stance"],
            "unanswered": sum(f.action == Action.UNANSWERED for f in v.flags)}


def tally(outs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, int]:
    ans = [(c, o) for c, o in outs if c["answerable"]]
    near = [(c, o) for c, o in outs if not c["answerable"]]
    return {"answerable": len(ans), "answerable_shown": sum(o["shown"] for _, o in ans),
            "right_stance": sum(o["right"] for _, o in ans),
            "wrong_stance": sum(o["stance"] is not None and not o["right"] for _, o in ans),
            "near_misses": len(near), "near_misses_shown": sum(o["shown"] for _, o in near),
            "sentences_unanswered": sum(o["unanswered"] for _, o in outs)}


def measure(a: Assistant, cases: list[dict[str, Any]], verifier: Cached, bars: list[float]) -> dict[float, Any]:
    for c in tqdm(cases, desc="judge calls", unit="q"):  # every judge call once, under the bench lock
        with turn():
            for bar in (0.0, 0.99):  # 0.99 reads every kept sentence's sources' stance
                run(a, c, verifier, bar)
    out = {}
    for bar in bars:
        outs = [(c, outcome(run(a, c, verifier, bar), c)) for c in cases]
        out[bar] = {"total": tally(outs), **{s: tally([x for x in outs if x[0]["set"] == s])
                                             for s in sorted({c["set"] for c in cases})},
                    "changed": [c["set"] + ":" + c["id"] for c, o in outs if bar and o["unanswered"]]}
    return out


def cached_judge(a: Assistant) -> tuple[Cached, Path | None]:
    """The assistant's judge with every answer kept, loaded from and saved to the file ANSWERED_CALLS names."""
    calls = Path(os.environ["ANSWERED_CALLS"]) if os.environ.get("ANSWERED_CALLS") else None
    verifier = Cached(a.verifier)
    verifier.load(calls)
    return verifier, calls


def report_sets(a: Assistant, verifier: Cached) -> Iterator[tuple[str, str, Assistant]]:
    """The sets replayed only to report (name, questions file, the assistant over its collection); the judge cache
    keys calls by paper id and text, so one serves every collection."""
    for name, (file, corpus) in REPORT.items():
        if corpus:
            a = collection_assistant(EVAL / corpus)
            verifier.verifier = a.verifier
        yield name, file, a


def main() -> None:
    a = collection_assistant(None)
    verifier, calls = cached_judge(a)
    grid = measure(a, [c for name, file in DEV.items() for c in cases_for(a, name, file)], verifier, BARS)
    verifier.save(calls)

    def gain(bar: float) -> int:
        t, base = grid[bar]["total"], grid[0.0]["total"]
        lost = base["answerable_shown"] - t["answerable_shown"]
        return (base["near_misses_shown"] - t["near_misses_shown"]) - lost

    chosen = min(BARS, key=lambda b: (-gain(b), b))
    print(json.dumps({"chosen": chosen, "dev": {b: grid[b]["total"] for b in BARS}}), flush=True)
    out: dict[str, Any] = {"chosen": chosen, "rule": "most dev near misses refused minus answerable lost; lowest on ties",
                           "dev": {str(b): grid[b] for b in BARS}, "report": {}}
    for name, file, other in report_sets(a, verifier):
        for b, r in measure(other, cases_for(other, name, file), verifier, [0.0, chosen]).items():
            out["report"].setdefault(str(b), {"changed": []})[name] = r[name]
            out["report"][str(b)]["changed"] += r["changed"]
        verifier.save(calls)
    (EVAL / "reports" / "answered_calibration.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out["report"], indent=1))


if __name__ == "__main__":
    main()
