"""Calibrate the bars a stance on a restated question must clear (verify.stance_yes, verify.stance_no), dev only.

To a yes/no question the model often answers "No, <the question negated>": a sentence whose only content is
its stance. The claim check (answer/check.py) backs such a sentence with a source when the mean of two
readings by the LLM judge clears the stance's bar: P(the source states the sentence) and P(the source
answers the question that way). This replays the product's own drafts of the dev yes/no questions
(eval/questions.jsonl and eval/questions_stance.jsonl; drafts from eval/reports/answers_{dev,stance}_rows.jsonl)
through the real claim check, every judge call cached, and picks for each stance the lowest bar at which at
least 95% of the restatements kept carry the gold stance (on a yes/no question the papers do not answer,
any stance kept is wrong). It then reports, over the same questions, how many
answers show the gold stance, a wrong one, or none, with the bars and without the stance reading (the claim
judge alone). The test set is never read here.

    .venv/bin/python eval/calibrate_stance_judge.py   # -> eval/reports/stance_judge_calibration.json
    STANCE_CALLS=/tmp/calls.pkl ...                   # keep the judge's answers between runs (delete the file
                                                      # after changing a prompt or the model)
"""

from __future__ import annotations

import json
import math
import os
import pickle
from pathlib import Path
from typing import Any

from cpulock import turn  # eval/cpulock.py
from tqdm import tqdm

from assistant import Assistant, Settings
from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.answer.check import ClaimChecker, is_stance, is_yes_no, render_claims, stance_mean, stance_of, statement
from assistant.answer.evidence import as_shown
from assistant.config import AnswerSettings
from assistant.evaluate.claims import stance
from assistant.evaluate.questions import load_questions
from assistant.types import Action, Paper
from assistant.verify.base import Support

EVAL = Path(__file__).parent
SETS = {"dev": "questions.jsonl", "stance": "questions_stance.jsonl"}
PRECISION = 0.95


class Cached:
    """The verifier with every answer remembered, so a replay costs no model call."""

    def __init__(self, verifier: Any) -> None:
        self.verifier, self.name = verifier, verifier.name
        self.claims: dict[tuple[str, str, str], Support] = {}
        self.stances: dict[tuple[str, str, str], tuple[float, float]] = {}
        self.two_way = False  # read P(yes) and P(no) against each other only, ignoring "unknown" (for comparison)
        self.reads_stance = verifier.reads_stance

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        for c in claims:  # by the text read too: the check reads a paper's shown text or its whole abstract
            if (c, paper.paper_id, paper.abstract) not in self.claims:
                self.claims[(c, paper.paper_id, paper.abstract)] = self.verifier.support([c], paper)[0]
        return [self.claims[(c, paper.paper_id, paper.abstract)] for c in claims]

    def stance(self, question: str, paper: Paper) -> tuple[float, float]:
        key = (question, paper.paper_id, paper.abstract)  # a whole abstract, or one sentence of it (check.passages)
        if key not in self.stances:
            self.stances[key] = self.verifier.stance(question, paper)
        yes, no = self.stances[key]
        return (yes / (yes + no), no / (yes + no)) if self.two_way else (yes, no)

    def load(self, path: Path | None) -> None:
        """Judge calls kept by an earlier run (delete the file after changing a prompt or the model)."""
        if path and path.is_file():
            self.claims, stances = pickle.loads(path.read_bytes())
            self.stances = {k: v for k, v in stances.items() if len(k) == 3}  # older files keyed without the text

    def save(self, path: Path | None) -> None:
        if path and path.parent.is_dir():
            path.write_bytes(pickle.dumps((self.claims, self.stances)))


def case(a: Assistant, question: str, draft: str, **fields: Any) -> dict[str, Any]:
    """A recorded draft with the sources the product gives the model for its question, ready to replay."""
    r = ask.retrieve(ask.Question(question), a.retriever, a.settings.retrieval.k)
    return {"question": question, "draft": draft, "sources": ask.evidence(r, a.judge, a.llm, a.settings),
            "qvec": r.query_vec, "retrieved": r, **fields}


