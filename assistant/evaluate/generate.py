"""Candidate lookup questions from a user's own collection, for them to review before use.

Each question is written by the local model from one paper's abstract, tied to that paper
as gold, and checked for copied title words; a question that still copies them after one
retry is kept but marked, so the reviewer sees it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

from assistant.answer.prompts import render
from assistant.answer.support import content_words
from assistant.llm.base import LLM, complete
from assistant.types import Paper


def title_words(title: str) -> set[str]:
    return {w for w in content_words(title) if len(w) > 3}


def copied(question: str, title: str) -> float:
    """Share of the title's distinctive words that the question repeats."""
    words = title_words(title)
    return len(words & content_words(question)) / len(words) if words else 0.0


def generate(papers: list[Paper], llm: LLM, n: int, *, seed: int = 0, max_copy: float = 0.34) -> Iterator[dict[str, Any]]:
    """Yield up to n candidate rows in the eval format, with review hints."""
    rng = random.Random(seed)
    for i, p in enumerate(rng.sample(papers, min(n, len(papers))), 1):
        banned = ", ".join(sorted(title_words(p.title))) or "(none)"
        q = ""
        for _ in range(2):
            out = complete(llm, [{"role": "user", "content": render("generate_question", title=p.title,
                                                                        abstract=p.abstract[:1500], banned=banned)}],
                           max_tokens=60, temperature=0.7)
            q = re.sub(r"^(question:\s*)", "", out.strip().splitlines()[0] if out.strip() else "", flags=re.I).strip()
            if q and copied(q, p.title) <= max_copy:
                break
        yield {"id": f"gen{i:03d}", "kind": "lookup", "question": q, "gold": [p.title], "answer_facts": [],
               "source_paper_id": p.paper_id, "copies_title": round(copied(q, p.title), 2),
               "needs_review": True}
