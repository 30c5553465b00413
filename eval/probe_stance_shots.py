"""Probe, not shipped: does the judge read a paper's answer to a yes/no question better with worked examples?

The stance reading (LLMVerifier.stance) asks "What does the paper answer: yes, no, or unknown?" after the paper's
abstract, zero-shot, and the 1.5B judge reads "no" badly (README, "How an answer is made"). Here the same prompt is
read twice per dev question, against its gold paper (a near miss: its top retrieved paper, gold "unknown"): as
shipped, and after worked examples given as earlier chat turns (a paper excerpt, a question, the one-word answer),
taken from stance-set papers whose questions are then left out. Scores are threshold-free (ROC AUC per reading):
yes against the rest, no against the rest, no against unknown (by P(no)), answered (P(yes) + P(no), the mass
`verify.answers` reads) against unknown, and the direction, yes against no among the answerable (P(yes) / (P(yes) +
P(no)); the stance bars read the three-way P(yes) or P(no), averaged with P(states)). Dev sets only
(eval/questions.jsonl, eval/questions_stance.jsonl); no bar is fitted.

It then asks what the product would do with it (`--answers`): the worked-example reading sets only the direction,
P(yes) / (P(yes) + P(no)), applied to the shipped reading's answered mass P(yes) + P(no) (so `verify.answers` and
`verify.quote_answers`, which read that mass, are untouched), and the stance bars are refitted on the dev drafts
(eval/calibrate_stance_judge.py's rule and replay, judge calls cached) for both readings. Like that script's, these
replays leave `verify.answers` off, so the stance counts are comparable with its report, not with the product's.

    .venv/bin/python eval/probe_stance_shots.py [--unknowns 1|2]   # -> eval/reports/stance_shots.json
    STANCE_CALLS=/tmp/calls.pkl SHOT_CALLS=/tmp/shots.pkl .venv/bin/python eval/probe_stance_shots.py --answers
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
from calibrate_stance_judge import Cached, calibrate, tally, yes_no_cases  # eval/
from compare_context_judges import auc  # eval/
from cpulock import turn  # eval/cpulock.py

from assistant import Assistant, Settings
from assistant.answer.check import is_yes_no
from assistant.answer.prompts import render
from assistant.evaluate.questions import load_questions

EVAL = Path(__file__).parent
LABELS = ("yes", "no", "unknown")
SHOTS = [  # (paper title, an excerpt of its abstract, a question, the answer)
    ("S^3 -- Semantic Signal Separation", "Our approach provides the most diverse, highly coherent topics, requires no "
     "preprocessing, and is demonstrated to be the fastest contextually sensitive topic model to date.",
     "Does the topic model need text preprocessing to produce good topics?", "no"),
    ("Preserving Semantic Relations for Zero-Shot Learning", "The proposed approach outperforms the state-of-the-art "
     "on the standard zero-shot setting as well as the more realistic generalized zero-shot setting.",
     "Does the method also beat the state of the art in the generalized zero-shot setting?", "yes"),
    ("CoReS: Compatible Representations via Stationarity", "Classes are maximally separated in the representation "
     "space and maintain their spatial configuration stationary as new classes are added, so that there is no need to "
     "learn any mappings between representations.", "Was CoReS evaluated with Vision Transformer backbones?", "unknown"),
    ("A Concept-Centric Approach to Multi-Modality Learning", "Our framework achieves performance on par with "
     "benchmark models while demonstrating more efficient learning curves.",
     "Does the framework clearly outperform the benchmark models?", "no"),
]
SECOND_UNKNOWN = ("Preserving Semantic Relations for Zero-Shot Learning", "The proposed approach outperforms the "
                  "state-of-the-art on the standard zero-shot setting as well as the more realistic generalized "
                  "zero-shot setting.", "Was the method evaluated on video action recognition?", "unknown")


def _auc(labels: list[bool], scores: Any) -> float:
    return round(auc([float(x) for x in scores], labels), 3)


def score(rows: list[dict[str, Any]], unknowns: int) -> dict[str, Any]:
    """ROC AUC of each reading: yes, no, answered against unknown, and yes against no among the answerable."""
    out: dict[str, Any] = {"questions": len(rows), "gold": {g: sum(r["gold"] == g for r in rows) for g in LABELS},
                           "unknown_examples": unknowns, "auc": {}}
    for k in ("shipped", "shots"):
        p, g = np.array([r[k] for r in rows]), [r["gold"] for r in rows]
        ans = [j for j, x in enumerate(g) if x != "unknown"]
        out["auc"][k] = {
            "yes_vs_rest": _auc([x == "yes" for x in g], p[:, 0]),
            "no_vs_rest": _auc([x == "no" for x in g], p[:, 1]),
            "no_vs_unknown": _auc([g[j] == "no" for j in range(len(g)) if g[j] != "yes"],
                                  [p[j, 1] for j in range(len(g)) if g[j] != "yes"]),
            "answered_vs_unknown": _auc([x != "unknown" for x in g], p[:, 0] + p[:, 1]),
            "yes_vs_no_answerable": _auc([g[j] == "yes" for j in ans], [p[j, 0] / (p[j, 0] + p[j, 1]) for j in ans]),
            "argmax_right": {lab: f"{sum(LABELS[int(np.argmax(p[j]))] == lab for j in range(len(g)) if g[j] == lab)}"
                                  f"/{sum(x == lab for x in g)}" for lab in LABELS}}
    return out


def reading(v: Any, question: str, paper: Any, examples: list[dict[str, str]]) -> list[float]:
    """P(yes), P(no), P(unknown): the judge's stance prompt (LLMVerifier.stance) after `examples` as earlier turns;
    with none, the shipped reading."""
    msgs = [{"role": "system", "content": v.system}, *examples, {"role": "user", "content": render(
        "verify_stance_user", title=paper.title, abstract=paper.abstract, question=question)}]
    return [float(x) for x in v.answer_probs(v.tokens(msgs), v.yes, v.no, v.unknown)]


def turns(shots: list[tuple[str, str, str, str]]) -> list[dict[str, str]]:
    out = []
    for title, text, question, answer in shots:
        out += [{"role": "user", "content": render("verify_stance_user", title=title, abstract=text, question=question)},
                {"role": "assistant", "content": answer}]
    return out


class Directed(Cached):
    """The cached judge whose stance reading takes its direction from the worked-example reading (when `on`)."""

    def __init__(self, verifier: Any, examples: list[dict[str, str]]) -> None:
        super().__init__(verifier)
        self.examples, self.shots, self.on = examples, {}, True

    def worked(self, question: str, paper: Any) -> tuple[float, float]:
        key = (len(self.examples), question, paper.paper_id, paper.abstract)  # the examples' count: --unknowns
        if key not in self.shots:
            with self.verifier.lock:
                p = reading(self.verifier, question, paper, self.examples)
            self.shots[key] = (p[0], p[1])
        return self.shots[key]

    def stance(self, question: str, paper: Any) -> tuple[float, float]:
        yes, no = super().stance(question, paper)
        if not self.on:
            return yes, no
        wy, wn = self.worked(question, paper)
        return (yes + no) * wy / (wy + wn), (yes + no) * wn / (wy + wn)


def answers(a: Assistant, shots: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """Stance bars refitted and dev answers replayed with the shipped reading and with the directed one."""
    judge = Directed(a.verifier, turns(shots))
    calls = Path(os.environ["STANCE_CALLS"]) if os.environ.get("STANCE_CALLS") else None
    shot_calls = Path(os.environ["SHOT_CALLS"]) if os.environ.get("SHOT_CALLS") else None
    judge.load(calls)
    if shot_calls and shot_calls.is_file():
        judge.shots = pickle.loads(shot_calls.read_bytes())
    left_out = {t for t, *_ in shots}
    cases = [c for c in yes_no_cases(a) if not any(s.paper.title in left_out for s in c["sources"])]
    out: dict[str, Any] = {"questions": len(cases), "unknown_examples": sum(answer == "unknown" for *_, answer in shots)}
    shipped = (a.settings.verify.stance_yes, a.settings.verify.stance_no)
    for on in (False, True):
        judge.on = on
        with turn():
            fit = calibrate(a, cases, judge)
        out["directed" if on else "shipped reading"] = {
            "refitted bars": [fit["stance_yes"], fit["stance_no"]], "restatements": fit["restatements"],
            "answers at the refitted bars": fit["answers"],
            "answers at the shipped bars": tally(a, cases, judge, shipped)}
    judge.save(calls)
    if shot_calls:
        shot_calls.write_bytes(pickle.dumps(judge.shots))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--unknowns", type=int, default=1, choices=(1, 2), help="worked examples answered 'unknown'")
    ap.add_argument("--answers", action="store_true", help="replay the dev drafts with the directed reading")
    ap.add_argument("--rescore", action="store_true", help="score the readings saved in the report again, no model")
    args = ap.parse_args()
    report = EVAL / "reports" / "stance_shots.json"
    if args.rescore:
        saved = json.loads(report.read_text())
        saved.update(score(saved["rows"], saved["unknown_examples"]))
        report.write_text(json.dumps(saved, indent=1))
        print(json.dumps(saved["auc"], indent=1))
        return
    shots = SHOTS + ([SECOND_UNKNOWN] if args.unknowns == 2 else [])
    a = Assistant(Settings(), progress=False)
    if args.answers:
        saved = json.loads(report.read_text()) if report.is_file() else {}
        saved["answers"] = answers(a, shots)
        report.write_text(json.dumps(saved, indent=1))
        print(json.dumps(saved["answers"], indent=1))
        return
    v = a.verifier
    papers = {p.title: p for p, _ in a.retriever.papers.values()}
    left_out = {t for t, *_ in shots}

    rows = []
    for file in ("questions.jsonl", "questions_stance.jsonl"):
        for q in load_questions(EVAL / file):
            if not is_yes_no(q.question):
                continue
            if q.kind == "unanswerable":
                gold, paper = "unknown", a.retriever.search(q.question, 1)[0].paper
            elif q.stance in ("yes", "no") and q.gold and q.gold[0] in papers:
                gold, paper = q.stance, papers[q.gold[0]]
            else:
                continue
            if paper.title in left_out:
                continue
            t = time.perf_counter()
            base = [*(yes_no := v.stance(q.question, paper)), 1 - sum(yes_no)]  # the shipped reading itself
            t1 = time.perf_counter()
            few = reading(v, q.question, paper, turns(shots))
            rows.append({"id": q.id, "gold": gold, "paper": paper.title, "shipped": base, "shots": few,
                         "ms": [round((t1 - t) * 1000), round((time.perf_counter() - t1) * 1000)]})
            print(q.id, gold, [round(x, 2) for x in base], [round(x, 2) for x in few], flush=True)
    out = score(rows, args.unknowns)
    out["rows"] = rows
    saved = json.loads(report.read_text()) if report.is_file() else {}
    saved.pop("note", None)  # the readings are this run's
    report.write_text(json.dumps({**saved, **out}, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
