"""Names in a query: a user who types "What is CaSED?" wants the paper that says CaSED.

Dense similarity of such a short query is low and rank fusion can bury the one exact match,
so papers that contain a rare name of the query (four or more characters with two capitals or
a capital with a digit after it: CaSED, LASI, S3MA, ColBERTv2, TopoLM) are put first. Names that many papers
carry (ImageNet, GPT-4) are common knowledge rather than a pointer, so they are left to ranking.
A title's short name (the words before its colon: "HL Dataset", "UFO") is a name too when it carries an
acronym, however short: in a title it names that paper ("What does the HL Dataset contain?"), where
anywhere else "HL" or "UFO" would be too short to point at anything. And a word the query capitalizes
where no sentence starts ("the Faiss library", "in 'From Bricks to Bridges'") names the papers whose title
carries it, when few papers use the word at all and none of them writes it in lower case
(Retriever.name_matches): the asker's capital says it is a name, the papers' own spelling agrees, the title
says whose. A quoted run of words that begins a title ('I Bet You Did Not Mean That') names that paper,
whatever its words (the snapshot keeps the titles' words sorted for that); so does a run of words the query
capitalizes that is a title's whole short name ("Does Vision Mamba use attention?" for "Vision Mamba: ...").
(assistant.answer.support.names is a different rule for a different job: details a source must
contain, where all-caps acronyms are usually paraphrases.)
"""

from __future__ import annotations

import re
import unicodedata
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


_WORD = re.compile(r"[\w^+-]+(?:'s)?")
TITLE_NAME_WORDS = 3  # "PubMed 200k RCT"; a longer lead-in ("Representation Learning for ...") is a description
_TITLE_KEY = "title:"


def _marked(word: str) -> bool:
    """A part with two capitals, or a capital and a digit: HL, UFO, CL2R, S^2IP-LLM (not Mamba, 200k, Multi-Scale)."""
    return any(sum(ch.isupper() for ch in p) >= 2 or (p[:1].isupper() and any(ch.isdigit() for ch in p))
               for p in word.split("-"))


def _words(text: str) -> list[str]:
    return [w.removesuffix("'s") for w in _WORD.findall(text)]


def title_name(title: str) -> str | None:
    """The key of a title's short name: the words before its colon when they are few and one is an acronym.

    >>> title_name("HL Dataset: Grounding High-Level Linguistic Concepts in Vision")
    'title:hl dataset'
    >>> title_name("Vision Mamba: Efficient Visual Representation Learning") is None  # plain words: a topic
    True
    >>> title_name("UFO: A Unified Approach"), title_name("ImageNet: A Large-Scale Database")
    ('title:ufo', None)
    """
    head, colon, _ = title.partition(":")
    words = _words(head)
    if not colon or not 0 < len(words) <= TITLE_NAME_WORDS or not any(map(_marked, words)):
        return None
    if len(words) == 1 and _is_name(words[0]):
        return None  # "ImageNet: ..." is left to the name rule, which knows how many papers use the name
    return _TITLE_KEY + " ".join(words).lower()


def title_name_keys(query: str) -> set[str]:
    """The keys of the short titles a query may mention: its runs of up to TITLE_NAME_WORDS words that hold an
    acronym as the query writes it ("the HL dataset" -> "title:hl dataset"; "the hl dataset" gives none).

    >>> sorted(title_name_keys("What is UFO?"))
    ['title:is ufo', 'title:ufo', 'title:what is ufo']
    """
    words = _words(query)
    out = set()
    for i in range(len(words)):
        for j in range(i + 1, min(i + TITLE_NAME_WORDS, len(words)) + 1):
            if any(map(_marked, words[i:j])):
                out.add(_TITLE_KEY + " ".join(words[i:j]).lower())
    return out


_PLAIN_WORD = re.compile(r"[^\W\d_](?:[\w^-]|'(?=\w))*")  # on plain() text: one apostrophe form
_LEAD = re.compile(r"[\s\"'\u201c\u2018(*\u2022-]*$")  # quotes, brackets and bullets before a word
_SENTENCE_END = ".?!:"


