"""Calibrate `answer.quote_threshold`: when may a draft that only restates the question be replaced
by a quote of the top paper's closest sentence?

For each eval question (topic ones aside) this takes the top retrieved paper and the cosine between
the question and that paper's closest sentence. The threshold is the 10th percentile over answerable
questions: nine in ten of them can be quoted, while the unanswerable ones' values are printed beside
it to show how many would pass. Retrieval only, no model.

    .venv/bin/python eval/calibrate_quote.py [eval/questions.jsonl]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.evaluate.questions import load_questions

OUT = Path(__file__).parent / "reports" / "quote_calibration.json"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "questions.jsonl")
    qs = [q for q in load_questions(path) if q.kind != "topic"]
    a = Assistant(Settings(), progress=False)
    sims: dict[str, list[float]] = {"answerable": [], "unanswerable": []}
    for q in qs:
        qvec = a.embedder.embed([q.question])[0]
        top = a.retriever.search(q.question, a.settings.retrieval.k, query_vec=qvec)[0]
        best = a.judge.best_sentences(qvec, top.paper, 1)
        sims["answerable" if q.gold else "unanswerable"].append(a.judge.relevance(best, qvec)[0])
    pick = round(float(np.percentile(sims["answerable"], 10)), 2)
    passing = sum(x >= pick for x in sims["unanswerable"])
    print(f"answerable: {len(sims['answerable'])}, 10th percentile {pick}; unanswerable at or above it: "
          f"{passing}/{len(sims['unanswerable'])}  (current default: {a.settings.answer.quote_threshold})")
    OUT.write_text(json.dumps({"questions": str(path), "pick": pick,
                               "similarities": {k: sorted(round(x, 4) for x in v) for k, v in sims.items()}}, indent=2))


if __name__ == "__main__":
    main()
