"""Calibrate `answer.source_margin`: which retrieved papers are worth giving to the model.

For every answerable eval question this retrieves the top k papers and counts, per margin,
how many gold papers and how many other papers lie within the margin of the best paper's
dense similarity. Retrieval only, no model. Picks the smallest margin that keeps at least
90% of the gold papers of every question kind.

    .venv/bin/python eval/calibrate_sources.py [eval/questions.jsonl]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant import Assistant, Settings
from assistant.answer.evidence import relevant
from assistant.evaluate.questions import load_questions

OUT = Path(__file__).parent / "reports" / "sources_calibration.json"
MARGINS = [0.05, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25, 0.30]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "questions.jsonl")
    qs = [q for q in load_questions(path) if q.gold]
    a = Assistant(Settings(), progress=False)
    hits = {q.id: a.retriever.search(q.question, a.settings.retrieval.k) for q in qs}
    table = []
    for m in MARGINS:
        row: dict[str, object] = {"margin": m}
        for kind in sorted({q.kind for q in qs}):
            gold = kept_gold = other = kept_other = 0
            for q in (q for q in qs if q.kind == kind):
                kept = {h.paper.title for h in relevant(hits[q.id], m)}
                for h in hits[q.id]:
                    is_gold = h.paper.title in q.gold
                    gold, other = gold + is_gold, other + (not is_gold)
                    kept_gold += is_gold and h.paper.title in kept
                    kept_other += (not is_gold) and h.paper.title in kept
            row[kind] = {"gold_kept": kept_gold, "gold": gold, "other_kept": kept_other, "other": other}
        table.append(row)
    kinds = sorted({q.kind for q in qs})
    print("margin  " + "  ".join(f"{k}: gold kept / others kept" for k in kinds))
    for row in table:
        cells = [row[k] for k in kinds]
        print(f"{row['margin']:.2f}    " + "    ".join(f"{c['gold_kept']}/{c['gold']} / {c['other_kept']}/{c['other']}"  # type: ignore[index]
                                                 for c in cells))
    pick = next((r["margin"] for r in table
                 if all(r[k]["gold_kept"] >= 0.9 * r[k]["gold"] for k in kinds)), None)  # type: ignore[index]
    print(f"smallest margin keeping >= 90% of gold papers in every kind: {pick}"
          f"  (current default: {a.settings.answer.source_margin})")
    OUT.write_text(json.dumps({"questions": str(path), "table": table, "pick": pick}, indent=2))


if __name__ == "__main__":
    main()
