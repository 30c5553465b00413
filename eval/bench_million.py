"""A real million: 1M papers in a `chroma run` server, then start-up, hybrid search and memory measured.

What is real and what is synthetic (the report says it again):
- real: the Chroma server and its HNSW index, the store's records and commit markers (written
  through `Store.write`, as an ingest writes them), the BM25 snapshot, the retriever, the
  MiniLM query embeddings, and the 231 bundled papers (embedded for real) inside the million;
- synthetic texts: each other paper's abstract is 3-6 sentences drawn from different real
  abstracts of the bundled collection (1,776 sentences), its title two halves of real titles;
- synthetic vectors: MiniLM is not run on the synthetic papers (hours on 2 cores). Each one's
  vector is the mean of the real MiniLM vectors of its title and sentences plus Gaussian noise
  (sigma 0.02 per dimension), normalised: a perturbed real vector, not an embedding of its text.

    .venv/bin/python eval/bench_million.py build [--n 1000000] [--dir /work/million]   # resumable
    .venv/bin/python eval/bench_million.py measure [--dir /work/million] [--queries 200]

`build` takes /tmp/cpu.lock around each batch (the machine is shared); `measure` writes
eval/reports/bench_million.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
from cpulock import cpu_lock  # eval/cpulock.py

from assistant import Settings
from assistant.corpus import load_papers
from assistant.index.chunking import chunk_paper, embedding_text, split_sentences
from assistant.index.embedding import load_embedder
from assistant.index.ingest import paper_hash
from assistant.index.store import Store
from assistant.types import Paper

REPORTS = Path(__file__).parent / "reports"
SIGMA = 0.02
BATCH = 1000


def settings(root: Path, url: str) -> Settings:
    """The settings the collection was built with, saved at its first build: later default changes (chunking)
    would otherwise name another, empty index."""
    saved = root / "vector_settings.json"
    if not saved.exists():
        saved.write_text(json.dumps(Settings().vector_settings()))
    vs = json.loads(saved.read_text())
    return Settings(data_dir=root / "data", store={"chroma_url": url}, chunking=vs["chunking"],
                    embedder={"name": vs["embedder"]})


class Generator:
    """Deterministic synthetic papers (paper i depends only on i) and their perturbed real vectors."""

    def __init__(self, papers: list[Paper], cache: Path) -> None:
        self.sentences = [(i, s) for i, p in enumerate(papers) for s in split_sentences(p.abstract)]
        self.titles = [p.title for p in papers]
        texts = [s for _, s in self.sentences] + self.titles
        if cache.exists():
            vecs = np.load(cache)
        else:
            with cpu_lock("/tmp/cpu.lock"):
                vecs = load_embedder(Settings().embedder).embed(texts)
            np.save(cache, vecs)
        self.sent_vecs, self.title_vecs = vecs[: len(self.sentences)], vecs[len(self.sentences):]

    def paper(self, i: int) -> tuple[Paper, list[int], tuple[int, int]]:
        rng = random.Random(i)
        a, b = rng.sample(range(len(self.titles)), 2)
        ta, tb = self.titles[a].split(), self.titles[b].split()
        title = " ".join(ta[: max(1, len(ta) // 2)] + tb[len(tb) // 2:])
        picked: list[int] = []
        sources: set[int] = set()
        for _ in range(rng.randint(3, 6) * 4):
            j = rng.randrange(len(self.sentences))
            if self.sentences[j][0] not in sources:
                picked.append(j)
                sources.add(self.sentences[j][0])
            if len(picked) >= 6 or (len(picked) >= 3 and rng.random() < 0.3):
                break
        abstract = " ".join(self.sentences[j][1] for j in picked)
        return Paper(paper_id=f"mil:{i:07d}", title=title, abstract=abstract), picked, (a, b)

    def vector(self, i: int, picked: list[int], titles: tuple[int, int]) -> np.ndarray:
        rng = np.random.default_rng(i)
        v = self.sent_vecs[picked].sum(0) + self.title_vecs[list(titles)].mean(0)
        v = v / np.linalg.norm(v) + rng.normal(0, SIGMA, v.shape[0])
        return (v / np.linalg.norm(v)).astype(np.float32)


def build(args: argparse.Namespace) -> None:
    from bench_retrieval import start_server

    root = Path(args.dir)
    root.mkdir(parents=True, exist_ok=True)
    real = load_papers().papers
    gen = Generator(real, root / "sentence_vectors.npy")
    proc, url = start_server(root / "db")
    (root / "url").write_text(url)
    try:
        s = settings(root, url)
        store = Store(s)
        if not set(store.committed()) >= {p.paper_id for p in real}:
            emb = load_embedder(s.embedder)
            with cpu_lock("/tmp/cpu.lock"):
                batch = [(p, paper_hash(p), chunk_paper(p, s.chunking)) for p in real]
                store.write(batch, emb.embed([embedding_text(c) for _, _, cs in batch for c in cs]), {})
        n_synth = args.n - len(real)
        done = max(0, store.paper_count() - len(real)) // BATCH * BATCH
        log = (root / "build_log.jsonl").open("a")
        t0 = time.perf_counter()
        start = done
        while done < n_synth:
            stop = min(n_synth, done + BATCH * args.batches_per_lock)
            with cpu_lock("/tmp/cpu.lock"):
                tl = time.perf_counter()
                for lo in range(done, stop, BATCH):
                    batch, vecs = [], []
                    for i in range(lo, min(stop, lo + BATCH)):
                        p, picked, titles = gen.paper(i)
                        chunks = chunk_paper(p, s.chunking)
                        batch.append((p, paper_hash(p), chunks))
                        vecs += [gen.vector(i, picked, titles)] * len(chunks)
                    store.write(batch, np.stack(vecs), {})
                locked = time.perf_counter() - tl
            done = stop
            rate = (done - start) / (time.perf_counter() - t0)
            row = {"papers": done + len(real), "locked_s": round(locked, 1), "papers_per_s": round(rate, 1),
                   "server_rss_mb": round(_rss(proc.pid)), "t": round(time.time())}
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(row, flush=True)
    finally:
        proc.terminate()
        proc.wait(60)


def _rss(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--n", type=int, default=1_000_000)
    b.add_argument("--dir", default="/work/million")
    b.add_argument("--batches-per-lock", type=int, default=20)
    m = sub.add_parser("measure")
    m.add_argument("--dir", default="/work/million")
    m.add_argument("--queries", type=int, default=200)
    u = sub.add_parser("startup")
    u.add_argument("--dir", default="/work/million")
    u.add_argument("--url", required=True)
    u.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    {"build": build, "measure": measure, "startup": startup}[args.cmd](args)


def startup(args: argparse.Namespace) -> None:
    """In a fresh process: open the store and the retriever (snapshot already built), answer queries; prints JSON."""
    import resource

    from assistant.evaluate.metrics import percentile
    from assistant.retrieve import Retriever
    from assistant.retrieve.fusion import Candidates, fuse

    t0 = time.perf_counter()
    emb = load_embedder(Settings().embedder)
    emb.embed(["warm up"])
    t1 = time.perf_counter()
    s = settings(Path(args.dir), args.url)
    retr = Retriever(Store(s), emb, s.retrieval, rebuild=False, snapshot_dir=Path(args.dir) / "bm25")
    t2 = time.perf_counter()
    rows = [json.loads(x) for x in (Path(__file__).parent / "known_items.jsonl").read_text().splitlines() if x]
    queries = [r["query"] for r in rows]
    first = time.perf_counter()
    retr.search(queries[0], 10)
    first_ms = (time.perf_counter() - first) * 1000
    hybrid, bm25, dense, embed = [], [], [], []
    for q in (queries * (args.queries // len(queries) + 1))[: args.queries]:
        t = time.perf_counter()
        retr.search(q, 10)
        hybrid.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retr.lexical(q, s.retrieval.candidates)
        bm25.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        vec = emb.embed([q])[0]
        embed.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retr.store.query_ids(vec, s.retrieval.candidates)
        dense.append((time.perf_counter() - t) * 1000)
    # known items among the million: the 231 real papers are in it, the rest are made of their sentences
    titles = {r["paper"] for r in rows}
    ids = {p.title: p.paper_id for p in load_papers().papers if p.title in titles}
    systems = {"BM25": s.retrieval.model_copy(update={"dense_weight": 0.0, "name_boost": 0.0}),
               "dense": s.retrieval.model_copy(update={"lexical_weight": 0.0, "name_boost": 0.0}),
               "hybrid": s.retrieval}
    ranked: dict[str, list[list[str]]] = {k: [] for k in systems}
    for r in rows:
        vec = emb.embed([r["query"]])[0]
        c = Candidates(dense=[(cid.rsplit("#", 1)[0], 1 - d) for cid, d in retr.store.query_ids(vec, 50)],
                       lexical=[(pid, sc) for pid, _, _, sc in retr.lexical(r["query"], 50)],
                       named=retr.name_matches(r["query"]))
        for k, st in systems.items():
            ranked[k].append(fuse(c, st))
    hit1 = {k: round(sum(rk[:1] == [ids[r["paper"]]] for rk, r in zip(v, rows, strict=True)) / len(rows), 3)
            for k, v in ranked.items()}

    def pct(xs: list[float], q: int) -> float:
        return round(percentile(xs, q) or 0.0, 1)

    print(json.dumps({
        "embedder_load_s": round(t1 - t0, 2), "retriever_open_s": round(t2 - t1, 2),
        "first_query_ms": round(first_ms, 1), "queries": len(hybrid),
        "hybrid_p50_ms": pct(hybrid, 50), "hybrid_p95_ms": pct(hybrid, 95),
        "bm25_p50_ms": pct(bm25, 50), "bm25_p95_ms": pct(bm25, 95),
        "dense_p50_ms": pct(dense, 50), "dense_p95_ms": pct(dense, 95),
        "embed_p50_ms": pct(embed, 50), "embed_p95_ms": pct(embed, 95),
        "client_rss_mb": round(_rss()), "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rows": retr.snapshot.lexical.size, "known_item_hit@1": hit1}))


def measure(args: argparse.Namespace) -> None:
    import resource
    import shutil
    import subprocess
    import sys

    from bench_retrieval import start_server

    from assistant.retrieve.snapshot import open_or_build

    root = Path(args.dir)
    t = time.perf_counter()
    proc, url = start_server(root / "db")
    server_start = time.perf_counter() - t
    out: dict[str, object] = {"server_start_s": round(server_start, 1)}
    try:
        s = settings(root, url)
        store = Store(s)
        out["papers"], out["chunks"] = store.paper_count(), store.chunk_count()
        if store.generation() is None:  # written before stores kept one: one real write through the Store sets it
            p = load_papers().papers[0]
            emb = load_embedder(s.embedder)
            batch = [(p, paper_hash(p), chunk_paper(p, s.chunking))]
            store.write(batch, emb.embed([embedding_text(c) for c in batch[0][2]]), {p.paper_id: len(batch[0][2])})
        snap = root / "bm25"  # not under the URL-keyed default: each run's server gets another port
        shutil.rmtree(snap, ignore_errors=True)
        with cpu_lock("/tmp/cpu.lock"):
            t = time.perf_counter()
            built = open_or_build(store, snap)
            out["snapshot_build_s"] = round(time.perf_counter() - t, 1)
        out["snapshot_build_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        out["snapshot_mb"] = round(sum(f.stat().st_size for f in snap.rglob("*") if f.is_file()) / 2**20)
        out["snapshot_names"] = len(built.names)
        del built
        with cpu_lock("/tmp/cpu.lock"):
            run = subprocess.run([sys.executable, __file__, "startup", "--dir", str(root), "--url", url,
                                  "--queries", str(args.queries)], capture_output=True, text=True, check=True)
        out.update(json.loads(run.stdout.strip().splitlines()[-1]))
        out["server_rss_mb"] = round(_rss(proc.pid))
    finally:
        proc.terminate()
        proc.wait(60)
    build_log = [json.loads(x) for x in (root / "build_log.jsonl").read_text().splitlines() if x]
    out["insert_locked_s"] = round(sum(r["locked_s"] for r in build_log), 0)
    out["insert_papers_per_locked_s"] = round((build_log[-1]["papers"] - 231) / max(1.0, float(out["insert_locked_s"])), 0)
    out["server_rss_mb_at_end_of_insert"] = build_log[-1]["server_rss_mb"]
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_million.json").write_text(json.dumps(out, indent=2))
    (REPORTS / "bench_million.md").write_text(report_md(out))
    print(report_md(out))


def report_md(o: dict[str, Any]) -> str:
    hit = o["known_item_hit@1"]
    assert isinstance(hit, dict)
    rows = [
        ("papers / chunks in the server", f"{o['papers']:,} / {o['chunks']:,}", "real Chroma records"),
        ("Chroma inserts (Store.write, HNSW in the server)",
         f"{o['insert_locked_s']:.0f} s under the CPU lock, {o['insert_papers_per_locked_s']:.0f} papers/s",
         "real inserts; synthetic papers"),
        ("server start (`chroma run` to heartbeat)", f"{o['server_start_s']} s", "real"),
        ("BM25 snapshot build (read every chunk from the server, tokenize, index, write)",
         f"{o['snapshot_build_s']} s, peak client RSS {o['snapshot_build_peak_rss_mb']:,} MB, "
         f"{o['snapshot_mb']:,} MB on disk", "real; once per ingest that changes papers"),
        ("retriever start-up (store + snapshot opened, files CRC-checked)", f"{o['retriever_open_s']} s", "real"),
        ("MiniLM load (not collection-dependent)", f"{o['embedder_load_s']} s", "real"),
        ("first query after start", f"{o['first_query_ms']} ms", "real"),
        (f"hybrid search p50 / p95 ({o['queries']} queries, k=10, 50 candidates each)",
         f"{o['hybrid_p50_ms']} / {o['hybrid_p95_ms']} ms", "real; queries from eval/known_items.jsonl"),
        ("of which BM25 p50 / p95", f"{o['bm25_p50_ms']} / {o['bm25_p95_ms']} ms", "real"),
        ("of which query embedding (MiniLM) p50 / p95", f"{o['embed_p50_ms']} / {o['embed_p95_ms']} ms", "real"),
        ("of which Chroma query (ids only) p50 / p95", f"{o['dense_p50_ms']} / {o['dense_p95_ms']} ms", "real"),
        ("client RSS after the queries (peak)", f"{o['client_rss_mb']:,} MB ({o['client_peak_rss_mb']:,} MB)",
         "real; MiniLM included"),
        ("server RSS after the queries", f"{o['server_rss_mb']:,} MB", "real"),
        ("known-item hit@1 among the million (231 real papers, the rest built from their sentences)",
         f"hybrid {hit['hybrid']}, BM25 {hit['BM25']}, dense {hit['dense']}", "real papers, synthetic distractors"),
    ]
    md = ["# A real million in a `chroma run` server", "",
          "Real: the Chroma server, its HNSW index and records (written through `Store.write` with commit "
          "markers, as an ingest writes them), the BM25 snapshot, the retriever, MiniLM query vectors, and the "
          "231 bundled papers (embedded with MiniLM) inside the collection.", "",
          "Synthetic: every other paper. Texts: 3-6 sentences drawn from different real abstracts of the bundled "
          "collection (1,776 sentences), titles two halves of real titles. Vectors: NOT embeddings of those "
          "texts: the mean of the real MiniLM vectors of the paper's sentences and titles plus Gaussian noise "
          "(sigma 0.02 per dimension), normalised (perturbed real vectors; MiniLM on a million abstracts takes "
          "hours on 2 cores). The vocabulary is that of 231 abstracts, so BM25 posting lists are longer than in "
          "a real million (a pessimistic case for BM25 latency) and there are few rare names.", "",
          "| measure | value | real or synthetic |", "|---|---|---|"]
    md += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    md += ["", "    .venv/bin/python eval/bench_million.py build     # resumable, takes /tmp/cpu.lock per batch group",
           "    .venv/bin/python eval/bench_million.py measure", ""]
    notes = REPORTS / "bench_million_notes.md"  # earlier runs and what they found, written by hand
    return "\n".join(md) + ("\n" + notes.read_text() if notes.is_file() else "")


if __name__ == "__main__":
    main()
