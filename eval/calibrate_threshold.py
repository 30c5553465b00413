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
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench_verifiers import prf
from cpulock import turn  # eval/cpulock.py

from assistant import Assistant, Settings
from assistant.answer.ask import Question, draft_messages, evidence, retrieve
from assistant.verify import load_verifier
from assistant.verify.llm_judge import context_messages

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--judge", choices=["paper", "context"], default="paper")
    args = ap.parse_args()
    every = [json.loads(line) for line in (EVAL / "verifier_drafts.jsonl").read_text().splitlines() if line.strip()]
    a = Assistant(Settings(), progress=False)
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
