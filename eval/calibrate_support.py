"""Calibrate the support judge on eval/support_pairs.jsonl (hand-labelled sentence/paper pairs).

Prints precision and recall of "supported" at each threshold and the threshold with the best
F0.5 (precision weighs more: a wrong citation costs more trust than a missing one), and
writes eval/reports/support_calibration.json.

    .venv/bin/python eval/calibrate_support.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant import Settings
from assistant.answer.support import EmbeddingJudge
from assistant.corpus import load_papers
from assistant.index.embedding import load_embedder

HERE = Path(__file__).parent


def main() -> None:
    papers = {p.title: p for p in load_papers().papers}
    judge = EmbeddingJudge(load_embedder(Settings().embedder), corpus=(f"{p.title} {p.abstract}" for p in papers.values()))
    pairs = [json.loads(x) for x in (HERE / "support_pairs.jsonl").read_text().splitlines() if x.strip()]
    y = np.array([p["supported"] for p in pairs])
    s = np.array([judge.scores([p["sentence"]], papers[p["title"]])[0] for p in pairs])
    rows = []
    for t in np.round(np.arange(0.40, 0.86, 0.02), 2):
        pred = s >= t
        tp = int((pred & y).sum())
        prec = tp / max(int(pred.sum()), 1)
        rec = tp / int(y.sum())
        f05 = (1.25 * prec * rec / (0.25 * prec + rec)) if prec + rec else 0.0
        rows.append({"threshold": float(t), "precision": round(prec, 3), "recall": round(rec, 3), "f0.5": round(f05, 3)})
    best = max(rows, key=lambda r: (r["f0.5"], r["threshold"]))
    out = {"pairs": len(pairs), "supported": int(y.sum()), "best": best, "table": rows}
    (HERE / "reports").mkdir(exist_ok=True)
    (HERE / "reports" / "support_calibration.json").write_text(json.dumps(out, indent=2))
    print("threshold precision recall f0.5")
    for r in rows:
        print(f"{r['threshold']:.2f}      {r['precision']:.3f}     {r['recall']:.3f}  {r['f0.5']:.3f}")
    print(f"best: {best}  (current default: {Settings().answer.support_threshold})")


if __name__ == "__main__":
    main()
