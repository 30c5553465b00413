"""BM25 over chunk texts (title included), with bm25s: built in memory, saved, memory-mapped back.

The tokenizer (bm25s's regex, lower case, English stopwords, no stemmer) and the BM25
parameters are part of `TOKENIZER`, which the persisted snapshot is keyed on: a change to
either makes an old snapshot stale instead of silently scoring with other rules.

Queries also drop `QUERY_STOPWORDS`, the words that frame a question to a paper collection
("List the papers in the collection ..."): they say what is searched, not what about, and BM25
scored them as content ("Which papers study state space models for vision?" ranked a title
ending "Insights from 1000 Papers" first). Only queries drop them, so the index is unchanged.
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

TOKENIZER = {"bm25s": bm25s.__version__, "stopwords": "en", "lower": True, "stemmer": None,
             "method": "lucene", "k1": 1.5, "b": 0.75, "text": "title\\nchunk"}


# "whats the main finding ...": no paper writes "whats", and it asks about nothing
CONTRACTIONS = frozenset("""whats hows whos wheres whens whys thats theres heres lets dont doesnt didnt isnt arent wasnt
    werent cant couldnt wont wouldnt shouldnt hasnt havent hadnt im ive youre theyre""".split())
# "List the papers on state space models." ranked Diverse Beam Search ("decodes a list of diverse outputs") first
QUERY_STOPWORDS = frozenset({"paper", "papers", "article", "articles", "publication", "publications", "collection",
                             "list"})


def _query_tokens(query: str) -> list[str]:
    """A query's tokens as the index tokenizes text, less the words that frame it to the collection."""
    tokens = bm25s.tokenize([query], stopwords=TOKENIZER["stopwords"], lower=True, return_ids=False,
                            show_progress=False)
    return [t for t in tokens[0] if t not in QUERY_STOPWORDS]


def _tokenize(texts: list[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords=TOKENIZER["stopwords"], lower=True, show_progress=False)


class LexicalIndex:
    """A BM25 index over a fixed list of texts; `search` returns (row, score) best first."""

    def __init__(self, bm25: bm25s.BM25, size: int) -> None:
        self.bm25, self.size = bm25, size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        bm25 = bm25s.BM25(method=TOKENIZER["method"], k1=TOKENIZER["k1"], b=TOKENIZER["b"])
        if texts:
            bm25.index(_tokenize(texts), show_progress=False)
        return cls(bm25, len(texts))

    def save(self, path: Path) -> None:
        """Write the arrays and vocabulary into `path` (an empty index writes nothing loadable)."""
        if self.size:
            self.bm25.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path, size: int, *, mmap: bool = True) -> LexicalIndex:
        """The index saved in `path`; its arrays stay on disk (memory-mapped) unless `mmap` is False."""
        if size == 0:
            return cls(bm25s.BM25(), 0)
        bm25 = bm25s.BM25.load(str(path), mmap=mmap, show_progress=False)
        if bm25.scores["num_docs"] != size:
            raise ValueError(f"BM25 arrays hold {bm25.scores['num_docs']} documents, the row table {size}")
        return cls(bm25, size)

    def rows_with(self, word: str) -> np.ndarray:
        """The rows whose text holds the word (its lower-case token), from BM25's postings; none for a stopword."""
        t = self.bm25.vocab_dict.get(word.lower()) if self.size else None
        if t is None:
            return np.zeros(0, dtype=np.int64)
        ptr = self.bm25.scores["indptr"]
        return np.asarray(self.bm25.scores["indices"][ptr[t]: ptr[t + 1]])

    def unknown(self, query: str) -> list[str]:
        """The query's words (its tokens, stopwords, collection framing and contractions typed without their
        apostrophe left out) that no row holds.

        A question with such a word ("the capital of France") asks about something the collection never mentions;
        one without may still embed far from every abstract when it is short ("Which papers are about Mamba?")."""
        vocab = self.bm25.vocab_dict if self.size else {}
        return list(dict.fromkeys(t for t in _query_tokens(query) if t not in vocab and t not in CONTRACTIONS))

    def search(self, query: str, n: int) -> list[tuple[int, float]]:
        n = min(n, self.size)
        known = [t for t in _query_tokens(query) if t in self.bm25.vocab_dict] if n else []
        if not known:
            return []
        rows, scores = self.bm25.retrieve([known], k=n, show_progress=False, n_threads=1)
        return [(int(r), float(s)) for r, s in zip(np.ravel(rows), np.ravel(scores), strict=True) if s > 0]