def plain(text: str) -> str:
    """NFC, with curly apostrophes straightened: "Poincaré" and "Plato\u2019s" written one way."""
    return unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the word at `at` begins the text, a sentence or a line (quotes, brackets and bullets before it aside):
    there a capital says nothing."""
    before = text[:at]
    lead = _LEAD.search(before)
    rest = before[: lead.start()] if lead else before
    return not rest or rest[-1] in _SENTENCE_END or "\n" in before[len(rest):]


def capitalized_words(query: str) -> set[str]:
    """Words of four or more characters the query writes with a capital where no sentence or line starts, other
    than name-like words (name_tokens has those): "Faiss", "Matryoshka", "Bricks". A hyphenated word gives its
    parts ("Ollivier-Ricci": "Ricci"; a capital after a hyphen is meant even at a sentence's start).

    >>> sorted(capitalized_words("What is the Faiss library? Does it beat HNSW in 'From Bricks to Bridges'?"))
    ['Bricks', 'Bridges', 'Faiss', 'From']
    >>> sorted(capitalized_words("Ollivier-Ricci curvature and Plato\u2019s cave:\\n- Annoy"))
    ['Plato', 'Ricci']
    """
    query = plain(query)
    out = set()
    for m in _PLAIN_WORD.finditer(query):
        starts = _starts_sentence(query, m.start())
        for i, part in enumerate(m.group(0).removesuffix("'s").split("-")):
            if len(part) >= 4 and part[0].isupper() and (i or not starts) and not name_tokens(part):
                out.add(part)
    return out


def capitalized_runs(query: str) -> list[str]:
    """Runs of words the query writes each with a capital, next to each other, two or more of them where no sentence
    or line starts ("Does Vision Mamba use attention?": "Vision Mamba"), as run_words gives them: a title's short
    name written as a name. A run that begins a sentence is given with and without its first word, whose capital
    says nothing ("Diverse Beam Search is fast": both "diverse beam search" and "beam search").

    >>> capitalized_runs("Does Vision Mamba use attention? Diverse Beam Search is, per Latent Compass, fast.")
    ['does vision mamba', 'vision mamba', 'diverse beam search', 'beam search', 'latent compass']
    """
    query = plain(query)
    runs: list[tuple[bool, list[str]]] = []  # (begins a sentence, words)
    end = -1
    for m in _PLAIN_WORD.finditer(query):
        starts = _starts_sentence(query, m.start())
        if not m.group(0)[0].isupper():
            end = -1
            continue
        if runs and end >= 0 and not starts and not query[end: m.start()].strip():
            runs[-1][1].append(m.group(0))
        else:
            runs.append((starts, [m.group(0)]))
        end = m.end()
    out = []
    for starts, words in runs:
        for cut in ((0, 1) if starts else (0,)):
            if len(words) - (1 if starts else 0) >= 2 and len(words) - cut >= 2:
                out.append(run_words(" ".join(words[cut:])))
    return out


def run_words(text: str) -> str:
    """A title or a quoted run as lower-case words joined by spaces, possessives and punctuation dropped,
    hyphens split: the form `quoted` and the snapshot's title keys share.

    >>> run_words("Escaping Plato\u2019s Cave: Large-Scale")
    'escaping plato cave large scale'
    """
    return " ".join(w.removesuffix("'s") for w in re.findall(r"\w+(?:'s)?", plain(text).lower()))


_QUOTED = re.compile(r"(?<!\w)['\"\u2018\u201c]((?:[^'\"\u2018\u2019\u201c\u201d]|(?<=\w)['\u2019](?=\w)){3,200}?)"
                     r"['\"\u2019\u201d](?!\w)")  # an apostrophe between letters is inside: 'Escaping Plato's Cave'
QUOTED_WORDS = 2  # one quoted word ('Mamba') is a name or a term, left to the rules above


def quoted(query: str) -> list[str]:
    """Runs of at least QUOTED_WORDS words the query puts in quotes, as run_words gives them.

    >>> quoted("Does 'I Bet You Did Not Mean That' test, is \u201cFrom Bricks\u201d the authors' 'Escaping Plato's Cave'?")
    ['i bet you did not mean that', 'from bricks', 'escaping plato cave']
    """
    runs = [run_words(m.group(1)) for m in _QUOTED.finditer(query)]
    return [r for r in runs if len(r.split()) >= QUOTED_WORDS]


def in_title(word: str, title: str) -> bool:
    """The title carries the word as written, as a whole word ("Ricci" in "Ollivier-Ricci Curvature")."""
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", plain(title)) is not None


_URL = re.compile(r"(?:https?://|www\.)\S+")


def written_as_name(word: str, texts: Iterable[str]) -> bool:
    """No text writes the word in lower case, links aside ("github.com/facebookresearch/faiss"): "Faiss" is a
    name, "Commands" in "natural language commands" is a word that a title capitalizes."""
    low = re.compile(rf"(?<!\w){re.escape(word.lower())}(?!\w)")
    return not any(low.search(_URL.sub(" ", plain(t))) for t in texts)


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