def replay(a: Assistant, case: dict[str, Any], verifier: Cached, bars: tuple[float, float] | None,
           answers: float = 0.0, answer: AnswerSettings | None = None, named: float | None = None,
           read_shown: bool | None = None, quote: float | None = None, listed: bool | None = None,
           premises: bool = False, standalone: bool = False) -> ask.Verified:
    """The claim check on a recorded draft, sentence by sentence as ask.ask_stream runs it (reading what each source
    showed the model where `read_shown`, and quoting the answering source where it removed every sentence of a
    yes/no draft at the bar `quote`, and naming the sources left out to "Which papers ...?" where `listed`: by default
    the assistant's `verify.read_shown`, `verify.quote_answers` and `verify.name_every_source`). `premises` and
    `standalone` (verify.premises, verify.standalone) are off unless asked for: the scripts that replay only yes/no
    drafts were calibrated without them."""
    shown = a.settings.verify.read_shown if read_shown is None else read_shown
    checker = ClaimChecker(case["question"], case["sources"], verifier=verifier, threshold=a.threshold(),
                           settings=answer or a.settings.answer, judge=a.judge, question_vec=case["qvec"],
                           stance=bars, answers=answers,
                           named=(verifier, named) if named is not None else None,
                           check_against=as_shown(case["sources"]) if shown else None, whole_named=True,
                           premises=premises, standalone=standalone)
    stream, v = cit.SentenceStream({s.n: s.paper.title for s in case["sources"]}), ask.Verified()
    list(ask.verify([*stream.feed(case["draft"]), *filter(None, [stream.flush()])], checker, case["sources"], v))
    ask.fall_back(checker, v, a.settings.verify.quote_answers if quote is None else quote)
    if a.settings.verify.name_every_source if listed is None else listed:
        ask.name_the_rest(checker, v, case["sources"], a.settings.verify.llm_threshold)
    return v


def outcome(v: ask.Verified, gold: str) -> str:
    said = None if v.refused or not v.claims else stance(render_claims(v.claims))
    return "none" if said is None else "right" if said == gold else "wrong"


def lowest_bar(records: list[tuple[float, bool]]) -> float:
    """The lowest score at which >= PRECISION of the records kept are right (1.0 when none is)."""
    for score in sorted({s for s, _ in records}):
        kept = [ok for s, ok in records if s >= score]
        if sum(kept) >= PRECISION * len(kept):
            return math.floor(score * 1000) / 1000  # at or under the score, so that record is kept
    return 1.0


def tally(a: Assistant, cases: list[dict[str, Any]], verifier: Cached, bars: tuple[float, float] | None) -> dict[str, int]:
    counts = {"right": 0, "wrong": 0, "none": 0, "unanswerable_answered": 0,
              "content_stance_removed_was_right": 0, "content_stance_removed_was_wrong": 0}
    for c in cases:
        v = replay(a, c, verifier, bars)
        if c["stance"] is None:
            counts["unanswerable_answered"] += bool(v.claims) and not v.refused
        else:
            counts[outcome(v, c["stance"])] += 1
        # "Yes, <content>" shown without its stance: did the removed stance match gold? (none does on an unanswerable)
        for f in v.flags:
            if f.action == Action.UNSTANCED:
                counts["content_stance_removed_was_" + ("right" if stance_of(f.sentence) == c["stance"] else "wrong")] += 1
    return counts


