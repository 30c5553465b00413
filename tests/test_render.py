"""Answers as text: BibTeX export."""

from __future__ import annotations

import re

from assistant.render import bibtex
from assistant.types import Paper


def test_bibtex_keys_are_unique_when_papers_collide():
    papers = [Paper(paper_id=f"p{i}", title=f"Learning {what}", abstract="A.")
              for i, what in enumerate(["to rank", "to search", "to see"])]  # no authors, no year, same first word
    papers.append(Paper(paper_id="p9", title="Sparse features", abstract="B.", authors=("Ada Smith",), year=2023))
    keys = re.findall(r"^@article\{([^,]+),", bibtex(papers), re.M)
    assert keys == ["anonlearning", "anonlearningb", "anonlearningc", "smith2023sparse"]


def test_bibtex_escapes_braces():
    out = bibtex([Paper(paper_id="p", title="Sets {A} and B", abstract="Uses {x}.")])
    assert "title = {{Sets \\{A\\} and B}}" in out and "abstract = {Uses \\{x\\}.}" in out
