"""Claim-level scores against the papers' own sentences, with no model in the loop.

A claim (an answer sentence, its yes/no stance removed) is *grounded* in a paper when one
sentence of the abstract, or two adjacent ones, hold at least `COVER` of its content words
(6-letter stems; the paper's title words count as held), every number it states, and the same
polarity (a negation on one side only fails). `COVER` is checked against the hand labels of
eval/verifier_pairs.jsonl by eval/bench_verifiers.py (as the "lexical" row), so the metric's
own error is known. Scores:

- citation precision: (claim, cited paper) pairs where the claim is grounded in that paper;
- citation recall: claims grounded in at least one paper they cite (uncited claims miss);
- gold evidence cited: expected facts whose gold sentence grounds a claim that cites its paper;
- stance agreement: yes/no questions whose answer opens with the gold stance;
- misnamed claims: claims that open with one source's title, or the name that opens it, and cite other sources
  only (a claim about one paper that the reader would check in another);
- quotes: verbatim source sentences an answer quotes (check.stance_quotes) are grounded by construction, so
  precision is also given without them, and answers that quote are scored on whether a quote is gold evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.answer.check import statement
from assistant.answer.citations import split_cited, title_opening
from assistant.answer.support import content_words, numbers, stem
from assistant.index.chunking import split_sentences
from assistant.types import Paper

COVER = 0.7
QUOTE = "\u201c"  # a shown sentence opening with it is a source sentence quoted verbatim
_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot|neither|nor|fails?|failed|lacks?|\w+n't)\b", re.I)


def _stems(text: str) -> set[str]:
    return {stem(w.rstrip("s")) for w in content_words(text)}


def windows(abstract: str) -> list[list[str]]:
    sents = split_sentences(abstract)
    return [[s] for s in sents] + [sents[i:i + 2] for i in range(len(sents) - 1)]


def lexical_score(claim: str, paper: Paper) -> tuple[float, list[str]]:
    """The best window's share of the claim's content words (0 when a number or the polarity differs),
    and that window's sentences.

    >>> p = Paper("p", "CaSED", "CaSED needs no training. It beats CLIP by 5 points.")
    >>> lexical_score("CaSED beats CLIP by 5 points.", p)[0], lexical_score("CaSED beats CLIP by 9 points.", p)[0]
    (1.0, 0.0)
    >>> lexical_score("CaSED does not beat CLIP.", p)[0] < COVER
    True
    """
    claim = statement(claim)
    words = _stems(claim)
    title = _stems(paper.title)
    nums = numbers(claim)
    neg = bool(_NEGATION.search(claim))
    best: tuple[float, list[str]] = (0.0, [])
    for win in windows(paper.abstract):
        text = " ".join(win)
        main = max(win, key=lambda x: len(words & _stems(x)))  # polarity is read where the claim's words are
        if nums - numbers(f"{paper.title} {text}") or bool(_NEGATION.search(main)) != neg:
            continue
        cover = len(words & (_stems(text) | title)) / len(words) if words else 0.0
        if cover > best[0]:
            best = (cover, win)
    return best


def grounded(claim: str, paper: Paper) -> bool:
    return lexical_score(claim, paper)[0] >= COVER


@dataclass
class ClaimScore:
    claims: int = 0
    grounded: int = 0  # claims grounded in a paper they cite
    citations: int = 0
    correct: int = 0  # (claim, paper) pairs where the claim is grounded in that paper
    facts: int = 0
    facts_cited: int = 0  # facts whose gold sentence grounds a claim citing its paper
    quoted: int = 0  # (claim, cited paper) pairs whose claim is a quoted source sentence (check.stance_quotes)
    quoted_correct: int = 0
    quotes_gold: bool | None = None  # the answer's quotes hold a gold evidence sentence (None: no quotes or facts)
    misnamed: int = 0  # claims opening with one source's title (or name) that cite other sources only


def score_answer(answer: str, cited_papers: dict[int, Paper], facts: list[tuple[str, list[str]]] | None = None
                 ) -> ClaimScore:
    """Scores of one answer whose [n] markers map to `cited_papers`; `facts` are (gold title, evidence)."""
    out = ClaimScore()
    stated: set[int] = set()
    quotes: list[str] = []
    titles = {n: p.title for n, p in cited_papers.items()}
    for s in split_cited(answer):
        if len(content_words(s.text)) < 2:
            continue
        named = title_opening(s.text, titles)  # "LD-ZNet: ... uses X [3]": about one paper, cited to another
        out.misnamed += named is not None and bool(s.cited) and named not in s.cited
        quote = s.text.startswith(QUOTE)
        if quote:
            quotes.append(s.text.rstrip(".").strip(QUOTE + "\u201d"))
        out.claims += 1
        ok_any = False
        for n in s.cited:
            if n not in cited_papers:
                continue
            score, win = lexical_score(s.text, cited_papers[n])
            ok = score >= COVER
            out.citations += 1
            out.correct += ok
            if quote:
                out.quoted += 1
                out.quoted_correct += ok
            ok_any = ok_any or ok
            if ok and facts:
                for i, (title, evidence) in enumerate(facts):
                    if title == cited_papers[n].title and any(e in w or w in e for e in evidence for w in win):
                        stated.add(i)
        out.grounded += ok_any
    out.facts = len(facts or [])
    out.facts_cited = len(stated)
    if quotes and facts:
        out.quotes_gold = any(q in e or e in q for q in quotes for _, evidence in facts for e in evidence)
    return out


def stance(answer: str) -> str | None:
    """'yes' or 'no' when the answer opens with it."""
    m = re.match(r"\W*(yes|no)\b", answer, re.I)
    return m.group(1).lower() if m else None


def fact_sources(row: dict[str, Any], papers_by_title: dict[str, Paper]) -> list[tuple[str, list[str]]]:
    """(gold title, evidence sentences) per expected fact, from a question row's fact_evidence."""
    out = []
    for ev in row.get("fact_evidence") or []:
        title = next((t for t in row.get("gold") or [] if t in papers_by_title
                      and any(e in papers_by_title[t].abstract for e in ev)), "")
        out.append((title, list(ev)))
    return out
