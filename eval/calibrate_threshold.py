"""Choose the LLM judge's threshold on the claims it actually meets: sentences the product drafted for dev questions.

eval/verifier_pairs.jsonl is hand-written and adversarial (half its pairs are near-misses: flipped polarity,
swapped numbers and names). The threshold that is best there (0.851, F0.5) rejected 38% of the correct
sentences the model drafts for dev questions, and most dev refusals were such rejections. So the threshold
is chosen on eval/verifier_drafts.jsonl: every sentence the product drafted for the dev questions
(eval/reports/answers_dev1_rows.jsonl), paired with the source the check reads (the cited one, or for an
uncited sentence the closest allowed one), labelled supported or not by a helper that saw only the question,
the sentence and the paper's abstract (a judge other than the one being calibrated). Rule: the highest
recall at precision >= 0.95 (the answers issue's target). The adversarial pairs' held-out numbers at the
chosen threshold are reported beside it (eval/bench_verifiers.py), so the cost on the hard classes is on record.

The in-context judge (what answers use: the judge reads the answer's own prompt, verify/llm_judge.py) is
calibrated the same way: each sentence is checked against the prompt the pipeline builds for its question
today; a sentence whose source is no longer among that prompt's sources is left out (the count is reported).

    .venv/bin/python eval/calibrate_threshold.py                  # -> eval/reports/threshold_calibration.{json,md}
    .venv/bin/python eval/calibrate_threshold.py --judge context  # -> eval/reports/threshold_calibration_context.*
    .venv/bin/python eval/calibrate_threshold.py --judge prefix   # -> eval/reports/threshold_calibration_prefix.*

The prefix shortcut (what answers to questions that are not yes/no use for sentences citing source [1]) is
calibrated as a cascade: a sentence is kept when the prefix judge's P(yes) reaches the bar or, failing that,
when the abstract judge keeps it (its scores from the default run). The bar: the lowest at which the
cascade loses neither precision nor recall against the abstract judge alone on the same sentences
(sentences of non-yes/no dev questions that cite today's source [1]).
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench_verifiers import prf
from cpulock import turn  # eval/cpulock.py

from assistant import Assistant, Settings
from assistant.answer.ask import Question, draft_messages, evidence, retrieve
from assistant.answer.check import is_yes_no
from assistant.verify import load_verifier
from assistant.verify.llm_judge import context_messages, prefix_messages

EVAL = Path(__file__).parent
REPORTS = EVAL / "reports"
TARGET_PRECISION = 0.95


def paper_scores(rows: list[dict], a: Assistant) -> list[float | None]:
    """The abstract judge: each sentence against its source's title and abstract."""
    papers = {p.title: p for p, _ in a.retriever.papers.values()}
    judge = load_verifier(a.settings, judge=a.judge, name="llm")
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_source[r["source"]].append(i)
    scores: list[float | None] = [None] * len(rows)
    for source, idx in by_source.items():  # one paper at a time: its tokens stay in the judge's cache
        with turn():
            for i in idx:
                scores[i] = judge.support([rows[i]["claim"]], papers[source])[0].score
    return scores


def context_scores(rows: list[dict], a: Assistant) -> list[float | None]:
    """The in-context judge: each sentence against the prompt built for its question (the judge reads the
    prompt itself here; in an answer it starts from the answering model's copied cache: the same scores)."""
    judge: Any = load_verifier(a.settings, judge=a.judge, name="llm")
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_question[r["question"]].append(i)
    scores: list[float | None] = [None] * len(rows)
    for question, idx in by_question.items():  # one prompt at a time: it stays in the judge's cache
        q = Question(question)
        sources = evidence(retrieve(q, a.retriever, a.settings.retrieval.k), a.judge, a.llm, a.settings)
        number = {s.paper.title: s.n for s in sources}
        messages = draft_messages(q, sources)
        with turn():
            for i in idx:
                if (n := number.get(rows[i]["source"])) is not None:
                    scores[i] = judge.p_yes(judge.tokens(context_messages(messages, n, rows[i]["source"], rows[i]["claim"])))
    return scores


def prefix_scores(rows: list[dict], a: Assistant) -> list[float | None]:
    """The prefix shortcut: each sentence citing today's source [1] of a question that is not yes/no, against the
    answer's own prompt cut after source [1] (the judge reads it itself here; in an answer it starts from the
    answering model's copied cache: the same scores)."""
    judge: Any = load_verifier(a.settings, judge=a.judge, name="llm")
    by_question: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if not is_yes_no(r["question"]):
            by_question[r["question"]].append(i)
    scores: list[float | None] = [None] * len(rows)
    for question, idx in by_question.items():
        q = Question(question)
        sources = evidence(retrieve(q, a.retriever, a.settings.retrieval.k), a.judge, a.llm, a.settings)
        messages = draft_messages(q, sources)
        with turn():
            for i in idx:
                if rows[i]["source"] == sources[0].paper.title:
                    scores[i] = judge.p_yes(judge.tokens(prefix_messages(messages, sources[0], rows[i]["claim"])))
    return scores


