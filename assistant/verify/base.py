"""The verifier seam: does a paper state a claim? One small interface, several judges behind it.

A judge returns, per claim, a score in [0, 1] (higher: the paper states it) and the
paper text the score rests on, so a reader can check the exact sentence. Each judge's
threshold is calibrated on the dev half of eval/verifier_pairs.jsonl
(eval/calibrate_verifier.py) and lives in settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.types import Paper


@dataclass(frozen=True)
class Support:
    """How strongly a paper states one claim, and the paper's own words it rests on."""

    score: float
    evidence: str


class Verifier(Protocol):
    name: str

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        """One Support per claim, judged against the paper's title and abstract only."""
        ...

