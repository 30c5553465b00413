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

    .venv/bin/python eval/calibrate_threshold.py    # -> eval/reports/threshold_calibration.{json,md}
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from bench_verifiers import prf
from cpulock import turn  # eval/cpulock.py

from assistant import Assistant, Settings
from assistant.verify import load_verifier

EVAL = Path(__file__).parent
REPORTS = EVAL / "reports"
TARGET_PRECISION = 0.95


def main() -> None:
    rows = [json.loads(line) for line in (EVAL / "verifier_drafts.jsonl").read_text().splitlines() if line.strip()]
    a = Assistant(Settings(), progress=False)
    papers = {p.title: p for p, _ in a.retriever.papers.values()}
    judge = load_verifier(a.settings, judge=a.judge, name="llm")
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_source[r["source"]].append(i)
    scores = [0.0] * len(rows)
    with turn():
        for source, idx in by_source.items():  # one paper at a time: its tokens stay in the judge's cache
            for i in idx:
                scores[i] = judge.support([rows[i]["claim"]], papers[source])[0].score
    labels = [bool(r["supported"]) for r in rows]
    grid = sorted({round(s, 3) for s in scores})
    table = {t: prf(scores, labels, t) for t in grid}
    ok = [t for t in grid if table[t]["precision"] >= TARGET_PRECISION]
    chosen = max(ok, key=lambda t: (table[t]["recall"], -t)) if ok else max(grid)
    shown = sorted({0.5, 0.6, 0.7, 0.8, Settings().verify.llm_threshold, 0.851, chosen})
    out = {"pairs": len(rows), "supported": sum(labels), "target_precision": TARGET_PRECISION, "chosen": chosen,
           "at": {str(t): prf(scores, labels, t) for t in shown},
           "scores": {r["id"]: s for r, s in zip(rows, scores, strict=True)}}
    (REPORTS / "threshold_calibration.json").write_text(json.dumps(out, indent=2))
    md = [f"LLM judge threshold on {len(rows)} drafted dev sentences ({sum(labels)} supported), labelled by a helper "
          f"(eval/verifier_drafts.jsonl). Chosen: {chosen} (highest recall at precision >= {TARGET_PRECISION}).", "",
          "| threshold | precision | recall | F0.5 | accuracy |", "|---|---|---|---|---|"]
    md += [f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f0.5']:.3f} | {m['accuracy']:.3f} |"
           for t, m in ((t, prf(scores, labels, t)) for t in shown)]
    (REPORTS / "threshold_calibration.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
