"""Papers out: dense (Chroma) and BM25 chunk rankings fused per paper, optionally diversified."""

from __future__ import annotations

import numpy as np

from assistant.config import RetrievalSettings
from assistant.index.embedding import Embedder
from assistant.index.store import Store, StoredChunk
from assistant.retrieve.fusion import first_ranks, mmr, rrf
from assistant.retrieve.lexical import LexicalIndex
from assistant.retrieve.names import NameIndex
from assistant.types import Hit, Paper, Passage

__all__ = ["Retriever"]


class Retriever:
    """A snapshot of the committed index: BM25 built in memory, dense search through the store.

    Only chunks whose content hash matches a committed paper are visible, so a paper being
    re-indexed, or left half-written by a killed ingest, never shows up.
    """

    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.papers: dict[str, tuple[Paper, str]] = store.papers()
        self.chunks = [c for c in store.all_chunks() if self._visible(c)]
        self.lexical = LexicalIndex([f"{self.papers[c.paper_id][0].title}\n{c.text}" for c in self.chunks])
        self.names = NameIndex((pid, f"{p.title}\n{p.abstract}") for pid, (p, _) in self.papers.items())

    def _visible(self, c: StoredChunk) -> bool:
        entry = self.papers.get(c.paper_id)
        return entry is not None and entry[1] == c.paper_hash

    def search(self, query: str, k: int | None = None, *, mmr_on: bool | None = None,
               query_vec: np.ndarray | None = None) -> list[Hit]:
        """The k most relevant papers, each once, with their best passages and per-retriever ranks.

        `query_vec` is the query's embedding when the caller already has it.
        """
        s = self.settings
        k = k or s.k
        qvec = self.embedder.embed([query])[0] if query_vec is None else query_vec
        dense = [c for c in self.store.query(qvec, s.candidates) if self._visible(c)]
        lexical = [(self.chunks[row], score) for row, score in self.lexical.search(query, s.candidates)]
        dense_rank = first_ranks([c.paper_id for c in dense])
        lexical_rank = first_ranks([c.paper_id for c, _ in lexical])
        fused = rrf(dense_rank, lexical_rank, k=s.rrf_k, weights=(s.dense_weight, s.lexical_weight))
        named = self.names.matches(query) & fused.keys()
        order = sorted(fused, key=lambda pid: (pid not in named, -fused[pid], pid))
        passages = self._passages(dense, lexical)
        best_sim: dict[str, float] = {}
        for c in dense:
            best_sim.setdefault(c.paper_id, 1.0 - c.distance)
        hits = [Hit(paper=self.papers[pid][0], score=fused[pid], dense_rank=dense_rank.get(pid),
                    lexical_rank=lexical_rank.get(pid), dense_similarity=best_sim.get(pid),
                    passages=passages[pid][: s.passages_per_paper], name_match=pid in named) for pid in order]
        if mmr_on if mmr_on is not None else s.mmr:
            return self.diversify(hits, k)
        return hits[:k]

    def _passages(self, dense: list[StoredChunk], lexical: list[tuple[StoredChunk, float]]) -> dict[str, list[Passage]]:
        by_chunk: dict[str, Passage] = {}
        for rank, c in enumerate(dense, 1):
            by_chunk.setdefault(c.chunk_id, Passage(c.chunk_id, c.text, c.position, dense_rank=rank))
        for rank, (c, _) in enumerate(lexical, 1):
            p = by_chunk.setdefault(c.chunk_id, Passage(c.chunk_id, c.text, c.position))
            p.lexical_rank = p.lexical_rank or rank
        out: dict[str, list[Passage]] = {}
        for p in sorted(by_chunk.values(), key=lambda p: min(p.dense_rank or 10**9, p.lexical_rank or 10**9)):
            out.setdefault(p.chunk_id.rsplit("#", 1)[0], []).append(p)
        return out

    def diversify(self, hits: list[Hit], k: int) -> list[Hit]:
        """k of the hits picked by MMR over their best passages' vectors."""
        pool = hits[: max(3 * k, 20)]
        vecs = self.store.vectors([h.passages[0].chunk_id for h in pool])
        mat = np.stack([vecs[h.passages[0].chunk_id] for h in pool])
        rel = np.array([h.score for h in pool])
        rel = (rel - rel.min()) / (np.ptp(rel) or 1.0)
        return [pool[i] for i in mmr(rel, mat, k, self.settings.mmr_lambda)]
