"""Ingest throughput beside the embedder's own rate on exactly the chunks the ingest embeds, in one run.

Two sets of real abstracts:
- bundled: the 231 bundled papers (median ~170 words).
- long: bundled abstracts joined in pairs (paper 2i's title, abstracts 2i and 2i+1), kept when
  300+ words. No PubMed set ships here; the pairs are real abstract text at PubMed length.

For each set and each configuration, a fresh embedded Chroma store:
- embedder only: the chunks the ingest embeds, embedded in one call (no chunking, no store);
- ingest: `assistant.index.ingest.ingest` of the same papers into the empty store;
- ratio = ingest papers/s / embedder-only papers/s (the target is >= 0.9).
Each row alternates the two `repeat` times; it reports the ratio of the best of each and the median of
the paired ratios (embedder-only run r against ingest run r), since this shared machine's timings
wander by 10% or more between runs.
Configurations: `now` (the current settings: chunks sized from the embedder's window, no
overlap, length-sorted window-sized batches, pipelined stages) and `before` (200-token chunks
with 40-token overlaps, 64 texts a batch, stages one after another: the code before issue 14,
emulated with today's code, so it too embeds the shortest papers first). For reference, the
issue's plain encode: one text per paper (title + abstract) cut at 256 word pieces, 64 a batch.

    .venv/bin/python eval/bench_ingest.py [--repeat 4] [--sets bundled,long]

Writes eval/reports/bench_ingest.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant import Settings  # noqa: E402
from assistant.corpus import load_papers  # noqa: E402
from assistant.index.chunking import chunk_paper, embedding_text  # noqa: E402
from assistant.index.embedding import SentenceTransformerEmbedder  # noqa: E402
from assistant.index.ingest import ingest  # noqa: E402
from assistant.index.store import Store  # noqa: E402
from assistant.types import Paper  # noqa: E402

REPORTS = Path(__file__).parent / "reports"
BEFORE = {"chunking": {"size_tokens": 200, "overlap_tokens": 40}, "embedder": {"batch_tokens": 64 * 256}}


def long_set(papers: list[Paper], min_words: int = 300) -> list[Paper]:
    """Bundled abstracts joined in pairs, kept when 300+ words; the title is the first paper's."""
    out = []
    for i in range(0, len(papers) - 1, 2):
        a, b = papers[i], papers[i + 1]
        p = Paper(paper_id=f"long:{a.paper_id}+{b.paper_id}", title=a.title, abstract=f"{a.abstract} {b.abstract}")
        if len(p.abstract.split()) >= min_words:
            out.append(p)
    return out


def measure(papers: list[Paper], settings: Settings, emb: SentenceTransformerEmbedder, *,
            threads: bool, tmp: Path, repeat: int) -> dict[str, Any]:
    """Embedder only and ingest, alternated `repeat` times; the best of each (the machine is shared)."""
    texts = [embedding_text(c) for p in papers for c in chunk_paper(p, settings.chunking)]
    lengths = [len(x) for x in emb.model.tokenizer(texts)["input_ids"]]  # uncut, to count what the window cuts
    embed_s, reports = [], []
    for r in range(repeat):
        t = time.perf_counter()
        emb.embed(texts)
        embed_s.append(time.perf_counter() - t)
        s = settings.model_copy(update={"data_dir": tmp / str(r)})
        reports.append(ingest(papers, s, store=Store(s), embedder=emb, progress=False, threads=threads))
        assert reports[-1].embedded_chunks == len(texts)
    best = min(reports, key=lambda x: x.seconds)
    n = len(papers)
    return {"chunks": len(texts), "chunks_per_paper": round(len(texts) / n, 2),
            "word_pieces_per_paper": round(sum(min(x, emb.window) for x in lengths) / n, 1),
            "chunks_fitting_window": round(sum(x <= emb.window for x in lengths) / len(texts), 4),
            "embedder_only_papers_per_s": round(n / min(embed_s), 2), "ingest_papers_per_s": round(n / best.seconds, 2),
            "ratio": round(min(embed_s) / best.seconds, 3),
            "ratio_median_paired": round(float(np.median([e / r.seconds for e, r in zip(embed_s, reports, strict=True)])), 3),
            "ingest_stage_s": {k: round(v, 2) for k, v in best.stage_seconds.items()},
            "ingest_s": [round(x.seconds, 2) for x in reports], "embedder_only_s": [round(x, 2) for x in embed_s]}


def plain_encode(papers: list[Paper], emb: SentenceTransformerEmbedder) -> float:
    """The issue's reference: one text per paper, cut at the window, 64 a batch; papers/s."""
    t = time.perf_counter()
    emb.model.encode([f"{p.title}\n{p.abstract}" for p in papers], batch_size=64)
    return len(papers) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=4, help="Measure each row this many times.")
    ap.add_argument("--sets", default="bundled,long", help="Which sets: bundled, long or both.")
    args = ap.parse_args()
    bundled = load_papers().papers
    sets = {"bundled": bundled, "long (bundled pairs, 300+ words)": long_set(bundled)}
    sets = {k: v for k, v in sets.items() if k.split()[0] in args.sets.split(",")}
    now = Settings()
    before = Settings(**BEFORE)  # type: ignore[arg-type]
    embs = {"now": SentenceTransformerEmbedder(now.embedder), "before": SentenceTransformerEmbedder(before.embedder)}
    embs["before"].model = embs["now"].model  # one model, two batching policies
    embs["now"].embed(["warm up"] * 8)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, papers in sets.items():
            words = sum(len(p.abstract.split()) for p in papers) / len(papers)
            ref = plain_encode(papers, embs["now"])
            for config, settings in (("now", now), ("before", before)):
                best = measure(papers, settings, embs[config], threads=config == "now",
                               tmp=Path(tmp) / f"{name[:4]}-{config}", repeat=args.repeat)
                rows.append({"set": name, "papers": len(papers), "words_per_abstract": round(words), "config": config,
                             "chunking": settings.chunking.model_dump(exclude={"encoding"}),
                             **best, "plain_encode_trunc256_papers_per_s": round(ref, 2)})
                print(json.dumps(rows[-1]), flush=True)
    REPORTS.mkdir(exist_ok=True)
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "load_average_after": os.getloadavg(),
            "repeat": args.repeat, "device": now.embedder.device,
            "embedder": now.embedder.name, "batch_tokens": now.embedder.batch_tokens}
    (REPORTS / "bench_ingest.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    keys = ["set", "papers", "words_per_abstract", "config", "chunks_per_paper", "word_pieces_per_paper",
            "chunks_fitting_window", "embedder_only_papers_per_s", "ingest_papers_per_s", "ratio", "ratio_median_paired",
            "plain_encode_trunc256_papers_per_s"]
    md = (f"Ingest vs embedder only, same chunks, one run ({meta['machine']}, {meta['device']}, best of "
          f"{args.repeat}, load average {meta['load_average_after'][0]:.1f} after: a shared machine). "
          "ratio = ingest rate / embedder-only rate (best of each); ratio_median_paired = the median of run-by-run "
          "ratios.\n\n")
    md += "| " + " | ".join(keys) + " |\n|" + "---|" * len(keys) + "\n"
    md += "".join("| " + " | ".join(str(r[k]) for k in keys) + " |\n" for r in rows)
    (REPORTS / "bench_ingest.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
