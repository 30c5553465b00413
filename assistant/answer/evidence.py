"""Evidence within a token budget: the relevant papers' best-matching sentences, not whole abstracts.

On a CPU every prompt token costs time (about 11 ms with the default model), so the
top source gets `n_sentences` sentences, the others one fewer, and sentences are dropped
from the bottom up until the block fits `budget` tokens of the model's own tokenizer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.answer.support import EmbeddingJudge
from assistant.types import Hit, Source


def format_source(n: int, title: str, sentences: list[str]) -> str:
    return f"[{n}] {title}\n{' '.join(sentences)}"


def format_sources(sources: list[Source]) -> str:
    return "\n".join(format_source(s.n, s.paper.title, s.evidence) for s in sources)


def relevant(hits: list[Hit], margin: float) -> list[Hit]:
    """The top hit and any hit that carries a name of the question, plus every hit whose dense
    similarity is within `margin` of the best one.

    A paper far below the best one rarely answers the question, yet a small model copies and
    cites its sentences anyway; leaving it out also saves prompt tokens.
    """
    best = max((h.dense_similarity or 0.0 for h in hits), default=0.0)
    return [h for i, h in enumerate(hits) if i == 0 or h.name_match or (h.dense_similarity or 0.0) >= best - margin]


def select_evidence(hits: list[Hit], query_vec: np.ndarray, judge: EmbeddingJudge, *, n_sentences: int,
                    budget: int, count_tokens: Callable[[str], int]) -> list[Source]:
    """Numbered sources with their evidence sentences, fitted to the budget."""
    sources = [Source(n=i, hit=h, evidence=judge.best_sentences(query_vec, h.paper, n_sentences if i == 1
                                                                 else max(1, n_sentences - 1)))
               for i, h in enumerate(hits, 1)]
    sizes = [count_tokens(format_source(s.n, s.paper.title, s.evidence)) for s in sources]
    while sum(sizes) > budget and len(sources) > 1:
        i = max(range(len(sources)), key=lambda j: (len(sources[j].evidence), j))
        if len(sources[i].evidence) > 1:
            ranked = judge.best_sentences(query_vec, sources[i].paper, len(sources[i].evidence) - 1)
            sources[i].evidence = ranked
        else:
            sources.pop()
            sizes.pop()
            continue
        sizes[i] = count_tokens(format_source(sources[i].n, sources[i].paper.title, sources[i].evidence))
    return sources
