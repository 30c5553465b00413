"""Tune how dense and BM25 rankings are fused, on the dev half of the known-item set only.

eval/known_items.jsonl (231 lines: id, paper title, a query written from the paper by a helper
who saw only the corpus) is split by the number in its id: odd -> dev, even -> test. The grid
(fusion rule, weights, rrf k, score normalisation, name boost) is searched on dev; the chosen
setting and the defaults are then reported on both halves beside BM25 alone and dense alone,
all from the same retrieved candidates in one run.

    .venv/bin/python eval/tune_fusion.py [--candidates 50]

Writes eval/reports/fusion.{json,md}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

from assistant import Assistant, Settings
from assistant.config import RetrievalSettings
from assistant.retrieve import Retriever
from assistant.retrieve.fusion import Candidates, fuse

HERE = Path(__file__).parent
REPORTS = HERE / "reports"


def split(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """dev: odd id number (k001, k003, ...); test: even."""
    return {"dev": [r for r in rows if int(r["id"][1:]) % 2 == 1], "test": [r for r in rows if int(r["id"][1:]) % 2 == 0]}


def candidates(retr: Retriever, query: str, n: int) -> Candidates:
    dense = [(cid.rsplit("#", 1)[0], 1.0 - d) for cid, d in retr.store.query_ids(retr.embedder.embed([query])[0], n)]
    lexical = [(pid, score) for pid, _, _, score in retr.lexical(query, n)]
    return Candidates(dense=dense, lexical=lexical, named=retr.snapshot.name_matches(query))


def metrics(ranked: list[list[str]], gold: list[str]) -> dict[str, float]:
    hit1 = sum(r[:1] == [g] for r, g in zip(ranked, gold, strict=True)) / len(gold)
    mrr = sum(1 / (r.index(g) + 1) for r, g in zip(ranked, gold, strict=True) if g in r[:10]) / len(gold)
    return {"hit@1": round(hit1, 3), "mrr@10": round(mrr, 3)}


def grid() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    boosts = [0.0, 0.1, 0.2, 0.5, 1.0]
    for k, wl, names in itertools.product([1, 5, 10, 20, 60], [0.5, 1.0, 1.5, 2.0, 3.0], boosts):
        out.append({"fusion": "rrf", "rrf_k": k, "dense_weight": 1.0, "lexical_weight": wl, "name_boost": names})
    for wl, norm, names in itertools.product([0.3, 0.4, 0.5, 0.6, 0.7, 0.8], ["max", "minmax"], boosts):
        out.append({"fusion": "scores", "lexical_weight": wl, "dense_weight": round(1 - wl, 2), "score_norm": norm,
                    "name_boost": names})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=50)
    args = ap.parse_args()
    rows = [json.loads(x) for x in (HERE / "known_items.jsonl").read_text().splitlines() if x.strip()]
    halves = split(rows)
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(Settings(data_dir=Path(tmp)), progress=False)
        a.ingest()
        retr = a.retriever
        titles = {p.title: pid for pid, (p, _) in retr.papers.items()}
        cands = {h: [candidates(retr, r["query"], args.candidates) for r in rs] for h, rs in halves.items()}
    gold = {h: [titles[r["paper"]] for r in rs] for h, rs in halves.items()}

    def score(h: str, **kw: Any) -> dict[str, float]:
        s = RetrievalSettings(**{k: v for k, v in kw.items()})
        return metrics([fuse(c, s) for c in cands[h]], gold[h])

    dev = sorted(((score("dev", **g), g) for g in grid()),
                 key=lambda mg: (-mg[0]["hit@1"], -mg[0]["mrr@10"], -mg[1]["name_boost"],
                                 json.dumps(mg[1], sort_keys=True)))
    best = dev[0][1]
    systems = {"BM25 alone": {"dense_weight": 0.0, "name_boost": 0.0},
               "dense alone": {"lexical_weight": 0.0, "name_boost": 0.0},
               "hybrid, before (rrf k=60, 1:1, names)": {"fusion": "rrf", "rrf_k": 60, "dense_weight": 1.0,
                                                         "lexical_weight": 1.0, "name_boost": 1.0},
               "hybrid, tuned on dev": best,
               "hybrid, as configured (settings defaults)": {}}
    table = {name: {h: score(h, **kw) for h in halves} for name, kw in systems.items()}
    report = {"split": "dev: odd id number, test: even", "vector_settings": Settings().vector_settings(),
              "sizes": {h: len(r) for h, r in halves.items()},
              "candidates": args.candidates, "chosen": best, "table": table,
              "dev_top10": [{"setting": g, **m} for m, g in dev[:10]]}
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "fusion.json").write_text(json.dumps(report, indent=2))
    md = [f"Known items (eval/known_items.jsonl), split {report['split']} ({report['sizes']['dev']} dev, "
          f"{report['sizes']['test']} test); tuned on dev only; {args.candidates} chunks from each retriever; "
          f"index settings {json.dumps(report['vector_settings'], sort_keys=True)}.", "",
          "| system | dev hit@1 | dev MRR@10 | test hit@1 | test MRR@10 |", "|---|---|---|---|---|"]
    for name, m in table.items():
        md.append(f"| {name} | {m['dev']['hit@1']} | {m['dev']['mrr@10']} | {m['test']['hit@1']} | {m['test']['mrr@10']} |")
    tuned, bm25, dense = table["hybrid, tuned on dev"], table["BM25 alone"], table["dense alone"]
    md += [""] + [f"{h}: hybrid hit@1 / BM25 hit@1 = {tuned[h]['hit@1'] / bm25[h]['hit@1']:.3f}, "
                  f"hybrid / dense = {tuned[h]['hit@1'] / dense[h]['hit@1']:.3f}" for h in halves]
    md += ["", f"Chosen on dev: `{json.dumps(best, sort_keys=True)}` (ties broken towards the larger name boost, "
           "then the setting's text).", "",
           "History, for honesty: a first grid had the name boost only on (names first) or off; it chose off "
           "(dev hit@1 0.991) and scored 0.991 on test. The grid was then widened to graded boosts, so that "
           "name lookups such as 'What is CaSED?' keep their paper first, and the choice was again made on dev "
           "alone. The test half has therefore been looked at twice, never tuned on.", "",
           "Dev top 10 of the grid:", ""]
    md += [f"- {m['hit@1']} / {m['mrr@10']}: `{json.dumps(g, sort_keys=True)}`" for m, g in dev[:10]]
    (REPORTS / "fusion.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
