"""ALCE-style citation recall and precision, judged by a pluggable support judge.

Per answer sentence (its first three citations):
- the sentence is *supported* when its cited sources together support it (the judge scores
  the sentence against the concatenation of their texts);
- a citation is *irrelevant* when it fails alone and the remaining citations still support
  the sentence.
citation recall = supported sentences / sentences; citation precision = relevant
citations / citations. A sentence without citations counts as unsupported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.answer.citations import split_cited
from assistant.types import Paper

# (claim, sources) -> score in [0, 1]; the default wraps the project's EmbeddingJudge
Judge = Callable[[str, list[Paper]], float]
MAX_CITES = 3


@dataclass
class AlceScore:
    sentences: int
    supported: int
    citations: int
    relevant: int

    @property
    def recall(self) -> float | None:
        return self.supported / self.sentences if self.sentences else None

    @property
    def precision(self) -> float | None:
        return self.relevant / self.citations if self.citations else None


def embedding_judge(judge: object) -> Judge:
    """Adapt EmbeddingJudge.scores to (claim, sources): sources joined into one text."""

    def score(claim: str, papers: list[Paper]) -> float:
        if not papers:
            return 0.0
        if len(papers) == 1:
            return judge.scores([claim], papers[0])[0]  # type: ignore[attr-defined]
        joined = Paper(paper_id="+".join(p.paper_id for p in papers), title=" / ".join(p.title for p in papers),
                       abstract=" ".join(p.abstract for p in papers))
        return judge.scores([claim], joined)[0]  # type: ignore[attr-defined]

    return score


def alce(answer: str, sources: dict[int, Paper], judge: Judge, threshold: float) -> AlceScore:
    """Citation recall/precision of one answer whose [n] markers refer to `sources`."""
    out = AlceScore(0, 0, 0, 0)
    for s in split_cited(answer):
        cited = [n for n in s.cited if n in sources][:MAX_CITES]
        out.sentences += 1
        if not cited:
            continue
        together = judge(s.text, [sources[n] for n in cited]) >= threshold
        out.supported += together
        for n in cited:
            out.citations += 1
            alone = judge(s.text, [sources[n]]) >= threshold
            rest = [sources[m] for m in cited if m != n]
            irrelevant = not alone and bool(rest) and judge(s.text, rest) >= threshold
            out.relevant += together and not irrelevant
    return out
