"""Retrieval benchmark: ingest throughput and search latency, each beside a baseline run in the same process.

Collections: the bundled 231 papers and N synthetic abstracts (default 100,000).
Baselines: the plain sentence-transformers encode of the same texts (ingest), and exact
numpy cosine search over the same vectors (search). Results go to eval/reports/bench_retrieval.{json,md}.

    .venv/bin/python eval/bench_retrieval.py [--synthetic 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.corpus import load_papers
from assistant.evaluate.metrics import percentile
from assistant.index.chunking import chunk_paper, embedding_text
from assistant.index.embedding import load_embedder
from assistant.index.ingest import ingest
from assistant.types import Paper

REPORTS = Path(__file__).parent / "reports"
TOPICS = ["sparse autoencoders", "state space models", "vision transformers", "zero-shot learning", "feature selection",
          "contrastive learning", "retrieval augmentation", "graph neural networks", "AutoML", "word embeddings",
          "diffusion models", "reinforcement learning", "speech recognition", "protein folding", "code generation"]
VERBS = ["improves", "analyses", "scales", "simplifies", "regularises", "compresses", "interprets", "accelerates"]
OBJECTS = ["attention maps", "latent spaces", "training curricula", "benchmark suites", "token budgets",
           "retrieval indexes", "loss landscapes", "evaluation protocols", "data pipelines", "prompt templates"]


def synthetic(n: int, seed: int = 0) -> list[Paper]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t, v, o, o2 = rng.choice(TOPICS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(OBJECTS)
        abstract = (f"We study {t} and propose a method that {v} {o} for {t}. "
                    f"Experiments on {rng.randint(2, 40)} datasets show it {v} {o2} by {rng.randint(1, 30)}%. "
                    f"Variant {i} uses {rng.randint(1, 64)} layers.")
        out.append(Paper(paper_id=f"syn{i}", title=f"{t.title()} that {v} {o} ({i})", abstract=abstract))
    return out


def bench(papers: list[Paper], name: str, queries: list[str], baseline_sample: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(data_dir=Path(tmp))
        emb = load_embedder(s.embedder)
        emb.embed(["warm up"])
        a = Assistant(s, embedder=emb, progress=False)
        t = time.perf_counter()
        report = ingest(papers, s, store=a.store, embedder=emb, batch_papers=256, progress=True)
        ingest_s = time.perf_counter() - t
        # baseline: the plain encode of the same texts (a sample of them for big collections)
        sample = papers[:baseline_sample]
        texts = [embedding_text(c) for p in sample for c in chunk_paper(p, s.chunking)]
        t = time.perf_counter()
        emb.model.encode(texts, batch_size=s.embedder.batch_size)
        encode_s = time.perf_counter() - t
        retr = a.retriever
        ours = []
        for q in queries:
            t = time.perf_counter()
            retr.search(q, 10)
            ours.append((time.perf_counter() - t) * 1000)
        # baseline: exact cosine over the same stored vectors
        ids = [c.chunk_id for c in retr.chunks]
        mat = np.concatenate([np.stack(list(a.store.vectors(ids[i:i + 5000]).values())) for i in range(0, len(ids), 5000)])
        exact = []
        for q in queries:
            t = time.perf_counter()
            qv = emb.embed([q])[0]
            np.argsort(-(mat @ qv))[:50]
            exact.append((time.perf_counter() - t) * 1000)
        ours_rate = len(papers) / ingest_s
        base_rate = len(sample) / encode_s
        return {
            "collection": name, "papers": len(papers), "chunks": report.embedded_chunks,
            "ingest_papers_per_s": round(ours_rate, 1), "encode_only_papers_per_s": round(base_rate, 1),
            "ingest_vs_encode": round(ours_rate / base_rate, 3),
            "search_p50_ms": round(percentile(ours, 50) or 0, 2), "search_p95_ms": round(percentile(ours, 95) or 0, 2),
            "exact_p50_ms": round(percentile(exact, 50) or 0, 2), "exact_p95_ms": round(percentile(exact, 95) or 0, 2),
            "search_vs_exact_p50": round((percentile(ours, 50) or 0) / (percentile(exact, 50) or 1), 2),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline-sample", type=int, default=5000)
    args = ap.parse_args()
    questions = [json.loads(x)["question"] for x in (Path(__file__).parent / "questions.jsonl").read_text().splitlines()]
    queries = (questions * (args.queries // len(questions) + 1))[: args.queries]
    rows = [bench(load_papers().papers, "bundled", queries, args.baseline_sample)]
    if args.synthetic:
        rows.append(bench(synthetic(args.synthetic), f"synthetic-{args.synthetic}", queries, args.baseline_sample))
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_retrieval.json").write_text(json.dumps(rows, indent=2))
    keys = list(rows[0])
    md = "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n"
    md += "".join("| " + " | ".join(str(r[k]) for k in keys) + " |\n" for r in rows)
    (REPORTS / "bench_retrieval.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
