"""Evidence within a token budget: the sentences that answer, not whole abstracts of five papers.

On a CPU every prompt token costs time (about 6-11 ms with the default model). The top paper
gets most of the budget, nearly its whole abstract, since the sentences closest to a question
are often its background and the answer sits elsewhere; the other papers give their best
sentence. Measured on the dev set as the share of gold evidence sentences that reach the
prompt (eval/calibrate_evidence.py): 0.30 for the old two-best-sentences rule, 0.86 now,
for about 150 more prompt tokens. A bonus for result-like sentences added at most 0.02 and
was left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from assistant.answer.support import EmbeddingJudge
from assistant.types import Hit, Paper, Source


def format_source(n: int, title: str, sentences: list[str]) -> str:
    return f"[{n}] {title}\n{' '.join(sentences)}"


def format_sources(sources: list[Source]) -> str:
    return "\n".join(format_source(s.n, s.paper.title, s.evidence) for s in sources)


def as_shown(sources: list[Source]) -> dict[int, Paper]:
    """Each source as the model read it: its title and evidence sentences, for the claim check to read instead of
    the whole abstract (a sentence the model wrote can only rest on what it was shown)."""
    return {s.n: replace(s.paper, abstract=" ".join(s.evidence)) for s in sources}


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


def select_evidence(hits: list[Hit], query_vec: np.ndarray, judge: EmbeddingJudge, *, budget: int,
                    count_tokens: Callable[[str], int], top_share: float = 0.8, others: int = 1) -> list[Source]:
    """Numbered sources with the sentences that answer: the top paper's sentences most similar to the
    question up to `top_share` of the budget (most of its abstract), each other paper's best `others`,
    every paper's sentences in their original order; papers that no longer fit are left out.
    """
    chosen: list[tuple[Hit, list[str]]] = []
    used = 0
    for i, h in enumerate(hits):
        sents = judge.sentences(h.paper)[1:]  # [0] is the title, always shown
        sims = judge.vectors(h.paper)[1:] @ query_vec
        order = sorted(range(len(sents)), key=lambda j: -float(sims[j]))
        cap = int(budget * top_share) if i == 0 else budget - used
        keep: list[int] = []
        size = count_tokens(format_source(i + 1, h.paper.title, []))
        for j in order[: None if i == 0 else others]:
            extra = count_tokens(sents[j]) + 1
            if size + extra > cap:
                continue
            keep.append(j)
            size += extra
        if not keep:
            if i == 0 and order:
                keep = [order[0]]  # the top paper always gives its best sentence
            else:
                continue
        chosen.append((h, [sents[j] for j in sorted(keep)]))
        used += size
        if used >= budget:
            break
    return [Source(n=i, hit=h, evidence=ev) for i, (h, ev) in enumerate(chosen, 1)]
