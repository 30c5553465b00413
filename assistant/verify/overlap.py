"""The first judge: embedding similarity mixed with IDF-weighted word overlap (answer/support.py)."""

from __future__ import annotations

import numpy as np

from assistant.answer.support import EmbeddingJudge
from assistant.types import Paper
from assistant.verify.base import Support


class OverlapVerifier:
    """Wraps EmbeddingJudge.scores; the evidence is the paper sentence closest to the claim."""

    name = "overlap"

    def __init__(self, judge: EmbeddingJudge) -> None:
        self.judge = judge

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        if not claims:
            return []
        scores = self.judge.scores(claims, paper)
        sims = self.judge.claim_vectors(tuple(claims)) @ self.judge.vectors(paper).T  # cached by scores()
        sents = self.judge.sentences(paper)
        return [Support(float(s), sents[int(np.argmax(row))]) for s, row in zip(scores, sims, strict=True)]
