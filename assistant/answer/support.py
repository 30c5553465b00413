"""Does a source support a sentence? An offline judge from the project's own embedder plus word overlap.

score = w * (best cosine between the sentence and any sentence of the source, title included)
      + (1 - w) * (IDF-weighted share of the sentence's content words found in the source)
A sentence that states a number or a name (PlainMamba, ImageNet, GPT-4: a word with inner
capitals or digits; plain acronyms such as ML are often paraphrases, so they do not count)
that the source does not contain is capped at `cap`: small models invent exactly such
details, or pin one paper's result on another.

As a verifier (verify/overlap.py) its threshold is chosen on the dev half of eval/verifier_pairs.jsonl.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

import numpy as np

from assistant.index.chunking import split_sentences
from assistant.index.embedding import Embedder
from assistant.types import Paper

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NAME = re.compile(r"\b(?<!\d\.)(?=\w*[A-Z])(?=[\w-]*(?:[a-z][A-Z]|\d))[\w-]{2,}")  # not "3G" of "1.3G"
STOPWORDS = frozenset("""
    a an the and or of to in on for with by from as at is are was were be been being this that these those it its
    their they we our which who what how why when where does do did can could may might will would should not no
    paper papers work study studies approach method methods propose proposes proposed show shows using use used
    based new also than then into over such via about source sources authors author yes""".split())


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def stem(word: str) -> str:
    return word[:6]


def names(text: str) -> set[str]:
    """Name-like tokens, lower-cased: words with inner capitals, or letters with digits.

    >>> sorted(names("PlainMamba beats ViT-B on ImageNet with GPT-4 and 12 layers, says ML."))
    ['gpt-4', 'imagenet', 'plainmamba', 'vit-b']
    """
    return {m.lower() for m in _NAME.findall(text) if not m.isdigit()}


_LONE_NUMBER = re.compile(r"(?<![\w.@-])(\d+(?:\.\d+)?)(%?)(?!\w)")  # 0.05, 90 (of 90-day); not GPT-4, 7B, @10
_ACRONYM = re.compile(r"(?<![\w-])[A-Z]{4,}(?![\w-])")  # SPLADE, MMMU, UMAP (names() leaves these to paraphrase)
_DIMENSION = re.compile(r"\d+d")  # 2D, 3D: as often written out ("two-dimensional")


def specifics(question: str) -> set[str]:
    """What a question asks about by name or by number, as the question writes them: its name-like tokens, its
    acronyms of four or more capitals, and its numbers that stand alone.

    >>> sorted(specifics("Were SAVs tested on InternVL or GPT-4 with 0.05% of heads in 2D, at 90-day follow-up?"))
    ['0.05', '90', 'GPT-4', 'InternVL']
    >>> specifics("Give 3 findings of the top 5 papers from 2023 with 7% gains")
    {'7'}
    >>> sorted(specifics("Does ColBERTv2 beat SPLADE?")), specifics("WHAT DOES CASED DO?")
    (['ColBERTv2', 'SPLADE'], set())
    """
    said = {m for m in _NAME.findall(question) if not m.isdigit() and not _DIMENSION.fullmatch(m.lower())}
    words = re.findall(r"[A-Za-z]{2,}", question)
    if sum(w.isupper() for w in words) <= len(words) / 2:  # a question typed in capitals names nothing by them
        said |= set(_ACRONYM.findall(question))
    return said | {n for n, pct in _LONE_NUMBER.findall(question.replace(",", "")) if _measured(n, pct)}


def _measured(number: str, percent: str) -> bool:
    """A number a paper would report (0.05, 7%, 90 of "90-day"), not one that frames a request ("the top 3
    papers", "2 findings") or dates it ("papers from 2023": abstracts carry no year)."""
    if "." in number or percent:
        return True
    return int(number) >= 10 and not 1900 <= int(number) <= 2099


_NUMBER_WORDS = {w: str(i) for i, w in enumerate("ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
                                                  "eighteen nineteen twenty".split(), 10)}
_NUMBER_WORDS |= {w: str(10 * i) for i, w in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)}
_NUMBER_WORDS["hundred"] = "100"
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")


_BOUND = re.compile(r"\b(?:below|above|under|over|beyond|exceed(?:s|ing)?|(?:more|less|fewer|greater|higher|lower|"
                    r"larger|smaller|better|worse) than|at (?:least|most))\s+(?:[~$]\s*)?(\d[\d,]*(?:\.\d+)?)(?!\w|\.\d)", re.I)


def bounds(question: str) -> set[str]:
    """The numbers a question compares against, as specifics() gives them: "below 0.5" -> {"0.5"}.

    >>> sorted(bounds("Does it train for more than 10 hours on at least 1,000 images over 2D scans?"))
    ['10', '1000']
    >>> bounds("Is p below 0.05.")
    {'0.05'}
    """
    return {m.replace(",", "") for m in _BOUND.findall(question)}


