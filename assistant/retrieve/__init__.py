"""Papers out: dense (Chroma) and BM25 chunk rankings fused per paper, optionally diversified.

BM25 comes from a snapshot on disk (assistant.retrieve.snapshot), memory-mapped, so opening a
retriever costs the same at 231 papers and at a million; chunk texts and paper records are
fetched from the store for the candidates of each query only.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.config import RetrievalSettings
from assistant.index.embedding import Embedder
from assistant.index.store import Store, StoredChunk
from assistant.retrieve.fusion import Candidates, boosted, first_ranks, fused_scores, mmr, ordered
from assistant.retrieve.names import (
    MAX_NAME_PAPERS,
    capitalized_runs,
    capitalized_words,
    in_title,
    quoted,
    run_words,
    written_as_name,
)
from assistant.retrieve.snapshot import open_or_build, snapshot_root
from assistant.types import Hit, Paper, Passage

__all__ = ["Retriever"]


class Retriever:
    """Hybrid search over the committed index: BM25 from the persisted snapshot, dense through the store.

    Only chunks whose content hash matches a committed paper are visible, so a paper being
    re-indexed, or left half-written by a killed ingest, never shows up; a BM25 row whose paper
    changed after the snapshot was opened is dropped, never shown with other text.
    """

    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings, *,
                 snapshot_dir: Path | None = None, rebuild: bool = True) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.snapshot = open_or_build(store, snapshot_dir or snapshot_root(store.settings), rebuild=rebuild)

    @cached_property
    def papers(self) -> dict[str, tuple[Paper, str]]:
        """paper_id -> (Paper, content hash) of every committed paper: read on first use (the whole collection)."""
        return self.store.papers()

    def lexical(self, query: str, n: int) -> list[tuple[str, int, str, float]]:
        """BM25's best n rows as (paper id, chunk position, paper hash at snapshot time, score)."""
        return [(*self.snapshot.row(r), score) for r, score in self.snapshot.lexical.search(query, n)]

    def unknown_words(self, query: str) -> list[str]:
        """The query's words that no paper of the collection uses (LexicalIndex.unknown)."""
        return self.snapshot.lexical.unknown(query)

    def name_matches(self, query: str) -> set[str]:
        """Papers the query names (assistant.retrieve.names): by a rare name-like word or a title's short name
        (Snapshot.name_matches); by a word it capitalizes mid-sentence that at most MAX_NAME_PAPERS papers use and
        none writes in lower case, in those papers' titles; by a quoted run of words a title begins with; or by a run
        of words it capitalizes that is a title's whole short name, the words before its colon ("Does Vision Mamba use
        attention?" names "Vision Mamba: Efficient Visual ...")."""
        out = self.snapshot.name_matches(query)
        for w in capitalized_words(query):
            if pids := self.snapshot.word_papers(w, MAX_NAME_PAPERS):
                papers = [p for p, _ in self.store.get_papers(sorted(pids)).values()]
                if written_as_name(w, (f"{p.title}\n{p.abstract}" for p in papers)):
                    out |= {p.paper_id for p in papers if in_title(w, p.title)}
        for run in quoted(query):
            out |= self.snapshot.titles_starting(run, MAX_NAME_PAPERS) or set()
        for run in capitalized_runs(query):
            if pids := self.snapshot.titles_starting(run, MAX_NAME_PAPERS):
                papers = [p for p, _ in self.store.get_papers(sorted(pids)).values()]
                out |= {p.paper_id for p in papers if ":" in p.title and run_words(p.title.partition(":")[0]) == run}
        return out

    def search(self, query: str, k: int | None = None, *, mmr_on: bool | None = None,
               query_vec: np.ndarray | None = None) -> list[Hit]:
        """The k most relevant papers, each once, with their best passages and per-retriever ranks.

        `query_vec` is the query's embedding when the caller already has it.
        """
        s = self.settings
        k = k or s.k
        use_mmr = mmr_on if mmr_on is not None else s.mmr
        qvec = self.embedder.embed([query])[0] if query_vec is None else query_vec
        dense = [(cid, cid.rsplit("#", 1)[0], 1.0 - d) for cid, d in self.store.query_ids(qvec, s.candidates)]
        rows = self.lexical(query, s.candidates)
        named = self.name_matches(query)
        fused = fused_scores(Candidates(dense=[(pid, sim) for _, pid, sim in dense],
                                        lexical=[(pid, score) for pid, _, _, score in rows]), s)
        order = ordered(boosted(fused, named, s.name_boost))
        named = named if s.name_boost else set()
        dense_rank = first_ranks([pid for _, pid, _ in dense])
        lexical_rank = first_ranks([pid for pid, _, _, _ in rows])
        best_sim: dict[str, float] = {}
        for _, pid, sim in dense:
            best_sim.setdefault(pid, sim)
        want = max(3 * k, 20) if use_mmr else k
        hits: list[Hit] = []
        for lo in range(0, len(order), want):  # usually one round: papers are dropped only while being re-indexed
            part = order[lo: lo + want]
            hits += self._visible_hits(part, dense, rows, fused, named, dense_rank, lexical_rank, best_sim)
            if len(hits) >= want:
                break
        return self.diversify(hits, k) if use_mmr else hits[:k]

    def _visible_hits(self, pids: list[str], dense: list[tuple[str, str, float]],
                      rows: list[tuple[str, int, str, float]], fused: dict[str, float], named: set[str],
                      dense_rank: dict[str, int], lexical_rank: dict[str, int],
                      best_sim: dict[str, float]) -> list[Hit]:
        """Hits for these papers (in this order), with texts fetched from the store; a paper or chunk whose hash
        is not the committed one (being re-indexed, or changed since the snapshot) is left out."""
        wanted = set(pids)
        papers = self.store.get_papers(pids)
        lex_ids = {f"{pid}#{pos}": h for pid, pos, h, _ in rows if pid in wanted}
        texts = self.store.get_chunks([cid for cid, pid, _ in dense if pid in wanted] + list(lex_ids))

        def visible(cid: str, snapshot_hash: str | None = None) -> StoredChunk | None:
            c = texts.get(cid)
            ok = c is not None and c.paper_id in papers and papers[c.paper_id][1] == c.paper_hash
            return c if ok and snapshot_hash in (None, c.paper_hash) else None  # type: ignore[union-attr]

        dense_c = [c for c in (visible(cid) for cid, pid, _ in dense if pid in wanted) if c]
        lex_c = [(c, 0.0) for c in (visible(f"{pid}#{pos}", h) for pid, pos, h, _ in rows if pid in wanted) if c]
        passages = self._passages(dense_c, lex_c)
        return [Hit(paper=papers[pid][0], score=fused[pid], dense_rank=dense_rank.get(pid),
                    lexical_rank=lexical_rank.get(pid), dense_similarity=best_sim.get(pid),
                    passages=passages[pid][: self.settings.passages_per_paper], name_match=pid in named)
                for pid in pids if pid in passages]

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
