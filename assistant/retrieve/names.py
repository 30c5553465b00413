"""Names in a query: a user who types "What is CaSED?" wants the paper that says CaSED.

Dense similarity of such a short query is low and rank fusion can bury the one exact match,
so papers that contain a rare name of the query (a word with two capitals or a digit among
capitals: CaSED, LASI, S3MA, ColBERTv2, TopoLM) are put first. Names that many papers carry
(ImageNet, GPT-4) are common knowledge rather than a pointer, so they are left to ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TOKEN = re.compile(r"[A-Za-z0-9][\w^-]*[A-Za-z0-9]")


def names(text: str) -> set[str]:
    """Name-like words: at least two capitals, or a capital and a digit.

    >>> sorted(names("What is CaSED, and does S3MA beat ColBERTv2 on ImageNet? Ask Bob."))
    ['CaSED', 'ColBERTv2', 'ImageNet', 'S3MA']
    """
    out = set()
    for w in _TOKEN.findall(text):
        caps = sum(ch.isupper() for ch in w)
        if caps >= 2 or (caps and any(ch.isdigit() for ch in w)):
            out.add(w)
    return out


class NameIndex:
    """Which papers contain which name (case-sensitive), built once per retriever."""

    def __init__(self, docs: Iterable[tuple[str, str]], max_papers: int = 3) -> None:
        self.max_papers = max_papers
        self.papers: dict[str, set[str]] = {}
        for pid, text in docs:
            for n in names(text):
                self.papers.setdefault(n, set()).add(pid)

    def matches(self, query: str) -> set[str]:
        """Papers carrying a name of the query that at most `max_papers` papers carry."""
        out: set[str] = set()
        for n in names(query):
            found = self.papers.get(n, set())
            if len(found) <= self.max_papers:
                out |= found
        return out