def calibrate(a: Assistant, cases: list[dict[str, Any]], verifier: Cached) -> dict[str, Any]:
    """Bars from the restatements every replay keeps with bars of 0, and the answers those bars give."""
    records: dict[str, list[tuple[float, bool]]] = {"yes": [], "no": []}
    for c in cases:  # bars of 0 keep every restatement a source does not read the other way
        papers = {s.n: s.paper for s in c["sources"]}
        v = replay(a, c, verifier, (0.0, 0.0))
        # a kept restatement is shown as its stance alone (check.stance_only), which flags the sentence it was: the
        # k-th such flag is the k-th bare stance. Its score per source is the mean of the two readings, unrounded
        # (Claim.support is rounded); on an unanswerable question any stance is wrong
        restated = [f.sentence for f in v.flags if f.action == Action.STANCE]
        bare = [claim for claim in v.claims if is_stance(claim.text)]
        assert len(restated) == len(bare), (c["id"], restated, [b.text for b in bare])
        for text, claim in zip(restated, bare, strict=True):
            said = stance_of(text)
            for n in claim.cited:
                states = verifier.claims[(statement(text), papers[n].paper_id, papers[n].abstract)].score
                records[said].append((stance_mean(states, verifier.stance(c["question"], papers[n]), said),
                                      said == c["stance"]))
    bars = (lowest_bar(records["yes"]), lowest_bar(records["no"]))
    return {"stance_yes": bars[0], "stance_no": bars[1],
            "restatements": {k: {"n": len(v), "right": sum(ok for _, ok in v),
                                 "kept": sum(s >= bars[i] for s, _ in v),
                                 "kept_right": sum(ok for s, ok in v if s >= bars[i])}
                             for i, (k, v) in enumerate(records.items())},
            "answers": tally(a, cases, verifier, bars), "records": {k: sorted(v) for k, v in records.items()}}


def yes_no_cases(a: Assistant, sets: dict[str, str] = SETS) -> list[dict[str, Any]]:
    """The product's recorded drafts of the yes/no questions of `sets` (name -> questions file) with a gold stance
    or none to give (near misses), ready to replay."""
    cases = []
    for name, file in sets.items():
        rows = {}
        for line in (EVAL / "reports" / f"answers_{name}_rows.jsonl").read_text().splitlines():
            r = json.loads(line)
            if r["system"] == "product":
                rows[r["id"]] = r
        for q in load_questions(EVAL / file):
            if (q.stance in ("yes", "no") or q.kind == "unanswerable") and is_yes_no(q.question) and q.id in rows:
                cases.append(case(a, q.question, rows[q.id]["draft"], id=q.id, stance=q.stance, set=name))
    return cases


def main() -> None:
    a = Assistant(Settings(), progress=False)
    verifier = Cached(a.verifier)
    cases = yes_no_cases(a)
    calls = Path(os.environ["STANCE_CALLS"]) if os.environ.get("STANCE_CALLS") else None
    verifier.load(calls)
    for c in tqdm(cases, desc="judge calls", unit="q"):  # every judge call, once, under the bench lock
        with turn():
            replay(a, c, verifier, (0.0, 0.0))
            replay(a, c, verifier, None)
    verifier.save(calls)
    out: dict[str, Any] = {"questions": len(cases), "yes": sum(c["stance"] == "yes" for c in cases),
                           "no": sum(c["stance"] == "no" for c in cases),
                           "unanswerable": sum(c["stance"] is None for c in cases), "model": a.llm.describe()["model"]}
    # shipped: three-way (yes / no / unknown); "two-way" re-reads the same logits as P(yes) against P(no) only
    for reading in ("three-way", "two-way"):
        verifier.two_way = reading == "two-way"
        out[reading] = calibrate(a, cases, verifier)
    out["answers without the stance reading (claim judge alone)"] = tally(a, cases, verifier, None)
    verifier.two_way = False
    shipped = (a.settings.verify.stance_yes, a.settings.verify.stance_no)
    out["answers at the shipped bars " + str(list(shipped))] = tally(a, cases, verifier, shipped)
    out["stance_yes"], out["stance_no"] = out["three-way"]["stance_yes"], out["three-way"]["stance_no"]
    report = EVAL / "reports" / "stance_judge_calibration.json"
    if report.is_file():  # the records of the removed source-stance experiment (commit 33dc758, --read-only there)
        old = json.loads(report.read_text())
        out.update({k: old[k] for k in ("source stance", "read_yes", "read_no") if k in old})
    report.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: ({x: y for x, y in v.items() if x != "records"} if isinstance(v, dict) else v)
                      for k, v in out.items()}, indent=1))


if __name__ == "__main__":
    main()
