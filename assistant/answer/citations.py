"""The citation contract: sources are numbered 1..n and cited inline as [n].

Accepted forms: [1], [1][2], [1, 2], [1-3]. Numbers outside 1..n are dropped; a marker
left with no number disappears. Answers are split into sentences, each with the set of
sources it cites, and rendered back as text with normalised markers.

    >>> parse_numbers("[1-3]")
    [1, 2, 3]
    >>> keep_valid("A [1, 9]. B [7].", 2)
    'A [1]. B.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from assistant.index.chunking import split_sentences

MARKER = re.compile(r"\s*\[(\s*\d+\s*(?:(?:[-–,]|\]\s*\[)\s*\d+\s*)*)\]")
_MAX_RANGE = 20
_LEAD_MARKERS = re.compile(r"^((?:\s*\[[^\]]*\])+)\s*")
_PARTIAL_MARKER = re.compile(r"\s*\[[\d\s,\-–\]\[]*")  # the start of a marker whose "]" has not come yet


def parse_numbers(marker: str) -> list[int]:
    """Numbers in one marker's text, ranges expanded, order kept, duplicates dropped."""
    out: list[int] = []
    for part in re.split(r"[,\]\[]+", marker.strip("[] ")):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part)
        nums = range(int(m.group(1)), int(m.group(2)) + 1) if m and int(m.group(2)) - int(m.group(1)) < _MAX_RANGE \
            else [int(x) for x in re.findall(r"\d+", part)]
        out += [n for n in nums if n not in out]
    return out


