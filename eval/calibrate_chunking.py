"""Chunk size from the embedder's window: the largest tiktoken budget whose chunks fit it.

MiniLM reads 256 word pieces (special tokens included) and ignores the rest; the embedder
sees the paper's title and the chunk. Chunks are counted in tiktoken tokens (the stack's
counter), so the budget is measured: for each candidate size (no overlap), the share of
chunks whose title + text fits the window in the embedder's own word pieces, on the
bundled abstracts and on long ones (bundled pairs, 300+ words; eval/bench_ingest.py).
The chosen size is the largest at which >= 99% fit on both sets.

    .venv/bin/python eval/calibrate_chunking.py

Writes eval/reports/chunking_calibration.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench_ingest import long_set

from assistant.config import ChunkingSettings, Settings
from assistant.corpus import load_papers
from assistant.index.chunking import chunk_paper, embedding_text
from assistant.index.embedding import SentenceTransformerEmbedder

REPORTS = Path(__file__).parent / "reports"
FIT = 0.99


def main() -> None:
    emb = SentenceTransformerEmbedder(Settings().embedder)
    bundled = load_papers().papers
    sets = {"bundled": bundled, "long": long_set(bundled)}
    rows = []
    for size in range(160, 261, 10):
        row: dict[str, object] = {"size_tokens": size}
        for name, papers in sets.items():
            chunks = [c for p in papers for c in chunk_paper(p, ChunkingSettings(size_tokens=size, overlap_tokens=0))]
            lengths = [len(x) for x in emb.model.tokenizer([embedding_text(c) for c in chunks])["input_ids"]]
            row[f"{name}_fit"] = round(sum(n <= emb.window for n in lengths) / len(lengths), 4)
            row[f"{name}_chunks_per_paper"] = round(len(chunks) / len(papers), 2)
        rows.append(row)
        print(json.dumps(row))
    ok = [r["size_tokens"] for r in rows if all(float(r[f"{n}_fit"]) >= FIT for n in sets)]
    chosen = max(ok)
    print(f"largest size with >= {FIT:.0%} of chunks inside the {emb.window}-piece window: {chosen}")
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "chunking_calibration.json").write_text(json.dumps(
        {"window": emb.window, "fit_required": FIT, "chosen_size_tokens": chosen, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
