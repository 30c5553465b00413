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


def near_best(hits: list[Hit], margin: float, floor: float = 0.0) -> list[Hit]:
    """Hits whose dense similarity is at least `floor` and within `margin` of the best hit's."""
    best = max((h.dense_similarity or 0.0 for h in hits), default=0.0)
    bar = max(floor, best - margin)
    return [h for h in hits if (h.dense_similarity or 0.0) >= bar]


def relevant(hits: list[Hit], margin: float) -> list[Hit]:
    """The papers worth prompt tokens: the top hit, any hit that carries a name of the question,
    and the hits near the best one.

    A paper far below the best one rarely answers the question, yet a small model copies and
    cites its sentences anyway; leaving it out also saves prompt tokens.
    """
    near = {h.paper.paper_id for h in near_best(hits, margin)}
    return [h for i, h in enumerate(hits) if i == 0 or h.name_match or h.paper.paper_id in near]


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
