"""Calibrate the retrieval-score refusal bar from an eval run's results.jsonl.

A question whose best dense similarity is below `answer.refuse_below` is refused before the
model runs. This prints, per candidate bar, how many unanswerable questions it would refuse
and how many answerable ones it would wrongly refuse, and the highest bar that refuses no
answerable question of the set.

    .venv/bin/python eval/calibrate_refusal.py eval/reports/eval-default/results.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "eval/reports/eval-default/results.jsonl")
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    rows = [r for r in rows if "best_similarity" in r and r.get("kind") != "topic"]
    ans = sorted(r["best_similarity"] for r in rows if r.get("gold"))
    una = sorted(r["best_similarity"] for r in rows if not r.get("gold"))
    print(f"answerable: {len(ans)}, min similarity {ans[0]:.3f}; unanswerable: {len(una)}, "
          f"similarities {[round(x, 2) for x in una]}")
    print("bar   refuses-unanswerable  refuses-answerable")
    for bar in [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]:
        print(f"{bar:.2f}  {sum(x < bar for x in una):>3}/{len(una)}                {sum(x < bar for x in ans):>3}/{len(ans)}")
    safe = max((b / 100 for b in range(10, 80) if all(x >= b / 100 for x in ans)), default=0.1)
    print(f"highest bar with no answerable question refused: {safe:.2f}")


if __name__ == "__main__":
    main()
