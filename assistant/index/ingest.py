"""Incremental, resumable ingest: chunk, embed and store only what changed.

Each paper's content hash is compared with the committed one: unchanged papers cost
nothing, changed ones are re-embedded, and `prune` removes papers no longer in the
sources. Papers are written in batches, each committed after its chunks, so an ingest
killed midway resumes from the last finished batch.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

from tqdm import tqdm

from assistant.config import Settings
from assistant.index.chunking import chunk_paper, embedding_text
from assistant.index.embedding import Embedder
from assistant.index.store import Store
from assistant.types import Paper


@dataclass
class IngestReport:
    papers: int = 0
    unchanged: int = 0
    embedded_papers: int = 0
    embedded_chunks: int = 0
    pruned: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.papers} papers: {self.embedded_papers} (re)indexed as {self.embedded_chunks} chunks, "
                f"{self.unchanged} unchanged, {self.pruned} pruned, in {self.seconds:.1f}s")


def paper_hash(paper: Paper) -> str:
    """Changes when anything stored about the paper changes (text or metadata)."""
    fields = [paper.title, paper.abstract, list(paper.authors), paper.year, paper.url, paper.venue]
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:16]


def ingest(papers: list[Paper], settings: Settings, *, store: Store, embedder: Embedder,
           prune: bool = False, batch_papers: int = 64, progress: bool = True) -> IngestReport:
    """Bring the index in line with `papers`; returns what was done."""
    start = time.perf_counter()
    committed = store.committed()
    report = IngestReport(papers=len(papers))
    todo = [(p, paper_hash(p)) for p in papers]
    todo = [(p, h) for p, h in todo if committed.get(p.paper_id, ("", 0))[0] != h]
    report.unchanged = len(papers) - len(todo)
    bar = tqdm(total=len(todo), unit="paper", desc="Indexing", disable=not progress or not todo)
    for i in range(0, len(todo), batch_papers):
        batch = [(p, h, chunk_paper(p, settings.chunking)) for p, h in todo[i : i + batch_papers]]
        texts = [embedding_text(c) for _, _, cs in batch for c in cs]
        vectors = embedder.embed(texts)
        store.write(batch, vectors, {p.paper_id: committed[p.paper_id][1] for p, _, _ in batch if p.paper_id in committed})
        report.embedded_papers += len(batch)
        report.embedded_chunks += len(texts)
        bar.update(len(batch))
    bar.close()
    if prune:
        keep = {p.paper_id for p in papers}
        gone = {pid: n for pid, (_, n) in committed.items() if pid not in keep}
        store.delete_papers(gone)
        report.pruned = len(gone)
    report.seconds = time.perf_counter() - start
    return report