def unmentioned(question: str, texts: Iterable[str], keep_bounds: bool = True) -> set[str]:
    """The question's specifics that none of the texts contains (compared lower-cased): a paper cannot answer a
    question about InternVL or a 0.05% dose that it never mentions. A hyphenated name counts as mentioned by its
    head ("S4" for "S4-level"). With `keep_bounds` False, a number the question compares against ("below 0.5", "more
    than 48 hours") is a bound the asker sets, not a specific: "Is the Hurst parameter below 0.5?" is answered by
    a paper reporting 0.70.

    >>> sorted(unmentioned("Were SAVs tested on InternVL, at S4-level, with 0.05%?", ["SAVs beat S4 (p<0.5)."]))
    ['0.05', 'InternVL']
    >>> unmentioned("It keeps 10 features at 1.3G FLOPs.", ["Ten features suffice at 1.3G FLOPs."])
    set()
    >>> unmentioned("Is H below 0.5?", ["H is 0.70."]), unmentioned("Is H below 0.5?", ["H is 0.70."], keep_bounds=False)
    ({'0.5'}, set())
    """
    if not keep_bounds:
        question = _BOUND.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + "a bound", question)
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(0)], " ".join(texts).lower().replace(",", ""))

    def said(s: str) -> bool:
        if s[0].isdigit():
            return re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", text) is not None
        head = s.split("-")[0]
        return s in text or (head != s and any(ch.isdigit() for ch in head) and head in text)

    return {s for s in specifics(question) if not said(s.lower())}


def numbers(text: str) -> set[str]:
    return {n.lstrip("0") or "0" for n in _NUMBER.findall(text.replace(",", ""))}


class SupportJudge(Protocol):
    def scores(self, claims: list[str], paper: Paper) -> list[float]: ...

    def relevance(self, claims: list[str], query_vec: np.ndarray) -> list[float]: ...


class EmbeddingJudge:
    """Sentence-level similarity with the embedder, mixed with IDF-weighted overlap; source vectors cached."""

    def __init__(self, embedder: Embedder, *, weight: float = 0.3, cap: float = 0.3,
                 corpus: Iterable[str] = ()) -> None:
        self.embedder = embedder
        self.weight = weight
        self.cap = cap
        self._cache: dict[tuple[str, str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self.df: Counter[str] = Counter()
        self.n_docs = 0
        self.fit(corpus)

    def fit(self, texts: Iterable[str]) -> None:
        """Document frequencies (by stem) for the IDF weights."""
        for t in texts:
            self.df.update({stem(w) for w in content_words(t)})
            self.n_docs += 1

    def idf(self, word: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(stem(word), 0) + 0.5))

    def overlap(self, claim: str, source_text: str) -> float:
        """IDF-weighted share of the claim's content words found in the source (6-letter prefix match)."""
        words = content_words(claim)
        if not words:
            return 0.0
        src = {stem(w) for w in content_words(source_text)}
        weights = {w: self.idf(w) for w in words}
        total = sum(weights.values()) or 1.0
        return sum(v for w, v in weights.items() if stem(w) in src) / total

    def sentences(self, paper: Paper) -> list[str]:
        return [paper.title, *split_sentences(paper.abstract)]

    def vectors(self, paper: Paper) -> np.ndarray:
        """One vector per sentence (title first), cached by the text itself: a summary checks a paper's key
        sentences, which differ from topic to topic, under the paper's own id."""
        key = (paper.paper_id, paper.title, paper.abstract)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self.embedder.embed(self.sentences(paper))
            return self._cache[key]

    @lru_cache(maxsize=16)  # noqa: B019  (check() scores the same claims against every source)
    def claim_vectors(self, claims: tuple[str, ...]) -> np.ndarray:
        return self.embedder.embed(list(claims))

    def scores(self, claims: list[str], paper: Paper) -> list[float]:
        if not claims:
            return []
        sims = self.claim_vectors(tuple(claims)) @ self.vectors(paper).T
        text = f"{paper.title} {paper.abstract}"
        have = numbers(text)
        lowered = text.lower()
        out = []
        for i, c in enumerate(claims):
            s = self.weight * float(sims[i].max()) + (1 - self.weight) * self.overlap(c, text)
            if numbers(c) - have or any(n not in lowered for n in names(c)):
                s = min(s, self.cap)
            out.append(s)
        return out

    def relevance(self, claims: list[str], query_vec: np.ndarray) -> list[float]:
        """Cosine between each claim and the question: is the sentence about what was asked?"""
        return [float(x) for x in self.claim_vectors(tuple(claims)) @ query_vec] if claims else []

    def best_sentences(self, query_vec: np.ndarray, paper: Paper, n: int) -> list[str]:
        """The n abstract sentences closest to the query, in their original order."""
        sents = self.sentences(paper)[1:]
        sims = self.vectors(paper)[1:] @ query_vec
        keep = sorted(np.argsort(-sims)[:n].tolist())
        return [sents[i] for i in keep]

    def rests_on(self, claim: str, paper: Paper) -> str:
        """The abstract sentence(s) a verified claim rests on, verbatim, one per line: the sentence closest to
        it, and the sentence holding the most of the claim's (IDF-weighted) words the first lacks, when those
        are a fifth or more of the claim's words: a claim that joins two sentences rests on both."""
        sents = self.sentences(paper)[1:]
        if not sents:
            return paper.title
        best = int(np.argmax(self.claim_vectors((claim,))[0] @ self.vectors(paper)[1:].T))
        weight = {stem(w): self.idf(w) for w in content_words(claim)}
        missing = set(weight) - {stem(w) for w in content_words(sents[best])}

        def adds(i: int) -> float:
            return sum(weight[w] for w in missing & {stem(w) for w in content_words(sents[i])})

        keep = [best]
        others = [i for i in range(len(sents)) if i != best]
        if others and weight and adds(second := max(others, key=adds)) >= 0.2 * sum(weight.values()):
            keep.append(second)
        return "\n".join(sents[i] for i in sorted(keep))