def format_marker(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def keep_valid(text: str, n_sources: int) -> str:
    """Text with every marker reduced to the numbers 1..n_sources (a marker with none is removed)."""

    def fix(m: re.Match[str]) -> str:
        nums = [n for n in parse_numbers(m.group(1)) if 1 <= n <= n_sources]
        return " " + format_marker(nums) if nums else ""

    return MARKER.sub(fix, text)


_CITE = re.compile(r"\[(\d+)\]")
# markers standing where a noun belongs: opening the sentence (after a stance, "Both", "Paper(s)", "Source(s)") or
# after "with"/"while"/"whereas", and followed by a lower-case word that does not start a new clause
_NOUN_MARKERS = re.compile(
    r"(^\W*(?:(?:yes|no)\W+)?(?:(?:both|papers?|sources?)\s+)?|\b(?:with|while|whereas)\s+)"
    r"(\[\d+\](?:\s*(?:,\s*and|,|and|or)\s*\[\d+\])*)"
    r"(?=\s+(?!(?:and|or|but|which|where|while|whereas|that|as|to|in|for|on|by|with|from|of|the|a|an)\b)(?-i:[a-z]))",
    re.I)


# "[2] Derives ...": a capitalised third-person verb after markers that open the sentence (small models write it so)
_VERB_AFTER = re.compile(
    r"^(\W*(?:(?:yes|no)\W+)?(?:(?:both|papers?|sources?)\s+)?(\[\d+\](?:\s*(?:,\s*and|,|and|or)\s*\[\d+\])*)\s+)"
    r"(?!(?:this|its|as|thus|towards|whereas|perhaps)\b)(?-i:([A-Z][a-z]*s))\b"
    # "Results show", "Transformers are", "Jones et al.": a plural noun and its verb, not a verb
    r"(?!\s+(?:are|were|have|had|can|could|may|might|will|would|should|do|did|show|suggest|indicate|confirm|"
    r"demonstrate|reveal|find|remain|outperform|et)\b)", re.I)


def opens_with_subject(sentence: str, titles: dict[int, str] | None = None) -> bool:
    """Whether markers opening the sentence belong to it, not to the sentence before ("... holds. [1] The next
    one"): they are its subject ("[2] uses ...", "[2] Uses ..."), or, with `titles`, its label ("[2] LD-ZNet: ...
    uses X", see labelled).

    >>> opens_with_subject("[2] uses X."), opens_with_subject("[2] Derives X."), opens_with_subject("[2] The X.")
    (True, True, False)
    """
    return bool(_NOUN_MARKERS.match(verb_case(sentence, titles or {}))) or labelled(sentence, titles or {}) is not None


_NAME_END = re.compile(r"\s*(?::|\s-{1,2}\s|\s[\u2013\u2014]\s)")  # "ColBERTv2: ...", "S^3 -- ..."
_OPENING = " \"'*\u201c\u2018"  # what may come between the markers and a title: quotes, bold


def _is_name(text: str) -> bool:
    """Whether the words could only be a paper's name, not a sentence's first word: several words, or one word with
    a capital inside, a digit or a symbol ("LD-ZNet", "S^3", "UFO"; not "Learning", not "Mamba")."""
    return len(text.split()) > 1 or bool(re.search(r".[A-Z]|\d|[^\w\s]", text))


def _title_forms(title: str) -> list[str]:
    """A title as a sentence may open with it (lower case): whole, and the name before its colon or dash, each only
    where it could only be a name."""
    full = " ".join(title.split())
    m = _NAME_END.search(full)
    forms = [full, full[: m.start()]] if m else [full]
    return [f.lower() for f in forms if f and _is_name(f)]


def _after_markers(sentence: str) -> str:
    lead = _LEAD_MARKERS.match(sentence)
    return _opening_words(sentence[lead.end():]) if lead else ""


def _opening_words(text: str) -> str:
    return " ".join(text.lower().lstrip(_OPENING).split())


def title_opening(text: str, titles: dict[int, str], prefer: Iterable[int] = ()) -> int | None:
    """The source whose title (or the name that opens it) the text opens with: the longest match, then one of
    `prefer`, then the highest number.

    >>> title_opening('"LD-ZNet" uses X.', {1: "UFO: A", 2: "LD-ZNet: A Latent"}), title_opening("It uses X.", {1: "UFO: A"})
    (2, None)
    """
    words, prefer = _opening_words(text), set(prefer)
    found = [(len(form), n in prefer, n) for n, title in titles.items() for form in _title_forms(title)
             if words.startswith(form) and not words[len(form):len(form) + 1].isalnum()]
    return max(found)[2] if found else None


def labelled(sentence: str, titles: dict[int, str]) -> int | None:
    """The source a sentence is a list item about, where markers open it and a source's title (or the name that
    opens the title) follows them: "[2] LD-ZNet: A Latent ... uses X." Small models list papers so; the marker
    labels the item and does not cite the sentence before. Where one marker and the title differ, the title says
    which paper the sentence is about; several markers must include it. Ties go to the longest match, then to the
    marker's own source.

    >>> labelled("[2] LD-ZNet uses X.", {1: "UFO: A Unified Approach", 2: "LD-ZNet: A Latent Diffusion Approach"})
    2
    >>> labelled('[1] "Grounded Object Centric Learning" uses X.', {1: "A", 3: "Grounded Object Centric Learning"})
    3
    >>> labelled("[1] The model uses X.", {1: "The Hidden Attention of Mamba Models"}) is None
    True
    >>> labelled("[1] **S^3** uses X.", {2: "A B", 1: "S^3 -- Semantic"}), labelled("[1] UFO X.", {1: "UFO: A", 2: "UFO: B"})
    (1, 1)
    >>> labelled("[1] Learning rates matter.", {1: "Learning (Almost) Anything"}) is None  # a first word, no name
    True
    """
    lead = _LEAD_MARKERS.match(sentence)
    if not lead:
        return None
    marked = _numbers_in(lead.group(1))
    n = title_opening(sentence[lead.end():], titles, prefer=marked)
    return n if n is not None and (len(marked) == 1 or n in marked) else None


def without_title(text: str, title: str) -> str:
    """The text after the title (or the name opening it) that it opens with: what the sentence says of the paper.

    >>> without_title('"LD-ZNet": uses X.', "LD-ZNet: A Latent Approach"), without_title("Other uses X.", "LD-ZNet")
    ('uses X.', 'Other uses X.')
    >>> without_title("Alpha Study's model uses X.", "Alpha Study"), without_title("**S^3** uses X.", "S^3 -- Semantic")
    ("'s model uses X.", 'uses X.')
    """
    for form in _title_forms(title):
        words = r"\s+".join(re.escape(w) for w in form.split())
        if m := re.match(rf"\s*([\"'*\u201c\u2018]+)?{words}(?!\w)(?(1)[\"'*\u201d\u2019]*)\s*:?\s*", text, re.I):
            return text[m.end():]
    return text


def may_open_with_title(sentence: str, titles: dict[int, str]) -> bool:
    """Whether the text after the markers opening an unfinished sentence could still become a source's title
    (a stream waits to see whether the markers label it): an opening quote alone may still become one."""
    lead = _LEAD_MARKERS.match(sentence)
    if lead and sentence[lead.end():].strip() and not sentence[lead.end():].strip(_OPENING):
        return True
    after = _after_markers(sentence)
    return bool(after) and any(form.startswith(after) and form != after
                               for title in titles.values() for form in _title_forms(title))


def verb_case(sentence: str, titles: dict[int, str]) -> str:
    """The sentence with a capitalised verb after its opening markers in lower case ("[2] Derives" -> "[2]
    derives"), so the markers read as its subject; a word of a cited title ("[1] Transformers are SSMs") stays.

    >>> verb_case("[2] Derives X.", {2: "Alpha"}), verb_case("[1] Transformers are SSMs.", {1: "Transformers are SSMs"})
    ('[2] derives X.', '[1] Transformers are SSMs.')
    """
    m = _VERB_AFTER.match(sentence)
    if not m:
        return sentence
    words = {w.lower() for c in _CITE.finditer(m.group(2)) for w in re.findall(r"\w+", titles.get(int(c.group(1)), ""))}
    if m.group(3).lower() in words:
        return sentence
    return sentence[: m.start(3)] + m.group(3).lower() + sentence[m.end(3):]


def name_sources(sentence: str, titles: dict[int, str]) -> tuple[str, set[int]]:
    """One sentence whose markers used as names ("[1] develops ...", "[1] and [3] study ...") get their sources'
    titles in front, and the numbers so named: the sentence then says which paper it is about (what "which
    paper ...?" asks), and each named source has to state it.

    >>> name_sources("[1] and [3] study X [1].", {1: "A", 3: "C"})
    ('"A" [1] and "C" [3] study X [1].', {1, 3})
    >>> name_sources("Yes, [2] uses Y, with [1] using Z.", {1: "A", 2: "B"})
    ('Yes, "B" [2] uses Y, with "A" [1] using Z.', {1, 2})
    >>> name_sources("X holds [1] and Y holds [2].", {1: "A", 2: "B"})
    ('X holds [1] and Y holds [2].', set())
    >>> name_sources("[1] Alpha beats Beta.", {1: "Alpha beats"})  # a title or label after the marker: left alone
    ('[1] Alpha beats Beta.', set())
    """
    named: set[int] = set()

    def title(c: re.Match[str]) -> str:
        n = int(c.group(1))
        if n not in titles:
            return c.group()
        named.add(n)
        return f'"{titles[n]}" {c.group()}'

    text = _NOUN_MARKERS.sub(lambda m: m.group(1) + _CITE.sub(title, m.group(2)), sentence)
    return text, named


def each_named(sentence: str, titles: dict[int, str]) -> dict[int, str]:
    """For a sentence whose subject names several sources ("[1] and [3] study X"), what each of them has to state:
    the sentence about that source alone. A paper asked whether it states "A and C study X" reads a claim about
    another paper too, and says no.

    >>> each_named("[1] and [3] study X [2].", {1: "A", 2: "B", 3: "C"})
    {1: '"A" [1] studies X [2].', 3: '"C" [3] studies X [2].'}
    >>> each_named("[1] studies X.", {1: "A"})
    {}
    """
    out: dict[int, str] = {}
    for group in _NOUN_MARKERS.finditer(sentence):
        numbers = [int(c.group(1)) for c in _CITE.finditer(group.group(2)) if int(c.group(1)) in titles]
        if len(numbers) < 2:
            continue
        rest = re.sub(r"^(\s+)([a-z]+)", lambda v: v.group(1) + _singular(v.group(2)), sentence[group.end(2):])
        for n in numbers:
            out[n] = name_sources(sentence[: group.start(2)] + f"[{n}]" + rest, titles)[0]
    return out


_WHICH = re.compile(
    r"^\s*(?:which|what)\s+(?:(?:one|ones)\s+of\s+the\s+|of\s+the\s+)?(?:two\s+|three\s+)?"
    r"(?:(?!(?:do|does|did|is|are|was|were|the|a|an|of|in|on|for|by|with)\b)[\w-]+\s+){0,3}?"  # "zero-shot learning"
    r"(?P<noun>papers?|works?|stud(?:y|ies)|articles?|publications?|methods?|approach(?:es)?|models?|frameworks?)\s+"
    r"(?:(?:in|of|from)\s+(?:the|this)\s+collection\s+|here\s+)?"
    r"(?P<rest>(?!(?:can|could|would|should|will|shall|the|a|an|they|it)\b)[a-z].*?)\s*\?*\s*$", re.I)
# "Which paper does topic modeling by ...?": "does" is the verb; "Which method do transformers use?", "Which paper
# does the survey rely on?": an auxiliary (a subject follows, and the question ends on its verb or a preposition)
_DO_VERB = re.compile(
    r"(?:do|does|did)\s+(?!(?:the|a|an|this|that|these|those|it|its|they|their|we|our|you|your|he|she|his|her)\b)"
    r"(?-i:[a-z])[\w-]*(?:\s+[\w-]+)*?\s+(?:for|by|with|using|of|in|on|from|via|to|[\w-]+ing)\s+[\w-]+.*", re.I)
_LY_VERBS = frozenset({"apply", "comply", "imply", "multiply", "rely", "reply", "supply", "fly"})  # not adverbs
_MODALS = frozenset({"can", "could", "will", "would", "may", "might", "must", "should", "shall"})


# "Which papers X, and how do they differ?": a second question (a question word then an auxiliary, or an auxiliary
# then its subject, after ", and") is no part of what a paper does; "..., and how it extends to Y" is
_SECOND_QUESTION = re.compile(
    r",\s+and\s+(?:(?:what|how|which|why|where|who|whom|whether)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:do|does|did|is|are|was|were|can|could|would|should|has|have)|"
    r"(?:do|does|did|is|are|was|were|can|could|would|should|has|have)\s+(?:they|it|these|those|each|the|both))\b.*$",
    re.I)
_ED_VERBS = frozenset({"embed", "need", "feed", "seed", "exceed", "proceed", "succeed", "speed", "shed", "breed"})


def _adverb(word: str) -> bool:
    w = word.lower()
    return w in ("also", "both", "all", "each", "then") or w.endswith("ly") and w not in _LY_VERBS


def _singular(verb: str) -> str:
    """A plural verb made third person singular: study -> studies, use -> uses, are -> is; past forms unchanged.

    >>> [_singular(v) for v in ("study", "use", "discuss", "are", "has", "proposed", "also", "apply", "jointly", "embed")]
    ['studies', 'uses', 'discusses', 'is', 'has', 'proposed', 'also', 'applies', 'jointly', 'embeds']
    """
    w = verb.lower()
    if _adverb(w):
        return verb  # an adverb, not the verb
    if w in ("are", "have", "do", "were"):
        return {"are": "is", "have": "has", "do": "does", "were": "was"}[w]
    if w in _MODALS or w.endswith("ed") and w not in _ED_VERBS:
        return verb
    if w.endswith("s") and not w.endswith("ss"):
        return verb  # already singular: has, uses, studies
    if w.endswith(("ss", "sh", "ch", "x", "z")):
        return verb + "es"
    if w.endswith("y") and w[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def is_name_of(text: str, title: str) -> bool:
    """Whether the text is the title, or the name that opens it ("ColBERTv2: ...", "S^3 -- ...").

    >>> is_name_of('"S^3"', "S^3 -- Semantic Signal Separation"), is_name_of("ColBERTv2", "ColBERTv2: Effective")
    (True, True)
    >>> is_name_of("Col", "ColBERTv2: Effective"), is_name_of("It uses X", "It uses X and Y"), is_name_of("", "A")
    (False, False, False)
    """
    said = " ".join(text.strip(" \t\"'“”.,;:").lower().split())
    full = " ".join(title.lower().split())
    if not said or not full.startswith(said):
        return False
    return full == said or full[len(said):].lstrip()[:1] in tuple(":-\u2013\u2014(|")


_NOUNS = r"(?:papers?|works?|articles?|studies|publications?)"
_LIST_REQUEST = re.compile(  # "List the papers on X.", "Show me papers that use X", "papers about X?"
    rf"^\s*(?:(?:please\s+)?(?:list|show(?:\s+me)?|find|give(?:\s+me)?)\s+(?:all\s+)?(?:the\s+)?|any\s+)?{_NOUNS}\s+"
    r"(?:(?:in|of|from)\s+(?:the|this)\s+collection\s+)?"
    r"(?:(?P<about>on|about|regarding|covering)|(?:that|which))\s+(?P<rest>[^.?!]+?)[\s.?!]*$", re.I)
# "zero-shot learning papers?": a few words and a plural noun, nothing else
_TOPIC_PAPERS = re.compile(r"^\s*(?P<rest>\w[\w'-]*(?:\s+[\w'-]+){0,4}?)\s+(?:papers|works|articles|studies|publications)"
                           r"[\s.?!]*$", re.I)


# words that make "<words> papers" a request or a choice of papers, not a topic ("Compare the two papers", "recent
# papers?", "Case studies")
_NOT_A_TOPIC = (r"\b(?:which|what|whats|how|why|who|where|when|do|does|did|are|is|was|were|can|could|list|show|find|"
                r"any|all|the|these|those|other|compare|summarize|summarise|explain|recommend|describe|give|tell|read|"
                r"suggest|some|two|three|both|key|recent|latest|top|many|no|my|your|our|good|best|more|few|several|"
                r"important|relevant|interesting|seminal|new|related|previous|earlier|future|case|original|cited|"
                r"similar|these|such|main|major|influential)\b")


def which_form(question: str) -> str:
    """A request for papers typed as users type it, said as "Which papers ...?" (the form named_answer reads); any
    other question as it is.

    >>> which_form("List the papers on sparse autoencoders."), which_form("papers about state space models?")
    ('Which papers are about sparse autoencoders?', 'Which papers are about state space models?')
    >>> which_form("Show me papers that use CLIP"), which_form("zero-shot learning papers?")
    ('Which papers use CLIP?', 'Which papers are about zero-shot learning?')
    >>> which_form("What is Mamba?"), which_form("Which papers study SSMs?"), which_form("Do these papers agree?")
    ('What is Mamba?', 'Which papers study SSMs?', 'Do these papers agree?')
    >>> which_form("whats the main result of the colbertv2 paper"), which_form("the other papers")
    ('whats the main result of the colbertv2 paper', 'the other papers')
    >>> which_form("Compare the two papers"), which_form("recent papers?"), which_form("Future works")
    ('Compare the two papers', 'recent papers?', 'Future works')
    >>> which_form("Show me papers that use CLIP. What do they find?")
    'Show me papers that use CLIP. What do they find?'

    """
    if m := _LIST_REQUEST.match(question):
        return f"Which papers {'are about ' if m.group('about') else ''}{m.group('rest')}?"
    if (m := _TOPIC_PAPERS.match(question)) and not re.search(_NOT_A_TOPIC, m.group("rest"), re.I):
        return f"Which papers are about {m.group('rest')}?"
    return question


def named_answer(sentence: str, question: str, titles: dict[int, str] | None = None) -> str:
    """A sentence of bare markers ("[1]", "[1] and [2]"), or one source's name and its marker ("S^3 [1]"),
    answering "Which paper(s) <predicate>?" is a name used as the whole answer: it becomes "[1] <predicate>.",
    which name_sources gives its title and the source must state (a name alone would only be checked as a
    title its source states). Any other sentence is returned as it is.

    >>> named_answer("[1]", "Which paper introduces ColBERTv2?")
    '[1] introduces ColBERTv2.'
    >>> named_answer("[2].", "Which papers in the collection study state space models for vision?")
    '[2] studies state space models for vision.'
    >>> named_answer("[1] and [3]", "What papers discuss X?"), named_answer("[1-2], [3]", "Which works use Y?")
    ('[1] and [3] discuss X.', '[1], [2] and [3] use Y.')
    >>> named_answer("[1]", "Which zero-shot learning paper uses the visual space?")
    '[1] uses the visual space.'
    >>> named_answer("[1]", "What is Mamba?"), named_answer("[1]", "Which dataset does the paper use?")
    ('[1]', '[1]')
    >>> named_answer("S^3 [1]", "Which paper does topic modeling by signal separation?", {1: "S^3 -- Semantic Signal"})
    '[1] does topic modeling by signal separation.'
    >>> named_answer("S^3 uses X [1]", "Which paper uses X?", {1: "S^3 -- Semantic Signal"})
    'S^3 uses X [1]'
    >>> named_answer("[1]", "Which method do transformers use?"), named_answer("[1]", "Which paper does attention help?")
    ('[1]', '[1]')
    >>> named_answer("[1]", "Which papers do zero-shot classification using class embeddings?")
    '[1] does zero-shot classification using class embeddings.'
    >>> named_answer("[2]", "Which papers embed data in hyperbolic space, and what does each use it for?")
    '[2] embeds data in hyperbolic space.'
    >>> named_answer("[2]", "Which papers explain what X means, and how it extends to Y?")
    '[2] explains what X means, and how it extends to Y.'
    >>> named_answer("[2]", "Which papers formally connect Mamba to attention?")
    '[2] formally connects Mamba to attention.'
    >>> named_answer("[1], [2]", "List the papers on sparse autoencoders.")  # which_form
    '[1] and [2] are about sparse autoencoders.'
    """
    m = _WHICH.match(which_form(question))
    if m and re.match(r"(?:do|does|did)\b", m.group("rest"), re.I) and not _DO_VERB.fullmatch(m.group("rest")):
        m = None  # "does" is the auxiliary: the question's predicate is not what the paper does
    cited = _numbers_in(sentence)
    numbers = [f"[{n}]" for n in cited]
    bare = _ONLY_MARKERS.fullmatch(re.sub(r"\band\b|[,&.]", " ", sentence))
    name = len(cited) == 1 and cited[0] in (titles or {}) and is_name_of(MARKER.sub("", sentence), (titles or {})[cited[0]])
    if not m or not numbers or not (bare or name):
        return sentence
    markers = " and ".join(numbers) if len(numbers) < 3 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    verb, _, tail = _SECOND_QUESTION.sub("", m.group("rest")).partition(" ")
    one = len(numbers) == 1
    plural = m.group("noun").lower().endswith(("s", "ies"))
    if one and plural:
        verb = _singular(verb)
        if _adverb(verb) and tail:  # "formally connect" -> "formally connects"
            second, _, rest = tail.partition(" ")
            tail = f"{_singular(second)}{' ' + rest if rest else ''}"
    return f"{markers} {verb}{' ' + tail if tail else ''}."


_NEGATED = re.compile(r"(?:(?:do|does|did)\s*n[o']t|not|never|no)\b", re.I)


def lists_papers(question: str) -> bool:
    """Whether the question asks which papers (several) do something, in a form named_answer turns into a claim.

    >>> lists_papers("Which papers apply sparse autoencoders to language models?")
    True
    >>> lists_papers("Which paper introduces ColBERTv2?"), lists_papers("Which models do transformers beat?")
    (False, False)
    >>> lists_papers("What works best for retrieval?"), lists_papers("Which papers don't use attention?")
    (False, False)
    """
    m = _WHICH.match(which_form(question))
    return m is not None and m.group("noun").lower() in {"papers", "studies", "articles", "publications"} \
        and not _NEGATED.match(m.group("rest")) and named_answer("[1]", question) != "[1]"


@dataclass
class Sentence:
    text: str  # without markers
    cited: list[int] = field(default_factory=list)
    named: list[int] = field(default_factory=list)  # cited sources the sentence names (name_sources): each must state it
    own: dict[int, str] = field(default_factory=dict)  # n -> what source n must state, where several are named (each_named)
    said: str = ""  # the text without the titles that say which paper: name_sources' or a list item's ("" = the text)
    asked: bool = False  # the question's predicate put to the source(s) a draft named only (named_answer)


def split_cited(text: str, titles: dict[int, str] | None = None) -> list[Sentence]:
    """Sentences with the numbers each cites; markers that open a sentence belong to the one before, unless
    they are its subject ("[2] uses ..."). With `titles`, markers used as names get their titles (name_sources),
    and markers followed by a title label a list item about that title's source (labelled)."""
    out: list[Sentence] = []
    for raw in split_sentences(text):
        raw = verb_case(raw, titles) if titles else raw  # the verb is lower-cased where a title goes in front
        lead = _LEAD_MARKERS.match(raw)
        item = labelled(raw, titles) if titles and lead else None
        if item is not None:  # "[2] LD-ZNet: ... uses X.": the item is about the paper its title names
            if item not in _numbers_in(lead.group(1)):  # type: ignore[union-attr]  # miscounted: the title decides
                raw = f"[{item}] {raw[lead.end():]}"  # type: ignore[union-attr]
        elif lead and out and not _NOUN_MARKERS.match(raw):
            out[-1].cited += [n for n in _numbers_in(lead.group(1)) if n not in out[-1].cited]
            raw = raw[lead.end():]
        own = {n: _plain(t) for n, t in each_named(raw, titles).items()} if titles else {}
        said = _plain(raw)
        if item is not None:  # it names its source by the title already: that source must state it
            named, said = {item}, _plain(without_title(MARKER.sub("", raw), titles[item]))  # type: ignore[index]
        else:
            raw, named = name_sources(raw, titles) if titles else (raw, set())
        if plain := _plain(raw):
            out.append(Sentence(plain, _numbers_in(raw), sorted(named), own, said if named else ""))
    return out


def _plain(text: str) -> str:
    """The text without markers, spaces normalised."""
    return re.sub(r"\s+([.,;:!?])", r"\1", " ".join(MARKER.sub("", text).split()))


def _numbers_in(text: str) -> list[int]:
    out: list[int] = []
    for m in MARKER.finditer(text):
        out += [n for n in parse_numbers(m.group(1)) if n not in out]
    return out


def render(sentences: list[Sentence]) -> str:
    """Sentences joined, each marker placed before its final punctuation: 'A claim [1][2].'"""
    parts = []
    for s in sentences:
        if not s.cited:
            parts.append(s.text)
            continue
        body, end = (s.text[:-1], s.text[-1]) if s.text[-1:] in ".!?" else (s.text, "")
        parts.append(f"{body} {format_marker(s.cited)}{end}")
    text = ""
    for s, part in zip(sentences, parts, strict=True):
        sep = "\n\n" if text and s.text.startswith("**") else " " if text else ""
        text += sep + part
    return text


class StreamFilter:
    """Passes streamed text on, holding back a possible marker until it closes, then keeping valid numbers only."""

    def __init__(self, n_sources: int) -> None:
        self.n = n_sources
        self.held = ""

    def feed(self, piece: str) -> Iterator[str]:
        self.held += piece
        while self.held:
            start = self.held.find("[")
            if start < 0:
                yield self.held
                self.held = ""
                return
            start = len(self.held[:start].rstrip())  # the space before a marker goes with it if it is dropped
            if start:
                yield self.held[:start]
                self.held = self.held[start:]
            end = self.held.find("]")
            if end < 0:
                if len(self.held) > 40 or not _PARTIAL_MARKER.fullmatch(self.held):
                    yield self.held[0]
                    self.held = self.held[1:]
                    continue
                return
            marker, self.held = self.held[: end + 1], self.held[end + 1 :]
            yield keep_valid(marker, self.n) if MARKER.fullmatch(marker) else marker

    def flush(self) -> str:
        """What is held back at the end; a marker the stream cut off before its "]" is no citation and goes."""
        out, self.held = self.held, ""
        return "" if _PARTIAL_MARKER.fullmatch(out) else out


_ONLY_MARKERS = re.compile(r"(?:\s*\[[^\]]*\]?)*\s*")
_OPENING_GROUP = re.compile(r"\s*\[[^\]]*\]?(?:\s*(?:,\s*and|,|and|or)?\s*\[[^\]]*\]?)*")  # "[1] and [2]", "[1], [3"


class SentenceStream:
    """Collects streamed text and hands out whole sentences, each with the markers that close it.

    A sentence is complete once the next one has begun with something other than markers
    (markers that open a sentence belong to the one before, as in split_cited, unless they are its
    subject: "[2] uses ...", "[1] and [2] study ...", "[2] Derives ...", or, with titles, its label: "[2] LD-ZNet:
    ... uses X").

    >>> s = SentenceStream()
    >>> s.feed("A is true. [1")
    []
    >>> s.feed("] B is")
    ['A is true. [1]']
    >>> s.flush()
    'B is'
    """

    def __init__(self, titles: dict[int, str] | None = None) -> None:
        self.buf = ""
        self.titles = titles  # the sources' titles: "[1] Transformers ..." opens with a title, not a verb

    def feed(self, piece: str) -> list[str]:
        self.buf += piece
        parts = split_sentences(self.buf)
        if len(parts) < 2:
            return []
        for i in range(1, len(parts) - 1):  # sentences complete in one piece: as if they had come piece by piece
            if (lead := _LEAD_MARKERS.match(parts[i])) and not opens_with_subject(parts[i], self.titles):
                parts[i - 1] += " " + lead.group(1).strip()
                parts[i] = parts[i][lead.end():]
        parts = [p for p in parts if p.strip()]
        if len(parts) < 2:
            return []
        last = parts[-1]
        if _ONLY_MARKERS.fullmatch(last):
            done, rest = parts[:-2], " ".join(parts[-2:])
        else:
            done, rest = parts[:-1], last
            if lead := _LEAD_MARKERS.match(last):
                group = _OPENING_GROUP.match(last)
                after = last[group.end():] if group else last[lead.end():]
                if re.fullmatch(r"\s*\w*", after) or re.search(r"(?:\band|\bor|,)\s*$", last):
                    return []  # whether the markers are the next sentence's subject shows with the word after them
                if self.titles and may_open_with_title(last, self.titles):
                    return []  # ... or its label: "[2] LD-ZN" may become source [2]'s title
                if not opens_with_subject(last, self.titles):
                    done[-1] += " " + lead.group(1).strip()
                    rest = last[lead.end():]
        if not done:
            return []
        self.buf = rest + (" " if self.buf[-1:].isspace() else "")
        return done

    def flush(self) -> str:
        out, self.buf = self.buf.strip(), ""
        return out
