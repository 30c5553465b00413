"""Retrieval and scale benchmark, each figure beside a baseline measured in the same run.

1. The bundled collection (embedded Chroma): ingest papers/s beside the plain
   sentence-transformers encode of the same texts; retriever start-up (the BM25 snapshot
   memory-mapped) beside the snapshot's build; hybrid search p50/p95 beside exact numpy
   cosine search over the same vectors.
2. Synthetic abstracts ingested into a real `chroma run` server at growing sizes (default
   10k then 100k, incrementally: each step embeds only the new papers): ingest rate of each
   step beside the plain encode of a sample of the same texts, search p50/p95 beside exact
   search, the server's and this process's resident memory. Sizes not run (1M) are
   extrapolated from the measured curve and labelled as such.

    .venv/bin/python eval/bench_retrieval.py [--sizes 10000,100000] [--queries 200]

Writes eval/reports/bench_retrieval.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from assistant import Assistant, Settings
from assistant.corpus import load_papers
from assistant.evaluate.metrics import percentile
from assistant.index.chunking import chunk_paper, embedding_text
from assistant.index.embedding import Embedder, load_embedder
from assistant.index.ingest import ingest
from assistant.retrieve import Retriever
from assistant.types import Paper

REPORTS = Path(__file__).parent / "reports"
TOPICS = ["sparse autoencoders", "state space models", "vision transformers", "zero-shot learning", "feature selection",
          "contrastive learning", "retrieval augmentation", "graph neural networks", "AutoML", "word embeddings",
          "diffusion models", "reinforcement learning", "speech recognition", "protein folding", "code generation"]
VERBS = ["improves", "analyses", "scales", "simplifies", "regularises", "compresses", "interprets", "accelerates"]
OBJECTS = ["attention maps", "latent spaces", "training curricula", "benchmark suites", "token budgets",
           "retrieval indexes", "loss landscapes", "evaluation protocols", "data pipelines", "prompt templates"]


def synthetic(start: int, stop: int, seed: int = 0) -> list[Paper]:
    out = []
    for i in range(start, stop):
        rng = random.Random(seed * 1_000_003 + i)
        t, v, o, o2 = rng.choice(TOPICS), rng.choice(VERBS), rng.choice(OBJECTS), rng.choice(OBJECTS)
        abstract = (f"We study {t} and propose a method that {v} {o} for {t}. "
                    f"Experiments on {rng.randint(2, 40)} datasets show it {v} {o2} by {rng.randint(1, 30)}%. "
                    f"Variant {i} uses {rng.randint(1, 64)} layers.")
        out.append(Paper(paper_id=f"syn{i}", title=f"{t.title()} that {v} {o} ({i})", abstract=abstract))
    return out


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def encode_rate(emb: Embedder, papers: list[Paper], s: Settings) -> float:
    texts = [embedding_text(c) for p in papers for c in chunk_paper(p, s.chunking)]
    t = time.perf_counter()
    emb.model.encode(texts, batch_size=s.embedder.batch_size)  # type: ignore[attr-defined]
    return len(papers) / (time.perf_counter() - t)


def search_latency(a: Assistant, emb: Embedder, queries: list[str]) -> dict[str, float]:
    t = time.perf_counter()
    Retriever(a.store, emb, a.settings.retrieval)  # the first open after an ingest builds the BM25 snapshot
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    retr = Retriever(a.store, emb, a.settings.retrieval, rebuild=False)  # every later start: memory-mapped
    load_s = time.perf_counter() - t
    ours = []
    for q in queries:
        t = time.perf_counter()
        retr.search(q, 10)
        ours.append((time.perf_counter() - t) * 1000)
    ids = [c.chunk_id for c in a.store.all_chunks()]
    parts = [a.store.vectors(ids[i:i + 5000]) for i in range(0, len(ids), 5000)]
    mat = np.stack([v for part in parts for v in part.values()])
    exact = []
    for q in queries:
        t = time.perf_counter()
        qv = emb.embed([q])[0]
        np.argpartition(-(mat @ qv), 50)[:50]
        exact.append((time.perf_counter() - t) * 1000)
    return {"snapshot_build_s": round(build_s, 2), "retriever_load_s": round(load_s, 2),
            "load_vs_build": round(load_s / build_s, 3),
            "search_p50_ms": round(percentile(ours, 50) or 0, 2), "search_p95_ms": round(percentile(ours, 95) or 0, 2),
            "exact_p50_ms": round(percentile(exact, 50) or 0, 2), "exact_p95_ms": round(percentile(exact, 95) or 0, 2)}


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("chroma run did not start")


def bundled(emb: Embedder, queries: list[str], tmp: Path) -> dict[str, Any]:
    s = Settings(data_dir=tmp / "bundled")
    a = Assistant(s, embedder=emb, progress=False)
    papers = load_papers().papers
    t = time.perf_counter()
    ingest(papers, s, store=a.store, embedder=emb, progress=False)
    rate = len(papers) / (time.perf_counter() - t)
    base = encode_rate(emb, papers, s)
    return {"collection": "bundled (embedded store)", "papers": len(papers), "ingest_papers_per_s": round(rate, 1),
            "encode_only_papers_per_s": round(base, 1), "ingest_vs_encode": round(rate / base, 3),
            **search_latency(a, emb, queries), "server_rss_mb": None, "client_rss_mb": round(rss_mb(), 0)}


def scale(emb: Embedder, queries: list[str], sizes: list[int], tmp: Path, sample: int) -> list[dict[str, Any]]:
    proc, url = start_server(tmp / "server-db")
    rows = []
    try:
        s = Settings(data_dir=tmp / "scale", store={"chroma_url": url})
        a = Assistant(s, embedder=emb, progress=False)
        done = 0
        for size in sizes:
            new = synthetic(done, size)
            t = time.perf_counter()
            ingest(synthetic(0, size), s, store=a.store, embedder=emb, batch_papers=512, progress=True)
            rate = len(new) / (time.perf_counter() - t)
            base = encode_rate(emb, new[:sample], s)
            done = size
            rows.append({"collection": f"synthetic {size:,} (chroma server)", "papers": size,
                         "ingest_papers_per_s": round(rate, 1), "encode_only_papers_per_s": round(base, 1),
                         "ingest_vs_encode": round(rate / base, 3), **search_latency(a, emb, queries),
                         "server_rss_mb": round(rss_mb(proc.pid), 0), "client_rss_mb": round(rss_mb(), 0)})
            print(json.dumps(rows[-1]), flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    return rows


def extrapolate(rows: list[dict[str, Any]], target: int) -> dict[str, Any]:
    """Power-law fit (log-log) through the measured sizes; ingest rate held at the last step's."""
    if len(rows) < 2:
        return {}
    x = np.log([r["papers"] for r in rows])

    def fit(key: str) -> float:
        y = np.log([max(r[key], 1e-6) for r in rows])
        slope, icept = np.polyfit(x, y, 1)
        return float(math.exp(icept + slope * math.log(target)))

    return {"collection": f"synthetic {target:,} (EXTRAPOLATED, not run)", "papers": target,
            "ingest_papers_per_s": rows[-1]["ingest_papers_per_s"], "encode_only_papers_per_s": None,
            "ingest_vs_encode": None, "snapshot_build_s": round(fit("snapshot_build_s"), 1),
            "retriever_load_s": round(fit("retriever_load_s"), 1), "load_vs_build": None,
            "search_p50_ms": round(fit("search_p50_ms"), 1), "search_p95_ms": round(fit("search_p95_ms"), 1),
            "exact_p50_ms": round(fit("exact_p50_ms"), 1), "exact_p95_ms": round(fit("exact_p95_ms"), 1),
            "server_rss_mb": round(fit("server_rss_mb"), 0), "client_rss_mb": round(fit("client_rss_mb"), 0),
            "ingest_hours": round(target / rows[-1]["ingest_papers_per_s"] / 3600, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000", help="Synthetic sizes, grown incrementally; empty for none.")
    ap.add_argument("--extrapolate", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline-sample", type=int, default=2000)
    args = ap.parse_args()
    questions = [json.loads(x)["question"] for x in (Path(__file__).parent / "questions.jsonl").read_text().splitlines()]
    queries = (questions * (args.queries // len(questions) + 1))[: args.queries]
    emb = load_embedder(Settings().embedder)
    emb.embed(["warm up"])
    sizes = [int(x) for x in args.sizes.split(",") if x]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bundled(emb, queries, Path(tmp))]
        scaled = scale(emb, queries, sizes, Path(tmp), args.baseline_sample) if sizes else []
    rows += scaled
    if scaled and args.extrapolate > sizes[-1]:
        rows.append(extrapolate(scaled, args.extrapolate))
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_retrieval.json").write_text(json.dumps(rows, indent=2))
    keys = list(rows[0])
    md = "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n"
    md += "".join("| " + " | ".join("–" if r.get(k) is None else str(r.get(k)) for k in keys) + " |\n" for r in rows)
    (REPORTS / "bench_retrieval.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
