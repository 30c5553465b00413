"""Calibrate the summary's relevance bar (`summary.min_similarity`, `summary.margin`) on the dev topics only.

For each dev topic the summary's own selection (retrieval, then each paper's topic similarity:
the mean of its two sentences closest to the topic) runs for a grid of (floor, margin); no
model. The pick: the highest recall of gold papers among the chosen ones (capped at
`summary.max_papers`) while at least 95% of the chosen papers are gold; ties go to the
higher floor. The test topics are never read here.

    .venv/bin/python eval/calibrate_summary.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from topics import load_topics  # eval/topics.py (this script's folder is on sys.path)

from assistant import Assistant, Settings
from assistant.answer.summarize import topic_similarity

OUT = Path(__file__).parent / "reports" / "summary_calibration.json"
FLOORS = [round(x, 2) for x in np.arange(0.30, 0.62, 0.02)]
MARGINS = [round(x, 2) for x in np.arange(0.04, 0.42, 0.02)]


def main() -> None:
    a = Assistant(Settings(), progress=False)
    s = a.settings.summary
    scored = []
    for t in load_topics("dev"):
        qvec = a.embedder.embed([t["topic"]])[0]
        hits = a.retriever.search(t["topic"], s.pool, query_vec=qvec)
        scored.append((t, sorted(((topic_similarity(a.judge, h.paper, qvec), h.paper.title) for h in hits),
                                 reverse=True)))
    table = []
    for floor in FLOORS:
        for margin in MARGINS:
            found = chosen_n = gold_n = 0
            for t, ranked in scored:
                best = ranked[0][0] if ranked else 0.0
                chosen = [title for sim, title in ranked if sim >= max(floor, best - margin)][: s.max_papers]
                found += sum(title in t["gold"] for title in chosen)
                chosen_n += len(chosen)
                gold_n += len(t["gold"])
            table.append({"floor": floor, "margin": margin, "recall": found / gold_n,
                          "precision": found / chosen_n if chosen_n else 1.0, "chosen": chosen_n})
    ok = [r for r in table if r["precision"] >= 0.95]
    pick = max(ok, key=lambda r: (r["recall"], r["floor"], -r["margin"]))
    print(f"dev topics: {len(scored)}; pick floor {pick['floor']} margin {pick['margin']}: "
          f"recall {pick['recall']:.2f}, precision {pick['precision']:.2f} "
          f"(settings now: {s.min_similarity} / {s.margin})")
    OUT.write_text(json.dumps({"pick": pick, "table": table}, indent=1))


if __name__ == "__main__":
    main()
