"""The verifier seam: does a paper state a claim? One small interface, several judges behind it.

A judge returns, per claim, a score in [0, 1] (higher: the paper states it) and the
paper text the score rests on (the LLM judge reads the whole abstract and returns it all; the
claim check then points at the exact sentences, answer/support.py `rests_on`). Thresholds live
in settings: the LLM judge's is chosen on sentences the model drafted for dev questions
(eval/calibrate_threshold.py), the others' are the best F0.5 on the dev half of
eval/verifier_pairs.jsonl (eval/bench_verifiers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from assistant.types import Paper


@dataclass(frozen=True)
class Support:
    """How strongly a paper states one claim, and the paper's own words it rests on."""

    score: float
    evidence: str
    passed: bool | None = None  # decided by a judge with its own bar (the prefix shortcut); None: score vs threshold
    note: str = ""  # why it failed, where a rule rather than the score decided


class Verifier(Protocol):
    name: str

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        """One Support per claim, judged against the paper's title and abstract only."""
        ...


@runtime_checkable
class StanceJudge(Protocol):
    """A judge that can also read a paper's answer to a yes/no question (the LLM judge, when `reads_stance`)."""

    reads_stance: bool

    def stance(self, question: str, paper: Paper) -> tuple[float, float]:
        """P(the paper answers the question "yes") and P(it answers "no"); the rest: it does not say."""
        ...