def cascade(rows: list[dict], scores: list[float | None], a: Assistant) -> None:
    """Choose the shortcut's bar over the abstract judge's committed scores; write the prefix report."""
    paper = json.loads((REPORTS / "threshold_calibration.json").read_text())["scores"]
    bar = a.settings.verify.llm_threshold
    pairs = [(s, paper[r["id"]], bool(r["supported"])) for r, s in zip(rows, scores, strict=True) if s is not None]
    labels = [ok for _, _, ok in pairs]
    alone = prf([p for _, p, _ in pairs], labels, bar)

    def at(t: float) -> dict[str, float]:
        kept = [1.0 if s >= t or p >= bar else 0.0 for s, p, _ in pairs]
        return {**prf(kept, labels, 0.5), "decided_by_shortcut": sum(s >= t for s, _, _ in pairs) / len(pairs)}

    grid = sorted({round(s, 3) for s, _, _ in pairs})
    ok = [t for t in grid if at(t)["precision"] >= alone["precision"] and at(t)["recall"] >= alone["recall"]]
    chosen = min(ok) if ok else None
    # under the reject bar the shortcut refuses without the abstract judge: the highest 0.05 step under every
    # sentence the abstract judge keeps, so on these sentences it rejects nothing the abstract judge would keep
    kept_low = min((s for s, p, _ in pairs if p >= bar), default=0.0)
    reject = math.floor(kept_low * 20 - 1e-9) / 20
    rejected = [ok for s, _, ok in pairs if s < reject]
    shown = sorted({0.5, 0.6, 0.7, 0.8, *([chosen] if chosen is not None else [])})
    out = {"judge": "prefix", "pairs": len(pairs), "supported": sum(labels), "abstract_judge_alone": alone,
           "abstract_threshold": bar, "chosen": chosen, "reject": reject, "rejected_by_shortcut": len(rejected),
           "rejected_supported": sum(rejected), "at": {str(t): at(t) for t in shown},
           "scores": {r["id"]: s for r, s in zip(rows, scores, strict=True) if s is not None}}
    (REPORTS / "threshold_calibration_prefix.json").write_text(json.dumps(out, indent=2))
    md = [f"Prefix shortcut bar on {len(pairs)} drafted dev sentences that cite today's source [1] of a question that "
          f"is not yes/no ({sum(labels)} supported), labelled by a helper (eval/verifier_drafts.jsonl). A sentence is "
          f"kept when the shortcut's P(yes) reaches the bar, else when the abstract judge's score reaches {bar}. "
          f"Abstract judge alone: precision {alone['precision']:.3f}, recall {alone['recall']:.3f}. Chosen: {chosen} "
          f"(the lowest bar losing neither precision nor recall against the abstract judge alone). Reject bar: {reject} "
          f"(the highest 0.05 step under the lowest shortcut score, {kept_low:.3f}, of a sentence the abstract judge "
          f"keeps): it rejects {len(rejected)} of these sentences without the abstract judge, {sum(rejected)} of them "
          f"labelled supported.", "",
          "| bar | precision | recall | share decided by the shortcut |", "|---|---|---|---|"]
    md += [f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['decided_by_shortcut']:.2f} |"
           for t, m in ((t, at(t)) for t in shown)]
    (REPORTS / "threshold_calibration_prefix.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--judge", choices=["paper", "context", "prefix"], default="paper")
    args = ap.parse_args()
    every = [json.loads(line) for line in (EVAL / "verifier_drafts.jsonl").read_text().splitlines() if line.strip()]
    a = Assistant(Settings(), progress=False)
    if args.judge == "prefix":
        return cascade(every, prefix_scores(every, a), a)
    raw = (context_scores if args.judge == "context" else paper_scores)(every, a)
    rows = [r for r, s in zip(every, raw, strict=True) if s is not None]
    scores = [s for s in raw if s is not None]
    labels = [bool(r["supported"]) for r in rows]
    current = a.settings.verify.llm_context_threshold if args.judge == "context" else a.settings.verify.llm_threshold
    name = "threshold_calibration" + ("_context" if args.judge == "context" else "")
    grid = sorted({round(s, 3) for s in scores})
    table = {t: prf(scores, labels, t) for t in grid}
    ok = [t for t in grid if table[t]["precision"] >= TARGET_PRECISION]
    chosen = max(ok, key=lambda t: (table[t]["recall"], -t)) if ok else max(grid)
    shown = sorted({0.5, 0.6, 0.7, 0.8, current, 0.851, chosen})
    out = {"judge": args.judge, "pairs": len(rows), "left_out": len(every) - len(rows),
           "supported": sum(labels), "target_precision": TARGET_PRECISION, "chosen": chosen,
           "at": {str(t): prf(scores, labels, t) for t in shown},
           "scores": {r["id"]: s for r, s in zip(rows, scores, strict=True)}}
    (REPORTS / f"{name}.json").write_text(json.dumps(out, indent=2))
    md = [f"LLM judge ({args.judge}) threshold on {len(rows)} drafted dev sentences ({sum(labels)} supported; "
          f"{len(every) - len(rows)} left out: source not in today's prompt), labelled by a helper "
          f"(eval/verifier_drafts.jsonl). Chosen: {chosen} (highest recall at precision >= {TARGET_PRECISION}).", "",
          "| threshold | precision | recall | F0.5 | accuracy |", "|---|---|---|---|---|"]
    md += [f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f0.5']:.3f} | {m['accuracy']:.3f} |"
           for t, m in ((t, prf(scores, labels, t)) for t in shown)]
    (REPORTS / f"{name}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
