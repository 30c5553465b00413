"""Summary parts as pure logic: the contribution cache and the reduce's grouping (no model)."""

from __future__ import annotations

import numpy as np

from assistant.answer.summarize import ContributionCache, _groups, contribution
from assistant.types import Hit, Paper, Source


def hit(i: int) -> Hit:
    return Hit(Paper(f"p{i}", f"Paper {i}", f"Finding {i} one. Finding {i} two."), 0.0, 1, 1, 0.5)


class CountingLLM:
    """Counts tokens by words and completions by calls."""

    def __init__(self) -> None:
        self.calls = 0

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, messages, **kw):
        self.calls += 1
        yield "  It   contributes   a finding.  "


class Judge:
    def best_sentences(self, qvec, paper, n):
        return [paper.abstract]


def test_a_contribution_is_cached_per_paper_topic_and_model_across_restarts(tmp_path):
    llm, path = CountingLLM(), tmp_path / "cache.jsonl"
    args = {"llm": llm, "judge": Judge(), "qvec": np.ones(1)}
    first = contribution(hit(1), "topic", cache=ContributionCache(path), model="m", **args)  # type: ignore[arg-type]
    assert first == "It contributes a finding." and llm.calls == 1
    again = ContributionCache(path)  # a new process reads the file back
    assert contribution(hit(1), "Topic ", cache=again, model="m", **args) == first and llm.calls == 1  # type: ignore[arg-type]
    contribution(hit(1), "topic", cache=again, model="other", **args)  # type: ignore[arg-type]
    contribution(hit(2), "topic", cache=again, model="m", **args)  # type: ignore[arg-type]
    assert llm.calls == 3
    path.write_text(path.read_text() + "{not json\n")  # a line cut by a crash is skipped, the rest kept
    assert len(ContributionCache(path).data) == 3


def test_the_reduce_groups_papers_to_fit_the_budget_and_keeps_their_numbers():
    sources = [Source(n=i, hit=hit(i), evidence=[f"Contribution of paper {i} in five words."]) for i in range(1, 6)]
    groups = _groups(sources, CountingLLM(), budget=25)  # type: ignore[arg-type]
    assert [[s.n for s in g] for g in groups] == [[1, 2], [3, 4], [5]]  # about 11 words per paper line
    assert _groups(sources, CountingLLM(), budget=1000) == [sources]  # type: ignore[arg-type]
