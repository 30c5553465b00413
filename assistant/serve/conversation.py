"""Follow-up questions resolved against the conversation, including the papers earlier answers cited.

A client sends the whole conversation with every request; an earlier answer comes back as the text
the client received, with its [n] markers but not the papers behind them. `cited_papers` finds
those papers again, trying in turn:

1. the message itself: the `sources` array this server returned, sent back with the message;
2. the server's memory of its recent answers (`AnswerMemory`, keyed by the answer's text);
3. the index: each sentence citing [n] is searched for, and its top paper taken; a checked
   citation's source states that sentence, so it ranks first.

`resolve` then decides what to ask. A short question that refers back ("What did they improve?",
"this method", "And the datasets?") gets the title of the paper the last answer cited first
written into it, and is searched as it stands: no model call, and retrieval sees the title. A
question that refers back to an answer that cited nothing goes to the model's rewrite with the
earlier turns. Any other question stands alone.

    >>> m = [Message("user", "Which paper proposes BOAT?"),
    ...      Message("assistant", "BOAT adds bilateral local attention [1].",
    ...              {"sources": [{"index": 1, "paper_id": "p1", "title": "BOAT: Bilateral Local Attention"}]}),
    ...      Message("user", "What did they improve?")]
    >>> resolve(m, memory=AnswerMemory(8), search=lambda s: None).question
    'What did the authors of BOAT: Bilateral Local Attention improve?'
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from assistant.serve.request import Message

_MARK = re.compile(r"\[(\d+)\]")
_NOUN = r"(?:paper|papers|work|works|study|studies|article|method|methods|approach|approaches|model|models|" \
        r"framework|technique|system|architecture|dataset|benchmark)"
_BACK = re.compile(rf"\b(?:(?:the|this|that|these|those|both) {_NOUN}|the authors?|they|them|their|its|it|this)\b",
                   re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and|also|what about|how about|and what about)\b", re.I)
MAX_FOLLOWUP_WORDS = 14  # longer questions carry their own topic; a pronoun in them is not a reference back


@dataclass(frozen=True)
class PaperRef:
    paper_id: str
    title: str
    url: str | None = None


@dataclass
class Resolved:
    question: str  # what to ask
    history: list[dict[str, str]] | None  # earlier turns for the model's rewrite, or None: ask as it stands
    about: list[PaperRef]  # papers the question was taken to refer to
    how: str  # "standalone", "cited-paper" or "rewrite"


class AnswerMemory:
    """The numbered papers behind recent answers, by answer text (whitespace-insensitive); thread-safe, bounded."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, dict[int, PaperRef]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()

    def remember(self, text: str, papers: dict[int, PaperRef]) -> None:
        if self.size <= 0 or not papers:
            return
        with self._lock:
            self._items[self._key(text)] = papers
            self._items.move_to_end(self._key(text))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def recall(self, text: str) -> dict[int, PaperRef] | None:
        with self._lock:
            return self._items.get(self._key(text))


def markers(text: str) -> list[int]:
    """The [n] numbers of a text in first-appearance order.

    >>> markers("A [2]. B [1][2].")
    [2, 1]
    """
    return list(dict.fromkeys(int(n) for n in _MARK.findall(text)))


def _from_message(message: Message) -> dict[int, PaperRef]:
    out: dict[int, PaperRef] = {}
    sources = message.extra.get("sources")
    if isinstance(sources, list):
        for s in sources:
            if isinstance(s, dict) and isinstance(s.get("index"), int) and isinstance(s.get("paper_id"), str):
                out[s["index"]] = PaperRef(s["paper_id"], str(s.get("title") or s["paper_id"]), s.get("url"))
    return out


def cited_papers(message: Message, *, memory: AnswerMemory, search: Callable[[str], PaperRef | None]
                 ) -> dict[int, PaperRef]:
    """The paper behind each [n] of an assistant message, in the order the text cites them."""
    wanted = markers(message.text)
    if not wanted:
        return {}
    known = _from_message(message) or memory.recall(message.text) or {}
    if not all(n in known for n in wanted):
        votes: dict[int, dict[PaperRef, int]] = {}
        for sentence in re.split(r"(?<=[.!?])\s+", message.text):
            plain = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(_MARK.sub(" ", sentence).split()))
            cited = [n for n in markers(sentence) if n not in known]
            if not cited or len(plain) < 12:
                continue
            if (top := search(plain)) is not None:
                for n in cited:
                    votes.setdefault(n, {})[top] = votes.get(n, {}).get(top, 0) + 1
        known = {**known, **{n: max(v, key=lambda p: v[p]) for n, v in votes.items()}}
    return {n: known[n] for n in wanted if n in known}


def refers_back(question: str) -> bool:
    """Whether a question leans on the conversation: short, and a pronoun or "this method", or elliptical.

    >>> refers_back("What did they improve?"), refers_back("And the datasets?"), refers_back("What is BOAT?")
    (True, True, False)
    """
    words = question.split()
    if len(words) > MAX_FOLLOWUP_WORDS:
        return False
    return bool(_BACK.search(question) or _ELLIPSIS.match(question))


def with_papers(question: str, papers: list[PaperRef]) -> str:
    """The question with its first reference back replaced by the paper's title.

    >>> p = [PaperRef("x", "VMamba")]
    >>> with_papers("How does it scan images?", p), with_papers("What are their results?", p)
    ('How does VMamba scan images?', "What are VMamba's results?")
    >>> with_papers("And the datasets?", p)
    'And the datasets in VMamba?'
    """
    m = _BACK.search(question)
    # "they", "their", "the authors": the authors of the main paper; "them", "these papers": every cited one
    plural = bool(m and re.match(r"(?:these|those|both|them)\b|the (?!authors\b)\w+s\b", m.group(0), re.I))
    named = " and ".join(p.title for p in (papers[:3] if plural else papers[:1]))
    if not m:
        return f"{question.strip().rstrip('?.! ')} in {named}?"
    word = m.group(0).lower()
    if word in ("they", "them", "the author", "the authors"):
        repl = f"the authors of {named}"
    elif word in ("their", "its"):
        repl = f"{named}'s"
    else:
        repl = named
    if m.start() == 0 or question[:m.start()].rstrip().endswith((".", "?", "!")):
        repl = repl[0].upper() + repl[1:]
    return question[:m.start()] + repl + question[m.end():]


def resolve(messages: list[Message], *, memory: AnswerMemory, search: Callable[[str], PaperRef | None],
            turns: int = 4) -> Resolved:
    """What to ask for the last message, given the earlier ones."""
    question, earlier = messages[-1].text.strip(), messages[:-1]
    if not earlier or not refers_back(question):
        return Resolved(question, None, [], "standalone")
    for m in reversed(earlier):  # the latest answer that cited something
        if m.role == "assistant" and (cited := cited_papers(m, memory=memory, search=search)):
            papers = list(dict.fromkeys(cited.values()))
            return Resolved(with_papers(question, papers), None, papers, "cited-paper")
    history = [{"role": m.role, "content": " ".join(_MARK.sub(" ", m.text).split())} for m in earlier][-turns:]
    return Resolved(question, history, [], "rewrite")
