"""Tune how dense and BM25 rankings are fused, on the dev halves of the known-item sets only.

Two sets, one query per bundled paper, each written by a helper who saw only the corpus:
eval/known_items.jsonl (a claim paraphrased without the title's words) and
eval/known_items_vague.jsonl (a short, plain-worded half-memory of the paper). Each is split by
the number in its id: odd -> dev, even -> test. The grid (fusion rule, weights, rrf k, score
normalisation, name boost) is searched on the two dev halves pooled; the chosen setting and the
defaults are then reported on every half beside BM25 alone and dense alone, all from the same
retrieved candidates in one run.

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
    return Candidates(dense=dense, lexical=lexical, named=retr.name_matches(query))


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


SETS = {"paraphrase": "known_items.jsonl", "vague": "known_items_vague.jsonl"}
HALVES = [f"{name} {half}" for name in SETS for half in ("dev", "test")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=50)
    args = ap.parse_args()
    halves: dict[str, list[dict[str, Any]]] = {}
    for name, file in SETS.items():
        rows = [json.loads(x) for x in (HERE / file).read_text().splitlines() if x.strip()]
        halves |= {f"{name} {h}": rs for h, rs in split(rows).items()}
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(Settings(data_dir=Path(tmp)), progress=False)
        a.ingest()
        retr = a.retriever
        titles = {p.title: pid for pid, (p, _) in retr.papers.items()}
        cands = {h: [candidates(retr, r["query"], args.candidates) for r in rs] for h, rs in halves.items()}
    gold = {h: [titles[r["paper"]] for r in rs] for h, rs in halves.items()}
    for half in ("dev", "test"):  # both sets' halves pooled
        pooled = [f"{name} {half}" for name in SETS]
        cands[half] = [c for h in pooled for c in cands[h]]
        gold[half] = [g for h in pooled for g in gold[h]]
    order = HALVES + ["dev", "test"]

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
               "hybrid, tuned on the dev halves": best,
               "hybrid, as configured (settings defaults)": {}}
    table = {name: {h: score(h, **kw) for h in order} for name, kw in systems.items()}
    report = {"split": "dev: odd id number, test: even, in each set", "sets": SETS,
              "vector_settings": Settings().vector_settings(), "sizes": {h: len(gold[h]) for h in order},
              "candidates": args.candidates, "chosen": best, "table": table,
              "dev_top10": [{"setting": g, **m} for m, g in dev[:10]]}
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "fusion.json").write_text(json.dumps(report, indent=2))
    sizes = ", ".join(f"{h} {n}" for h, n in report["sizes"].items())
    md = ["Known items, two sets written by helpers who saw only the corpus, one query per bundled paper: "
          "`paraphrase` (eval/known_items.jsonl: a claim of the paper paraphrased without its title words) and "
          "`vague` (eval/known_items_vague.jsonl: 6-14 plain words, as a reader half-remembering the paper, no "
          "title words, names, datasets or numbers). Each split by its id number (odd: dev, even: test). The "
          f"grid is searched on the two dev halves pooled; test halves are never tuned on. Sizes: {sizes}. "
          f"{args.candidates} chunks from each retriever; index settings "
          f"{json.dumps(report['vector_settings'], sort_keys=True)}.", "",
          "hit@1 (MRR@10):", "",
          "| system | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]
    for name, m in table.items():
        md.append(f"| {name} | " + " | ".join(f"{m[h]['hit@1']} ({m[h]['mrr@10']})" for h in order) + " |")
    tuned, bm25, dense = table["hybrid, tuned on the dev halves"], table["BM25 alone"], table["dense alone"]
    md += [""] + [f"- {h}: hybrid hit@1 / BM25 = {tuned[h]['hit@1'] / bm25[h]['hit@1']:.3f}, "
                  f"hybrid / dense = {tuned[h]['hit@1'] / dense[h]['hit@1']:.3f}" for h in order]
    conf = table["hybrid, as configured (settings defaults)"]
    md += ["", f"Chosen on the dev halves: `{json.dumps(best, sort_keys=True)}` (ties broken towards the larger "
           "name boost, then the setting's text).", "",
           f"The settings defaults (`{json.dumps(RetrievalSettings().model_dump(include=set(best)), sort_keys=True)}`) "
           f"were chosen on the paraphrase dev half alone. On the pooled dev halves they score {conf['dev']['hit@1']} "
           f"against the grid's best {tuned['dev']['hit@1']}; on the pooled test halves {conf['test']['hit@1']} "
           f"against {tuned['test']['hit@1']}, and BM25 alone {bm25['test']['hit@1']}.", "",
           "History, for honesty: the paraphrase set came first. A first grid had the name boost only on or off "
           "and chose off (dev hit@1 0.991; test 0.991); the grid was then widened to graded boosts, chosen on "
           "dev alone. BM25 alone scored 1.0 on its test half, so no fusion could beat it there; the vague set "
           "was written after that, as the harder lookup users make, and the grid re-chosen on both dev halves. "
           "The paraphrase test half has been looked at three times, never tuned on.", "",
           "Dev top 10 of the grid (pooled dev halves):", ""]
    md += [f"- {m['hit@1']} / {m['mrr@10']}: `{json.dumps(g, sort_keys=True)}`" for m, g in dev[:10]]
    (REPORTS / "fusion.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
