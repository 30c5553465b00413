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
import pickle
from pathlib import Path
from typing import Any

from bench_answers import collection_assistant  # eval/
from calibrate_stance_judge import Cached
from cpulock import turn  # eval/cpulock.py
from tqdm import tqdm

from assistant import Assistant
from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, is_yes_no, render_claims
from assistant.evaluate.claims import stance
from assistant.evaluate.questions import load_questions
from assistant.types import Action

EVAL = Path(__file__).parent
DEV = {"dev": ("questions.jsonl", None), "stance": ("questions_stance.jsonl", None)}
REPORT = {"test": ("questions_test.jsonl", None), "pubmed": ("questions_pubmed_style.jsonl", "corpus_pubmed_style.jsonl")}
BARS = [round(0.05 * i, 2) for i in range(20)]


def cases_for(a: Assistant, name: str, file: str) -> list[dict[str, Any]]:
    rows = {}
    for line in (EVAL / "reports" / f"answers_{name}_rows.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["system"] == "product":
            rows[r["id"]] = r
    out = []
    for q in load_questions(EVAL / file):
        if is_yes_no(q.question) and q.id in rows:
            r = ask.retrieve(ask.Question(q.question), a.retriever, a.settings.retrieval.k)
            out.append({"set": name, "id": q.id, "question": q.question, "answerable": q.kind != "unanswerable",
                        "stance": q.stance, "draft": rows[q.id]["draft"],
                        "sources": ask.evidence(r, a.judge, a.llm, a.settings), "qvec": r.query_vec})
    return out


def run(a: Assistant, case: dict[str, Any], verifier: Cached, bar: float) -> ask.Verified:
    s = a.settings
    checker = ClaimChecker(case["question"], case["sources"], verifier=verifier, threshold=a.threshold(),
                           settings=s.answer, judge=a.judge, question_vec=case["qvec"],
                           stance=(s.verify.stance_yes, s.verify.stance_no), answers=bar)
    stream, v = cit.SentenceStream({s.n: s.paper.title for s in case["sources"]}), ask.Verified()
    list(ask.verify([*stream.feed(case["draft"]), *filter(None, [stream.flush()])], checker, case["sources"], v))
    return v


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


def main() -> None:
    calls = Path(os.environ.get("ANSWERED_CALLS", "/nonexistent/calls.pkl"))
    verifier_cache: tuple[dict[Any, Any], dict[Any, Any]] = ({}, {})
    if calls.is_file():
        verifier_cache = pickle.loads(calls.read_bytes())

    def cached(a: Assistant) -> Cached:
        v = Cached(a.verifier)
        v.claims, v.stances = verifier_cache
        return v

    a = collection_assistant(None)
    dev = [c for name, (file, _) in DEV.items() for c in cases_for(a, name, file)]
    verifier = cached(a)
    grid = measure(a, dev, verifier, BARS)
    if calls.parent.is_dir():
        calls.write_bytes(pickle.dumps(verifier_cache))

    def gain(bar: float) -> int:
        t, base = grid[bar]["total"], grid[0.0]["total"]
        lost = base["answerable_shown"] - t["answerable_shown"]
        return (base["near_misses_shown"] - t["near_misses_shown"]) - lost

    chosen = min(BARS, key=lambda b: (-gain(b), b))
    print(json.dumps({"chosen": chosen, "dev": {b: grid[b]["total"] for b in BARS}}), flush=True)
    out: dict[str, Any] = {"chosen": chosen, "rule": "most dev near misses refused minus answerable lost; lowest on ties",
                           "dev": {str(b): grid[b] for b in BARS}}
    report = [c for name, (file, _) in REPORT.items() if not REPORT[name][1] for c in cases_for(a, name, file)]
    out["report"] = {str(b): r for b, r in measure(a, report, verifier, [0.0, chosen]).items()}
    if calls.parent.is_dir():
        calls.write_bytes(pickle.dumps(verifier_cache))
    for name, (file, corpus) in REPORT.items():
        if corpus:
            del a
            a = collection_assistant(EVAL / corpus)
            verifier = cached(a)
            got = measure(a, cases_for(a, name, file), verifier, [0.0, chosen])
            for b, r in got.items():
                out["report"][str(b)][name] = r[name]
                out["report"][str(b)]["changed"] += r["changed"]
    if calls.parent.is_dir():
        calls.write_bytes(pickle.dumps(verifier_cache))
    (EVAL / "reports" / "answered_calibration.json").write_text(json.dumps(out, indent=1))
    print(json.dumps({"chosen": chosen, "dev": {b: grid[b]["total"] for b in BARS}, "report": out["report"]},
                     indent=1))


if __name__ == "__main__":
    main()
