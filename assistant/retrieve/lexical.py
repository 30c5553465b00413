"""BM25 over chunk texts (title included), with bm25s."""

from __future__ import annotations

import bm25s
import numpy as np


class LexicalIndex:
    """A BM25 index over a fixed list of texts; `search` returns (row, score) best first."""

    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        self.bm25 = bm25s.BM25()
        if texts:
            self.bm25.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def search(self, query: str, n: int) -> list[tuple[int, float]]:
        n = min(n, self.size)
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if n == 0 or not tokens.ids[0]:
            return []
        rows, scores = self.bm25.retrieve(tokens, k=n, show_progress=False, n_threads=1)
        return [(int(r), float(s)) for r, s in zip(np.ravel(rows), np.ravel(scores), strict=True) if s > 0]
