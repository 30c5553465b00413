"""Answers as text: references and BibTeX export."""

from __future__ import annotations

import re

from assistant.render import bibtex, references
from assistant.types import Action, Answer, Citation, Flag, Paper


def test_bibtex_keys_are_unique_when_papers_collide():
    papers = [Paper(paper_id=f"p{i}", title=f"Learning {what}", abstract="A.")
              for i, what in enumerate(["to rank", "to search", "to see"])]  # no authors, no year, same first word
    papers.append(Paper(paper_id="p9", title="Sparse features", abstract="B.", authors=("Ada Smith",), year=2023))
    keys = re.findall(r"^@article\{([^,]+),", bibtex(papers), re.M)
    assert keys == ["anonlearning", "anonlearningb", "anonlearningc", "smith2023sparse"]


def test_bibtex_escapes_braces():
    out = bibtex([Paper(paper_id="p", title="Sets {A} and B", abstract="Uses {x}.")])
    assert "title = {{Sets \\{A\\} and B}}" in out and "abstract = {Uses \\{x\\}.}" in out


def test_references_say_when_a_yes_no_answer_is_its_sources_quotes():
    a = Answer(question="Is X needed?", text="\u201cX is not needed\u201d. [1]", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[], model="m",
               flagged=[Flag(Action.QUOTED, n=1, reason="No yes or no could be checked ...")])
    out = references(a)
    assert out.startswith("No yes or no could be checked ...\nReferences:")
    assert "[1] T1  (p1)" in out
    assert "No yes or no could be checked" not in references(Answer(question="q", text="A [1].", refused=False,
                                                   citations=[Citation(1, "p1", "T1")], sources=[], model="m"))


def test_references_say_which_papers_were_added_to_the_draft():
    a = Answer(question="Which papers study X?", text='"T1" studies X [1]. "T2" studies X [2].', refused=False,
               citations=[Citation(1, "p1", "T1"), Citation(2, "p2", "T2")], sources=[], model="m",
               flagged=[Flag(Action.LISTED, '"T2" studies X.', 2, reason="...")])
    out = references(a)
    assert out.endswith("([2] added: the draft did not name them; their abstracts state what the question asks)")
    assert "added" not in references(Answer(question="q", text="A [1].", refused=False,
                                            citations=[Citation(1, "p1", "T1")], sources=[], model="m"))


def test_references_say_which_sentences_became_their_sources_words():
    a = Answer(question="How does T1 do X?", text="\u201cT1 does Y\u201d [1].", refused=False,
               citations=[Citation(1, "p1", "T1")], sources=[], model="m",
               flagged=[Flag(Action.PREMISE, "T1 does X by Y.", 1, 0.2, reason="...")])
    assert references(a).endswith("(quoted from [1]: the draft took from the question what the source does not "
                                  "state)")
