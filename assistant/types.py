"""The records passed between pipeline stages, defined once.

papers -> chunks -> hits -> sources -> citations -> answers / summaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Paper:
    """One paper: what a corpus reader produces."""

    paper_id: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    url: str | None = None
    venue: str | None = None
    links: tuple[str, ...] = ()
    source: str = ""  # "file:line" where the record came from


@dataclass(frozen=True)
class BadRecord:
    """A record a reader skipped, with the place and the reason."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Chunk:
    """A piece of one paper's abstract; `position` counts from 0."""

    chunk_id: str
    paper_id: str
    title: str
    text: str
    position: int


@dataclass
class Passage:
    """A chunk that matched a query, with its rank in each retriever (1-based, None = absent)."""

    chunk_id: str
    text: str
    position: int
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Hit:
    """A retrieved paper: fused score, why it came up, and its best passages."""

    paper: Paper
    score: float
    dense_rank: int | None
    lexical_rank: int | None
    dense_similarity: float | None
    passages: list[Passage] = field(default_factory=list)
    name_match: bool = False  # the paper carries a rare name the query used (CaSED, TopoLM)

    @property
    def snippet(self) -> str:
        return self.passages[0].text if self.passages else self.paper.abstract[:300]


@dataclass
class Source:
    """A numbered source given to the model: the hit plus the evidence shown."""

    n: int
    hit: Hit
    evidence: list[str]

    @property
    def paper(self) -> Paper:
        return self.hit.paper


@dataclass
class Citation:
    """One [n] in an answer, mapped to its paper, with its best support score (only supported ones are kept)."""

    n: int
    paper_id: str
    title: str
    support: float | None = None


class Action(StrEnum):
    """What the claim check did to one sentence or citation of a draft."""

    KEPT = "kept"  # a cited source states the sentence
    ATTRIBUTED = "attributed"  # the sentence cited nothing (or a wrong source); a source that states it was added
    DROPPED = "dropped"  # this citation's source does not state the sentence
    OFF_TOPIC = "off-topic"  # the sentence is far from the question and cites a source other than the top one
    JOINT = "joint"  # no one cited source states the sentence, the cited sources together do (summaries)
    UNSUPPORTED = "unsupported"  # no source states the sentence: it is not shown
    RESTATED = "restated"  # the sentence only restates the question: it is not shown
    STANCE = "stance"  # "Yes, <the question>": the stance alone is shown, resting on the source's sentence
    RESTANCED = "restanced"  # "No, <the question, affirmed>": the stance is set by the verified statement
    UNSTANCED = "unstanced"  # "Yes, <content>": no source backs the stance; the content is shown without it
    CONTRADICTED = "contradicted"  # "Yes, <a finding>" whose cited source negates that finding: the citation goes
    NAMED = "named"  # the draft only named sources ("[1]", "S^3 [1]") to "Which paper ...?": the question's predicate was added
    UNANSWERED = "unanswered"  # to a yes/no question, a sentence whose sources state it but do not answer the question
    PREMISE = "premise"  # "X does P by Q" to "How does X do P?", no source states P: the source's sentence is quoted
    UNANCHORED = "unanchored"  # "It ..."/"This is because ..." after a sentence not shown: its source's sentence is quoted
    QUOTED = "quoted"  # to a yes/no question, no sentence of the draft held: the answering source's sentences are quoted
    LISTED = "listed"  # to "Which papers ...?", a source the draft did not cite whose abstract states the predicate
    REPEATED = "repeated"  # a summary sentence says again what one shown above says: it is not shown
    REFUSED = "refused"  # the whole answer is a refusal; `reason` says why


@dataclass
class Flag:
    """One change the check made, for the UI's "support check" note and the eval rows."""

    action: Action
    sentence: str = ""
    n: int | None = None
    support: float | None = None
    reason: str = ""


@dataclass
class Claim:
    """One shown answer sentence, its kept citations, and the source text each citation rests on."""

    text: str
    cited: list[int]
    evidence: dict[int, str] = field(default_factory=dict)
    support: dict[int, float] = field(default_factory=dict)
    verbatim: bool = False  # the text is its source's own sentence in quotes, not the model's words


@dataclass
class Answer:
    """A finished answer: text with checked [n] citations, its sources and timings."""

    question: str
    text: str
    refused: bool
    citations: list[Citation]
    sources: list[Source]
    model: str
    timings: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    standalone_question: str | None = None
    draft: str = ""  # the model's text before the citation check
    flagged: list[Flag] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    related: list[Hit] = field(default_factory=list)
