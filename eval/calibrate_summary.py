"""Calibrate the summary's relevance bar (`summary.min_similarity`, `summary.lift`, `summary.lexical_weight`)
on the dev topics only.

For each dev topic (those the collection lacks included) the summary's own selection runs for a
grid of (floor, lift, lexical weight), no model: retrieval, then each paper's topic similarity
(the mean of its two sentences closest to the topic) and its relevance (similarity plus the weight
times its BM25 share), then `summarize.on_topic`. The pick: the best F1 of the chosen papers (capped
at `summary.max_papers`) against the gold ones, pooled over the topics, among the settings under
which no absent topic chooses a paper; ties go to the larger lift, then the smaller weight, and
the floor is the middle of the floors that give that same choice. F1, because the issue asks for
both (recall of the topic's papers and no off-topic one), and on the 16 broader dev topics added
later no setting keeps 95% precision at a recall above 0.33. A threshold-free
check comes with it: the AUC of each relevance score over every retrieved (topic, paper) pair of
the topics the collection has, gold against not (the floor, not the ranking, keeps absent ones
out). The rule the lift replaced (papers within a margin of the best paper's relevance) is fitted the same
way and reported beside it. The test topics are never read here.

    .venv/bin/python eval/calibrate_summary.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from topics import load_topics  # eval/topics.py (this script's folder is on sys.path)

from assistant import Assistant, Settings
from assistant.answer.summarize import lexical_share, on_topic, topic_similarity

OUT = Path(__file__).parent / "reports" / "summary_calibration.json"
FLOORS = [round(x, 2) for x in np.arange(0.40, 0.66, 0.01)]
LIFTS = [round(x, 2) for x in np.arange(0.05, 0.51, 0.01)]
MARGINS = [round(x, 2) for x in np.arange(0.04, 0.42, 0.02)]
WEIGHTS = [0.0, 0.1, 0.2, 0.3, 0.4]


def auc(pairs: list[tuple[float, bool]]) -> float:
    """P(a gold paper outscores a paper not in gold), ties counted half."""
    pos = [s for s, g in pairs if g]
    neg = [s for s, g in pairs if not g]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / max(1, len(pos) * len(neg))


def main() -> None:
    a = Assistant(Settings(), progress=False)
    s = a.settings.summary
    scored = []  # per topic: (topic, [(similarity, BM25 share, title)])
    for t in load_topics("dev"):
        qvec = a.embedder.embed([t["topic"]])[0]
        hits = a.retriever.search(t["topic"], s.pool, query_vec=qvec)
        bm25 = lexical_share(t["topic"], a.retriever)
        scored.append((t, [(topic_similarity(a.judge, h.paper, qvec), bm25.get(h.paper.paper_id, 0.0), h.paper.title)
                           for h in hits]))
    lift = fit(scored, "lift", LIFTS, lambda sc, floor, x: on_topic(sc, min_similarity=floor, lift=x), s.max_papers,
               stricter=1)  # a larger lift picks fewer papers
    margin = fit(scored, "margin", MARGINS, near_best, s.max_papers, stricter=-1)  # a smaller margin does
    pick = lift["pick"]
    pairs = [(sim, bm, title in t["gold"]) for t, papers in scored if t["gold"] for sim, bm, title in papers]
    aucs = {f"weight {w}": round(auc([(sim + w * bm, g) for sim, bm, g in pairs]), 3) for w in WEIGHTS}
    for name, fitted in (("lift", lift), ("margin (replaced)", margin)):
        p = fitted["pick"]
        print(f"dev topics: {len(scored)}; {name}: weight {p['weight']} floor {p['floor']} bar {p['bar']}: "
              f"recall {p['recall']:.3f}, precision {p['precision']:.3f}, F1 {p['f1']:.3f}, chosen {p['chosen']}, "
              f"absent topics choosing {p['absent_topics_choosing']}")
    print(f"settings now: weight {s.lexical_weight}, floor {s.min_similarity}, lift {s.lift}; AUC of the relevance "
          f"over retrieved papers: {aucs}")
    OUT.write_text(json.dumps({"pick": pick, "auc": aucs, "best_per_weight": lift["best_per_weight"],
                               "margin_rule_replaced": margin,
                               "grid": {"weights": WEIGHTS, "floors": FLOORS, "lifts": LIFTS, "margins": MARGINS}},
                              indent=1) + "\n")


def near_best(scores: list[tuple[float, float]], floor: float, margin: float) -> list[int]:
    """The rule `lift` replaced: every paper within `margin` of the best paper's relevance."""
    if max(sim for sim, _ in scores) < floor:
        return []
    best = max(rel for _, rel in scores)
    return [i for i, (_, rel) in enumerate(scores) if rel >= best - margin]


def fit(scored: list[Any], name: str, bars: list[float], rule: Callable[..., list[int]], cap: int, *,
        stricter: int) -> dict[str, Any]:
    """The (weight, floor, bar) with the best F1 of the chosen papers against gold, pooled over the dev topics,
    among those under which no absent topic chooses a paper; ties go to the stricter bar (`stricter`: +1 when a
    larger bar picks fewer papers, -1 when a smaller one does), then the smaller weight."""
    table = []
    for weight in WEIGHTS:
        for floor in FLOORS:
            for bar in bars:
                found = chosen_n = gold_n = absent = 0
                for t, papers in scored:
                    ranked = sorted(((sim + weight * bm, sim, title) for sim, bm, title in papers), reverse=True)
                    chosen = [ranked[i][2] for i in rule([(sim, rel) for rel, sim, _ in ranked], floor, bar)][:cap]
                    found += sum(title in t["gold"] for title in chosen)
                    chosen_n += len(chosen)
                    gold_n += len(t["gold"])
                    absent += not t["gold"] and bool(chosen)
                p, rc = (found / chosen_n if chosen_n else 1.0), found / gold_n
                table.append({"weight": weight, "floor": floor, "bar": bar, "recall": rc, "precision": p,
                              "chosen": chosen_n, "absent_topics_choosing": absent,
                              "f1": round(2 * p * rc / (p + rc), 4) if p + rc else 0.0})
    ok = [r for r in table if not r["absent_topics_choosing"]]
    pick = dict(max(ok, key=lambda r: (r["f1"], stricter * r["bar"], -r["weight"])))
    same = [r["floor"] for r in ok if (r["weight"], r["bar"], r["recall"], r["chosen"])
            == (pick["weight"], pick["bar"], pick["recall"], pick["chosen"])]
    pick["floor"] = round((min(same) + max(same)) / 2, 3)  # the middle of the floors giving this same choice
    pick["floors_giving_it"] = [min(same), max(same)]
    best_per_weight = {f"weight {w}": max((r for r in ok if r["weight"] == w),
                                          key=lambda r: (r["f1"], stricter * r["bar"])) for w in WEIGHTS}
    return {"rule": name, "pick": pick, "best_per_weight": best_per_weight}


if __name__ == "__main__":
    main()
