"""Names in a query: a user who types "What is CaSED?" wants the paper that says CaSED.

Dense similarity of such a short query is low and rank fusion can bury the one exact match,
so papers that contain a rare name of the query (four or more characters with two capitals or
a capital with a digit after it: CaSED, LASI, S3MA, ColBERTv2, TopoLM) are put first. Names that many papers
carry (ImageNet, GPT-4) are common knowledge rather than a pointer, so they are left to ranking.
(assistant.answer.support.names is a different rule for a different job: details a source must
contain, where all-caps acronyms are usually paraphrases.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# only words with a capital followed later by a capital or a digit are looked at: one regex pass,
# so building the index over 100k abstracts costs half a BM25 build (eval/bench_names.py)
MAX_NAME_PAPERS = 3  # a name more papers carry is common knowledge, not a pointer
_CANDIDATE = re.compile(r"(?<![\w^-])(?=[\w^-]*[A-Z][\w^-]*[A-Z0-9])[A-Za-z0-9][\w^-]*[A-Za-z0-9]")


def _is_name(w: str) -> bool:
    """Four or more characters with two capitals, or a capital and a digit after it; a plural acronym (LLMs)
    counts as its singular. Short acronyms (GPU, LLM, F1, 3D) name common things, not a paper."""
    if w.endswith("s") and w[:-1].isupper():
        w = w[:-1]
    caps = sum(ch.isupper() for ch in w)
    return len(w) >= 4 and (caps >= 2 or (caps >= 1 and any(ch.isdigit() for ch in w)))


def name_tokens(text: str) -> set[str]:
    """Name-like words, and the name-like parts of hyphenated words (CaSED-based gives CaSED).

    >>> sorted(name_tokens("What is CaSED-based, and does S3MA beat ColBERTv2 on ImageNet with a GPU? Ask Bob."))
    ['CaSED', 'CaSED-based', 'ColBERTv2', 'ImageNet', 'S3MA']
    """
    out = set()
    for w in _CANDIDATE.findall(text):
        out |= {p for p in {w, *w.split("-")} if _is_name(p)}
    return out


class NameIndex:
    """Which papers contain which name (case-sensitive), built once per retriever."""

    def __init__(self, docs: Iterable[tuple[str, str]], max_papers: int = MAX_NAME_PAPERS) -> None:
        self.max_papers = max_papers
        self.papers: dict[str, set[str]] = {}
        for pid, text in docs:
            for n in name_tokens(text):
                self.papers.setdefault(n, set()).add(pid)

    def matches(self, query: str) -> set[str]:
        """Papers carrying a name of the query that at most `max_papers` papers carry."""
        out: set[str] = set()
        for n in name_tokens(query):
            found = self.papers.get(n, set())
            if len(found) <= self.max_papers:
                out |= found
        return out
