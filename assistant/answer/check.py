"""The claim check: each sentence of a draft is shown only if a source it cites states it.

Per sentence:
- a heading, a connective or a sentence about the answer itself ("This is stated in [1].") is not a claim;
- citations to numbers that were not given are gone before this (citations.keep_valid);
- a sentence that says nothing the question does not already say is a restatement, not an
  answer ("A method retrofits vectors" to "Which method retrofits vectors?"): it is not shown;
  to a yes/no question, "Yes, <the question>" states the stance: its statement is checked, and it is
  shown as "Yes [1]." (an answer of bare stances quotes the source sentences they rest on);
- each cited source is asked, through the verifier, whether it states the sentence (a leading
  "Yes,"/"No," is the stance, checked through the statement that follows it), reading what the source
  showed the model where the caller gives it (`check_against`: title and evidence sentences); a source whose text
  lacks a name or a measured number the sentence uses does not state it, whatever the verifier says;
- to a yes/no question, a sentence is shown only when a source backing it answers the question
  (the judge's stance reading, `answers`): a true sentence about another population is no answer;
- a sentence far from the question (below `relevance_threshold`) may cite only the top source and those the
  question names (Hit.name_match):
  small models pad a lookup answer with on-source but off-topic lines from the others;
- a named answer ("[1]" to "Which paper X?", made "<title> X" by citations.named_answer) is the asker's words,
  which the judge reads lower than a source's own: the abstract judge decides it against its own bar
  (`named`: that judge and bar, calibrated on the dev which-questions); a sentence that names its source
  ("[3] trains ...", a named answer) says which paper does what, and is read against the whole abstract;
- a sentence that names several sources ("[1] and [3] study X") is checked on each of them
  with the sentence about that source alone; when just one of them states it, that sentence
  is shown (citations.each_named);
- a sentence whose citations all fail is attributed to the allowed source that states it, or
  is not shown;
- to a wh-question, a kept sentence that opens by saying again what the question assumes ("X does P by Q" to
  "How does X do P?") shows the source's own sentence instead when no source it rests on states that opening,
  read as the asker's words (`premises`): "Matrix subspace projection balances the losses of its multiple
  discriminators by not requiring multiple discriminators [1]" affirms a premise the paper denies;
- to a yes/no question whose draft loses every sentence, the source that answers it gives its own
  sentences, quoted, with no stance (`passages`, called by ask.fall_back);
- a kept sentence that opens by pointing back ("It ...", "This is because ...") at a draft sentence that was not
  shown gives way to the source sentence(s) it rests on, quoted (`alone`, called by ask.verify).
Every change is reported as a typed Flag; every kept citation carries the source text it rests on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import cast

import numpy as np

from assistant.answer import citations as cit
from assistant.answer.support import STOPWORDS, EmbeddingJudge, bounds, content_words, names, stem, unmentioned
from assistant.config import AnswerSettings
from assistant.index.chunking import split_sentences
from assistant.types import Action, Citation, Claim, Flag, Paper, Source
from assistant.verify.base import StanceJudge, Support, Verifier

_STANCE = re.compile(r"^\s*(?:yes|no)\s*(?:[,.:;!\u2014\u2013-]\s*|$)", re.I)  # "No prior work ..." is no stance
_YES_NO_QUESTION = re.compile(r"^\s*(?:is|are|was|were|does|do|did|can|could|has|have|had|will|would|should|"
                              r"may|might|must|shall)\b", re.I)


_WH = re.compile(r"^\s*(?:what|which|how|why|who|whom|whose|where)\b", re.I)
_FILLER = frozenset({"there", "exist", "here", "some", "one"})  # "there is one that ..." adds nothing
# words a sentence uses to talk about the answer rather than the papers ("This is a finding from the source.")
_FRAMING = frozenset("""finding findings result results state states stated statement describe described describes
    mention mentions mentioned report reports reported according evidence information detail details provide
    provides provided given text abstract""".split())


def _root(word: str) -> str:
    """A word without its inflection, for comparing sentence and question words: test, tests, testing -> test."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return stem(word[: -len(suffix)])
    return stem(word)


def _inflected_stopword(word: str) -> bool:
    """A stopword with an inflection ("uses", "shows", "approaches"), compared whole: "authorship" is not "author"."""
    return any(word.endswith(s) and word[: -len(s)] in STOPWORDS for s in ("s", "es", "d", "ed", "ing"))


def roots(text: str) -> set[str]:
    """The text's content words without their inflections (markers left out). A stopword's inflected form is a
    stopword too: "Vision Mamba uses attention" says nothing that "Does Vision Mamba use attention?" does not.

    >>> sorted(roots("Vision Mamba uses self-attention [2].")), sorted(roots("It shows tested authorship gains."))
    (['mamba', 'self-a', 'vision'], ['author', 'gain', 'test'])
    """
    return {_root(w) for w in content_words(cit.MARKER.sub("", text)) if not _inflected_stopword(w)}


def repeats(text: str, cited: list[int], shown: list[Claim], share: float) -> bool:
    """Whether a shown claim already says the text: at least `share` of the text's content words are in it, it
    cites every paper the text cites, and both are negated or neither is ("X does not hold" is news after "X holds").

    >>> said = [Claim("The papers study sparse autoencoders for LMs.", [2, 3])]
    >>> repeats("These papers study sparse autoencoders.", [2], said, 0.75)
    True
    >>> repeats("These papers study sparse autoencoders.", [4], said, 0.75), repeats("", [2], said, 0.75)
    (False, False)
    >>> repeats("The papers do not study sparse autoencoders.", [2], said, 0.75)
    False
    >>> repeats("Theme A studies probes, while theme B edits.", [1], [Claim("Theme A studies probes.", [1])], 0.75)
    False
    """
    said = roots(text)
    return bool(said) and any(len(said & roots(c.text)) >= share * len(said) and set(cited) <= set(c.cited)
                              and polarity(text) == polarity(c.text) for c in shown)


def is_yes_no(question: str) -> bool:
    """Whether the question can be answered yes or no: its first clause that opens with an auxiliary verb
    or a question word opens with the verb ("When X, does Y?" is a yes/no question; "In X, what is Y?" is not).

    >>> is_yes_no("Does CaSED need training?"), is_yes_no("What does CaSED need?")
    (True, False)
    >>> is_yes_no("For images, is a vocabulary needed?"), is_yes_no("In the paper, which model wins?")
    (True, False)
    """
    for clause in re.split(r"[,;:]", question):
        if _YES_NO_QUESTION.match(clause):
            return True
        if _WH.match(clause):
            return False
    return False


def _sentence_case(text: str) -> str:
    """Capitalise a plain lowercase first word ("the method" -> "The method"), not a term ("mAP", "k-means")."""
    return text[:1].upper() + text[1:] if re.match(r"[a-z]+(?:\s|,|$)", text) else text


def stance_of(sentence: str) -> str:
    """The stance a sentence opens with: "yes" or "no" (callers know it has one: statement() differs)."""
    return "yes" if sentence.lstrip().lower().startswith("yes") else "no"


def stance_mean(states: float, reading: tuple[float, float], stance: str) -> float:
    """How well a source backs a stance: the mean of P(it states the sentence) and P(it answers the question
    `stance`), from the judge's (P(yes), P(no)) reading; compared with that stance's bar."""
    return (states + reading[0 if stance == "yes" else 1]) / 2


def statement(sentence: str) -> str:
    """The sentence without a leading yes/no stance: what a source has to state.

    >>> statement("No, it is training-free.")
    'it is training-free.'
    >>> statement("No prior work studies it.")
    'No prior work studies it.'
    """
    return _STANCE.sub("", sentence, count=1) or sentence


_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot|neither|nor|none|\w+n't)\b", re.I)


def implied_stance(statement_text: str, question: str) -> str | None:
    """The stance a statement gives a yes/no question when it only restates it: "yes" when it affirms the
    question's proposition (as many negations as the question), "no" when it negates it; None when the
    statement says more than the question (then the model's stance stands).

    >>> implied_stance("the inner product matters", "Does the inner product matter?")
    'yes'
    >>> implied_stance("preprocessing is not needed", "Is preprocessing needed?")
    'no'
    >>> implied_stance("it needs 40 GPUs", "Is preprocessing needed?") is None
    True
    """
    if not restates(statement_text, question):
        return None
    negations = len(_NEGATION.findall(statement_text)) - len(_NEGATION.findall(question))
    return "yes" if negations % 2 == 0 else "no"


_FINDING_NEGATION = re.compile(r"\b(?:not|no|never|cannot|\w+n't)\b", re.I)  # not "without supervision"


def polarity(text: str) -> int:
    """1 for a negated finding, 0 for an affirmed one: the parity of its negations ("did not reduce" 1, "was not
    unnecessary" 0); "without" and "-free" qualify a finding rather than negate it ("works without labels")."""
    return len(_FINDING_NEGATION.findall(text)) % 2


_LEADS = re.compile(r",?\s+(?:because|(?:by|since)(?!\s+[\d~\u2248])|due to|through|thanks to|so that|in order to|using|via|"
                    r"which)\s", re.I)  # where the premise a sentence restates ends and what it adds ("by 40%" adds nothing)
_CLAUSE = re.compile(r",?\s+(?:but|whereas|while|although|though)\s+|;\s*|\.\s+", re.I)


def opposite_clause(claim: str, paper: Paper, share: float) -> str | None:
    """A negated clause of the paper that holds at least `share` of an affirmed claim's words beyond the paper's
    title (its subject): "90-day mortality did not differ" against "balanced crystalloids lower 90-day mortality"
    in a paper titled "Balanced crystalloids versus saline ...". None when there is none, and for a negated
    claim: a source says "did not" in so many words, but says "not good at" as "struggles with" (on the dev
    drafts, checking negated claims too lost 3 right stances for none fixed).

    >>> p = Paper("p", "Drains after thyroidectomy", "Drains reduced seroma, but they did not reduce hematoma.")
    >>> opposite_clause("drains reduce hematoma", p, 0.6), opposite_clause("drains reduce seroma", p, 0.6)
    ('they did not reduce hematoma.', None)
    """
    said = roots(claim) - roots(paper.title)
    if not said or polarity(claim):
        return None
    best: tuple[float, str] | None = None
    for clause in _CLAUSE.split(paper.abstract):
        if polarity(clause):
            held = len(said & roots(clause)) / len(said)
            if held >= share and (best is None or held > best[0]):
                best = (held, clause.strip())
    return best[1] if best else None


# a sentence that opens by pointing back at the one before it ("It was tested on ...", "This is because ...",
# "Instead, they ..."); "This paper ..." points at the source it cites
_REFERS_BACK = re.compile(r"^\W*(?:(?:however|instead|thus|therefore|hence|moreover|also|additionally|furthermore|"
                          r"in addition|as a result|in turn)\s*,?\s*)?(?:it|its|they|their|them|these|those|such|"
                          r"this(?!\s+(?:paper|work|study|article|survey|abstract)\b))\b(?!\s+(?:papers|works|"
                          r"studies|articles|surveys)\b)", re.I)


def opens_pointing_back(sentence: str) -> bool:
    """Whether a sentence opens by pointing back at the one before it.

    >>> opens_pointing_back("It was tested on 15 benchmarks."), opens_pointing_back("Instead, they fine-tune CLIP.")
    (True, True)
    >>> opens_pointing_back("This paper trains CLIP."), opens_pointing_back("Items are ranked.")
    (False, False)
    >>> opens_pointing_back("This is because X.")
    True
    >>> opens_pointing_back("These papers both use CLIP [1][2].")
    False
    """
    return bool(_REFERS_BACK.match(sentence))


def restates(sentence: str, question: str) -> bool:
    """Whether the sentence adds no content word beyond the question's. A paper's name counts as content:
    to "Which model ...?" the name is the answer. Words are compared by their roots, names as written
    (the root of "PromptStyler" is the root of "prompts").

    >>> restates("There is a method that reduces memory.", "Is there a method that reduces memory?")
    True
    >>> restates("It reduces memory by 40%.", "Is there a method that reduces memory?")
    False
    >>> restates("PromptStyler synthesizes styles with prompts.", "Which paper synthesizes styles with prompts?")
    False
    """
    said = roots(statement(sentence)) - _FILLER
    return not (said - roots(question)) and not (names(sentence) - content_words(question))


def premise(sentence: str, question: str) -> tuple[str, str] | None:
    """(the opening, the rest) of a sentence whose opening, up to its first connective, only restates what a
    wh-question assumes; None otherwise (a yes/no question's premise is its stance, checked there). The opening
    must carry two or more of the question's content words ("It does this by Q" restates nothing) and its
    polarity ("X does not do P because Q" denies the premise).

    >>> premise("MSP balances the losses of its discriminators by not requiring them.",
    ...         "How does MSP balance the losses of its discriminators?")
    ('MSP balances the losses of its discriminators.', 'not requiring them.')
    >>> premise("MSP needs no discriminators, by design.", "How does MSP balance the losses of its discriminators?")
    >>> premise("It does this by not requiring them.", "How does MSP balance the losses of its discriminators?")
    >>> premise("MSP does not balance the losses, because it needs none.", "Why does MSP balance the losses?")
    >>> premise("MSP balances the losses by 40%.", "How does MSP balance the losses?")
    """
    if not _WH.match(question) or not (m := _LEADS.search(sentence)):
        return None
    head, rest = sentence[:m.start()].strip(), sentence[m.end():].strip()
    if len(head.split()) < 3 or not rest or len(roots(head) - _FILLER) < 2 or not restates(head, question):
        return None
    if polarity(head) != polarity(question):
        return None
    return head.rstrip(",;:") + ".", rest


@dataclass
class Checked:
    """The outcome of checking one sentence: shown as `claim`, or not shown (claim is None)."""

    claim: Claim | None
    flags: list[Flag] = field(default_factory=list)
    also: list[Claim] = field(default_factory=list)  # shown right after `claim` (ClaimChecker.alone's second quote)


class ClaimChecker:
    """Checks draft sentences against numbered sources, one at a time (so answers can stream)."""

    def __init__(self, question: str, sources: list[Source], *, verifier: Verifier, threshold: float,
                 settings: AnswerSettings, judge: EmbeddingJudge | None = None,
                 question_vec: np.ndarray | None = None, yes_no: bool | None = None,
                 drop_restatements: bool = True, check_against: dict[int, Paper] | None = None,
                 joint_floor: float | None = None, stance: tuple[float, float] | None = None,
                 answers: float = 0.0, named: tuple[Verifier, float] | None = None, whole_named: bool = False,
                 premises: bool = False, standalone: bool = False) -> None:
        self.question = question
        self.sources = {s.n: s for s in sources}
        self.verifier = verifier
        self.threshold = threshold
        self.settings = settings
        self.judge = judge
        self.question_vec = question_vec
        self.yes_no = is_yes_no(question) if yes_no is None else yes_no
        self.drop_restatements = drop_restatements
        self.check_against = check_against or {}  # n -> the text the verifier reads instead of the whole abstract
        self.joint_floor = joint_floor  # None: no joint check (answers); else see _joint
        self._cache: dict[tuple[str, int], Support] = {}
        self._whole: dict[tuple[str, int], Support] = {}  # read from whole abstracts (the asker's words)
        # the bars a "Yes, <the question>" and a "No, <the question negated>" must clear, where the verifier
        # can read a source's answer to the question
        reads = isinstance(verifier, StanceJudge) and verifier.reads_stance
        self.stance_bars = stance if self.yes_no and reads else None
        self.answers = answers if self.stance_bars else 0.0  # see _unanswered
        self._stances: dict[int, tuple[float, float]] = {}
        # a named answer ("[1]" to "Which paper X?") is checked as "<title> X": the asker's words, which the
        # judge reads lower than a source's own; `named` is the judge (the abstract one) and bar that decide it
        self.named = named
        self.whole_named = whole_named  # a sentence naming its source is read against the whole abstract
        self.premises = premises  # see _premise
        self.standalone = standalone  # see alone
        self._quoted: set[str] = set()  # source sentences _premise and alone have shown

    def _support(self, claim: str, n: int, verifier: Verifier | None = None, whole: bool = False) -> Support:
        """Does source n state the claim? Read from the text it showed the model (`check_against`), or from its
        whole abstract (`whole`: a sentence naming the paper says which paper it is, often in the asker's words)."""
        cache = self._whole if whole else self._cache
        if (claim, n) not in cache:
            verifier = verifier or self.verifier
            paper = self.sources[n].paper if whole else self.check_against.get(n) or self.sources[n].paper
            missing = self._unmentioned(claim, [self.sources[n].paper])
            if missing and self.joint_floor is None:  # no judge call: it could not pass
                cache[(claim, n)] = Support(0.0, "", passed=False, note=missing)
            else:  # a sentence joining papers may name what each states (_joint reads them together)
                sup = verifier.support([claim], paper)[0]
                cache[(claim, n)] = Support(sup.score, sup.evidence, False, missing) if missing else sup
        return cache[(claim, n)]

    def _unmentioned(self, claim: str, papers: list[Paper]) -> str:
        """The names and measured numbers of a claim that the papers' text does not contain ("including GPT-3,
        GPT-4 and BERT" of a paper that names no model), as the flag's reason; "" when all are there or the rule
        is off. The 1.5B judge passes such claims: it reads what a sentence says, not what it names."""
        if not self.settings.claim_specifics:
            return ""
        # a bound the question sets ("more than 10 hours") is the asker's, said back, not the sentence's own figure
        missing = unmentioned(claim, [f"{p.title} {p.abstract}" for p in papers]) - (bounds(claim) & bounds(self.question))
        return "the source does not mention " + ", ".join(sorted(missing)) if missing else ""

    def _joint(self, claim: str, numbers: list[int]) -> Support:
        """Does the text of these sources, read together, state the claim? (a synthesis sentence joins papers)"""
        papers = [self.check_against.get(n) or self.sources[n].paper for n in numbers]
        together = Paper(paper_id="+".join(p.paper_id for p in papers), title=f"{len(papers)} papers",
                         abstract="\n".join(f"[{n}] {p.title}: {p.abstract}" for n, p in zip(numbers, papers, strict=True)))
        if missing := self._unmentioned(claim, [self.sources[n].paper for n in numbers]):
            return Support(0.0, "", passed=False, note=missing)
        return self.verifier.support([claim], together)[0]

    def _stance(self, n: int) -> tuple[float, float]:
        """P(yes), P(no): the judge's reading of source n's answer to the yes/no question, from its whole abstract
        (the question is the asker's words, about the paper; the stance bars were calibrated so)."""
        if n not in self._stances:
            paper = self.sources[n].paper
            self._stances[n] = cast(StanceJudge, self.verifier).stance(self.question, paper)
        return self._stances[n]

    def _allowed(self, relevance: float) -> list[int]:
        """The sources a sentence this close to the question may cite: the top one, any the question names (it asked
        about them: "Compare LocalMamba and EfficientVMamba."), and, when the sentence is close enough, any."""
        return [n for n, s in self.sources.items()
                if n == 1 or s.hit.name_match or relevance >= self.settings.relevance_threshold]

    def _closest(self, claim: str, numbers: list[int]) -> int | None:
        """The source whose sentences are closest to the claim (embedding+overlap score), else the first."""
        if not numbers:
            return None
        if self.judge is None or not hasattr(self.judge, "scores"):
            return numbers[0]
        return max(numbers, key=lambda n: self.judge.scores([claim], self.sources[n].paper)[0])  # type: ignore[union-attr]

    def _rests_on(self, claim: str, n: int, support: Support) -> str:
        """The sentence(s) of source n a kept claim rests on: a judge that reads the whole text (the LLM) says
        only yes or no, so the closest sentences are found by embedding."""
        if self.judge is None or not hasattr(self.judge, "rests_on"):
            return support.evidence
        return str(self.judge.rests_on(claim, self.check_against.get(n) or self.sources[n].paper))

    def _relevance(self, texts: list[str]) -> float:
        """The closest of these readings to the question (one embedding call)."""
        if self.judge is None or self.question_vec is None:
            return 1.0
        return max(self.judge.relevance(texts, self.question_vec))

    def _sentence_relevance(self, sentence: cit.Sentence, text: str) -> float:
        """Read with and without the titles that say which paper (put in front by name_sources, or labelling a
        list item): a title answers "which paper?" and can pull a restated predicate away from the question, and a
        title the question names brings the sentence closer to it. The closer reading counts."""
        return self._relevance([statement(t) for t in dict.fromkeys([sentence.said or text, text])])

    def check(self, sentence: cit.Sentence, named_bar: float | None = None) -> Checked:
        """`named_bar`: a named answer's bar instead of the named judge's own (see ask.name_the_rest)."""
        text = sentence.text
        said = content_words(text)
        if len(said) < 3 and not sentence.cited:
            return Checked(None)  # a heading or a connective, not a claim
        if said and said <= _FRAMING | _FILLER:
            return Checked(None)  # "This is a finding from the source [1].": about the answer, not a claim of a paper
        stance_given = self.yes_no and text != statement(text)  # "Yes, X" answers "Is X?": X is checked
        if self.drop_restatements and not stance_given and restates(text, self.question):
            return Checked(None, [Flag(Action.RESTATED, text, reason="the sentence only restates the question")])
        claim = statement(text)
        flags: list[Flag] = []
        implied = implied_stance(claim, self.question) if stance_given else None
        if implied:
            opened = stance_of(text)
            if implied != opened:  # "No, <the question, affirmed>": a stance the statement contradicts
                text = f"{implied.capitalize()}, {claim}"
                flags.append(Flag(Action.RESTANCED, text, reason=f"the statement answers {implied}, the draft "
                                  f"opened with {opened}"))
            if self.stance_bars:  # "Yes, <the question>" says nothing but its stance: the stance is checked too
                return stance_only(self._check_stance(text, claim, implied, sentence, flags), implied)
        rel = self._sentence_relevance(sentence, text)
        allowed = self._allowed(rel)
        kept: dict[int, Support] = {}
        for n in sentence.cited:
            if n not in self.sources:
                continue
            if n not in allowed:
                flags.append(Flag(Action.OFF_TOPIC, text, n, reason=f"similarity to the question {rel:.2f}"))
                continue
            judge, bar = self.named if sentence.asked and self.named else (None, None)
            bar = named_bar if bar is not None and named_bar is not None else bar
            # a sentence naming its source ("[3] trains ...", a named answer) says which paper does what: read whole
            sup = self._support(statement(sentence.own[n]) if n in sentence.own else claim, n, judge,
                                whole=bar is not None or (self.whole_named and n in sentence.named))
            passed = self._passes(sup, bar)
            negated = self._contradicted(text, claim, n, sup.score) if passed and stance_given else None
            if negated:
                flags.append(negated)
            elif passed:
                kept[n] = sup
            else:
                flags.append(Flag(Action.DROPPED, text, n, round(sup.score, 3), reason=sup.note))
        tried = [n for n in sentence.cited if (claim, n) in self._cache]  # joint: summaries, which read key sentences
        if self.joint_floor is not None and len(tried) >= 2 and not kept:
            # a sentence joining several papers, none of which states it alone: each must state part of it (its
            # own score over the floor) and all of them together must state it. When one paper states it alone,
            # the others are not added: a paper that states the whole sentence makes a joint check pass for any
            # company it keeps
            part = [n for n in tried if self._cache[(claim, n)].score >= self.joint_floor]
            if len(part) >= 2 and (joint := self._joint(claim, part)).score >= self.threshold:
                flags = [f for f in flags if not (f.action == Action.DROPPED and f.n in part)]
                flags.append(Flag(Action.JOINT, text, None, round(joint.score, 3),
                                  reason="stated by " + ", ".join(f"[{n}]" for n in part) + " together"))
                kept = {n: Support(joint.score, self._cache[(claim, n)].evidence) for n in part}
        if unstated := [n for n in sentence.named if n not in kept]:  # "[1] and [3] study X": each must state it
            stated = [n for n in sentence.named if n in kept]
            if len(stated) != 1 or stated[0] not in sentence.own:
                return Checked(None, [*flags, Flag(Action.UNSUPPORTED, text, unstated[0],
                                                   reason="the sentence names a source that does not state it")])
            # of the sources named together one states it: the sentence about that one alone is shown
            text, claim = sentence.own[stated[0]], statement(sentence.own[stated[0]])
            kept = {n: sup for n, sup in kept.items() if n not in unstated}
        if not kept:  # attribute: the verifier asks only the source closest to the claim (each check costs time)
            best: tuple[int, Support] | None = None
            if candidate := self._closest(claim, [n for n in allowed if n not in sentence.cited]):
                best = (candidate, self._support(claim, candidate))
            if best is None or not self._passes(best[1]):
                score = round(best[1].score, 3) if best else None
                return Checked(None, [*flags, Flag(Action.UNSUPPORTED, text, None, score)])
            kept[best[0]] = best[1]
            flags.append(Flag(Action.ATTRIBUTED, text, best[0], round(best[1].score, 3)))
        split = premise(claim, self.question) if self.premises and not self.yes_no else None
        if split and (quote := self._premise(text, split, kept, flags)) is not None:
            return quote
        # "Yes, linear models are relatively unbiased" to "Are linear models strongly biased?": a true statement
        # under a stance its source does not take. The stance stays only when a source that states the content
        # also answers that way, by the same rule and bars as a restated stance (_check_stance)
        if stance_given and self.stance_bars:
            opened = stance_of(text)
            if not any(self._stance_mean(opened, sup.score, n) >= self._bar(opened) for n, sup in kept.items()):
                flags.append(Flag(Action.UNSTANCED, text, reason=f"no source answers '{opened}'; the statement is kept"))
                text = _sentence_case(claim)
        # a stance a source backs (above) answers the question; a statement without one must come from a source
        # that answers it
        if text == statement(text) and (unanswered := self._unanswered(text, kept)):
            return Checked(None, [*flags, unanswered])
        out = self._kept(text, claim, kept, flags)
        return stance_only(out, implied) if implied else out

    def passages(self, bar: float, most: int = 2, look: int = 4) -> list[Claim]:
        """To a yes/no question whose draft the check removed entirely (most often "Yes, <a false premise>"): the
        answering source's own sentences, quoted verbatim in their order, when the judge reads that source as
        answering the question (P(yes) + P(no) against "unknown" reaches `bar`); [] otherwise. The answering source
        is the one read best among source [1] and those whose stance the check read already (each new reading costs
        a judge call). Of the `look` sentences it showed the model closest to the question, the `most` that the
        judge reads as answering it best are quoted: the closest sentence is often background (chosen on the dev
        drafts, eval/calibrate_quote.py). No stance is stated: the judge's yes/no reading leans to "yes" (see
        _check_stance), so the reader gets the source's words instead."""
        if not self.stance_bars or not bar or not self.sources:
            return []
        said = {n: sum(self._stance(n)) for n in sorted({min(self.sources), *self._stances})}
        n = max(said, key=lambda k: (said[k], -k))
        if said[n] < bar:
            return []
        paper, shown = self.sources[n].paper, self.sources[n].evidence
        order = list(range(len(shown)))
        if self.judge is not None and self.question_vec is not None and shown:
            rel = self.judge.relevance(shown, self.question_vec)
            order.sort(key=lambda j: -float(rel[j]))
        verifier = cast(StanceJudge, self.verifier)
        answers = {j: sum(verifier.stance(self.question, replace(paper, abstract=shown[j]))) for j in order[:look]}
        best = sorted(answers, key=lambda j: (-answers[j], j))[:most]
        return [Claim(quoted(shown[j]), [n], {n: shown[j]}, {n: round(said[n], 3)}, verbatim=True) for j in sorted(best)]

    def _premise(self, text: str, split: tuple[str, str], kept: dict[int, Support], flags: list[Flag]) -> Checked | None:
        """A kept sentence whose opening restates what the question assumes ("X does P because Q" to "Why does X
        do P?"): the judge read the whole sentence, and a supported Q carries an unsupported P past it. P is the
        asker's words, read against the backing sources' whole abstracts by the named-answer judge and bar, one
        at a time until one states it. When none does, the abstract sentence closest to Q is quoted from the best
        backing source instead: the reader gets the source's words, not the premise affirmed. None: some source
        states P, or no judge can point at a sentence to quote; the sentence stands. A quote shown already for an
        earlier sentence is not shown again."""
        if self.judge is None or not hasattr(self.judge, "best_sentences"):
            return None
        head, rest = split
        judge, bar = self.named or (None, None)
        if any(self._passes(self._support(head, n, judge, whole=True), bar) for n in kept):
            return None
        n = max(kept, key=lambda k: kept[k].score)
        shown = self.check_against.get(n) or self.sources[n].paper
        vec = self.judge.claim_vectors((rest,))[0]
        line = next(iter(self.judge.best_sentences(vec, shown, 1)), "")
        if not line.strip():
            return None
        others = "".join(f", nor [{k}]" for k in kept if k != n)
        read = self._support(head, n, judge, whole=True)  # cached: read above
        flags.append(Flag(Action.PREMISE, text, n, round(read.score, 3),
                          reason=f"[{n}]{others} does not state \u201c{head}\u201d, which the question assumes: "
                          f"[{n}]'s own words are shown"))
        if line in self._quoted:
            return Checked(None, [*flags, Flag(Action.REPEATED, text, n, reason="its source's sentence is shown above")])
        self._quoted.add(line)
        return Checked(Claim(quoted(line), [n], {n: line}, {n: round(kept[n].score, 3)}, verbatim=True), flags)

    def alone(self, checked: Checked, after_shown: bool) -> Checked:
        """A kept sentence that opens by pointing back (`opens_pointing_back`) when the draft sentence before it was not shown
        (`after_shown` False; a first sentence points at the question): "They perform near chance level [1]" with no
        "they" left, or "This
        is because ..." after a removed "No, ...", which then reads as the answer. The sentence(s) it rests on, of its
        best backing source, are quoted instead, in their order, as _premise quotes (a sentence shown already is not
        repeated). The sentence stands when it is a quote already, or rests on no sentence."""
        claim = checked.claim
        if not self.standalone or after_shown or claim is None or claim.verbatim or not opens_pointing_back(claim.text):
            return checked
        n = max(claim.cited, key=lambda k: claim.support.get(k, 0.0), default=None)
        lines = [x.strip() for x in (claim.evidence.get(n, "") if n is not None else "").splitlines() if x.strip()]
        # quotable: one or two sentences, not the title (a judge that keeps a whole text gives no sentence to quote)
        if n is None or not lines or len(lines) > 2 or any(len(split_sentences(x)) != 1 for x in lines) \
                or lines == [self.sources[n].paper.title]:
            return checked
        quotes = [Claim(quoted(x), [n], {n: x}, {n: claim.support.get(n, 0.0)}, verbatim=True)
                  for x in dict.fromkeys(lines) if x not in self._quoted]
        self._quoted.update(lines)
        if not quotes:
            return Checked(None, [*checked.flags, Flag(Action.REPEATED, claim.text, n,
                                                       reason="its source's sentence is shown above")])
        flag = Flag(Action.UNANCHORED, claim.text, n, claim.support.get(n),
                    reason=f"the sentence points back at one not shown: [{n}]'s own words are shown")
        return Checked(quotes[0], [*checked.flags, flag], quotes[1:])

    def _contradicted(self, text: str, claim: str, n: int, score: float) -> Flag | None:
        """For "Yes, <an affirmed finding>" where the judge reads a stance (yes/no questions), a CONTRADICTED flag
        when a clause of source n negates the finding (opposite_clause): the judge reads a paper with mixed
        findings ("X cut kidney events, but did not lower mortality") as backing "Yes, X lowers mortality"."""
        if not self.stance_bars or stance_of(text) != "yes":
            return None
        paper = self.sources[n].paper  # a negated finding anywhere in the abstract
        if other := opposite_clause(claim, paper, self.settings.opposite_share):
            return Flag(Action.CONTRADICTED, text, n, round(score, 3), reason=f"the source says \u201c{other}\u201d")
        return None

    def _unanswered(self, text: str, kept: dict[int, Support]) -> Flag | None:
        """To a yes/no question, a sentence whose backing sources all leave the question open: the judge reads each
        one's answer as "unknown" (P(yes) + P(no) under `answers`). "Do SGLT2 inhibitors slow CKD in type 1
        diabetes?" answered "SGLT2 inhibitors slowed CKD in type 2 diabetes [1]": true of [1], and no answer."""
        if not self.answers:
            return None
        said = {n: sum(self._stance(n)) for n in kept}
        if max(said.values()) >= self.answers:
            return None
        n = max(said, key=said.__getitem__)
        return Flag(Action.UNANSWERED, text, n, round(said[n], 3),
                    reason=f"the source states it but does not answer the question (P(yes or no) {said[n]:.2f})")

    def _passes(self, sup: Support, bar: float | None = None) -> bool:
        return sup.passed if sup.passed is not None else sup.score >= (self.threshold if bar is None else bar)

    def _bar(self, stance: str) -> float:
        assert self.stance_bars is not None
        return self.stance_bars[0 if stance == "yes" else 1]

    def _stance_mean(self, stance: str, states: float, n: int) -> float:
        return stance_mean(states, self._stance(n), stance)

    def _kept(self, text: str, claim: str, kept: dict[int, Support], flags: list[Flag]) -> Checked:
        """The shown sentence, citing the sources that back it, each with the sentence(s) it rests on."""
        return Checked(Claim(text, list(kept), {n: self._rests_on(claim, n, s) for n, s in kept.items()},
                             {n: round(s.score, 3) for n, s in kept.items()}), flags)

    def _check_stance(self, text: str, claim: str, stance: str, sentence: cit.Sentence, flags: list[Flag]) -> Checked:
        """A stance and a restatement of the question ("No, X is not needed"): a source backs it when the mean of
        two readings clears the stance's bar: P(it states X) and P(it answers the question `stance`). Neither reading
        vetoes the other (requiring P(no) > P(yes) for a "No" lost 9 of 77 right stances on the dev drafts: the
        model leans to "yes"); the bars hold 95% precision there (eval/calibrate_stance_judge.py). An uncited one
        is checked against the source closest to it; cited sources that fail are not replaced by others: a stance
        is only as good as the source it was drawn from."""
        numbers = [n for n in sentence.cited if n in self.sources]
        if not numbers:
            numbers = [self._closest(claim, list(self.sources)) or 1]
            flags.append(Flag(Action.ATTRIBUTED, text, numbers[0], reason="the stance cited no source"))
        kept: dict[int, Support] = {}
        for n in numbers:
            sup = self._support(claim, n, whole=True)  # the question restated: the asker's words, as _stance reads it
            score = self._stance_mean(stance, sup.score, n)
            passed = score >= self._bar(stance)
            negated = self._contradicted(text, claim, n, score) if passed else None
            if negated:
                flags.append(negated)
            elif passed:
                kept[n] = Support(score, sup.evidence)
            else:
                yes, no = self._stance(n)
                flags.append(Flag(Action.DROPPED, text, n, round(score, 3), reason=f"states it {sup.score:.2f}, "
                                  f"answers yes {yes:.2f}, no {no:.2f}: the mean is under the bar for '{stance}'"))
        if not kept:
            return Checked(None, [*flags, Flag(Action.UNSUPPORTED, text, None, reason=f"no source backs '{stance}'")])
        return self._kept(text, claim, kept, flags)


def stance_only(out: Checked, stance: str) -> Checked:
    """A checked "Yes, <the question>" is shown as its stance alone ("Yes [1]."), resting on the sentence(s) of the
    source that the check found: the question said back in its asker's words is not what the source says."""
    if out.claim is not None:
        out.flags.append(Flag(Action.STANCE, out.claim.text, reason="the sentence restated the question: only its "
                              "stance is shown"))
        out.claim.text = f"{stance.capitalize()}."
    return out


def is_stance(text: str) -> bool:
    """Whether a shown sentence is a bare stance ("Yes." or "No.")."""
    return text in ("Yes.", "No.")


def stance_quotes(claims: list[Claim], most: int = 2) -> list[Claim]:
    """When an answer holds nothing but bare stances, the source sentences each rests on, verbatim and quoted, one
    claim per sentence: the reader sees what the source says. Evidence longer than `most` sentences (a judge that
    kept a whole abstract) is not quoted."""
    if not claims or not all(is_stance(c.text) for c in claims):
        return []
    out: list[Claim] = []
    for c in claims:
        for n in c.cited:
            lines = [x.strip() for x in c.evidence.get(n, "").splitlines() if x.strip()]
            if len(lines) <= most and all(len(split_sentences(x)) == 1 for x in lines):
                out += [Claim(quoted(x), [n], {n: x}, {n: c.support.get(n, 0.0)}, verbatim=True) for x in lines
                        if not any(q.evidence.get(n) == x for q in out)]
    return out


def quoted(sentence: str) -> str:
    """A source sentence in quotation marks, its end punctuation outside them, where the marker goes before it:
    '\u201cKiwi facts hold\u201d [1].' (the next sentence then starts where a sentence splitter looks for one)."""
    body, end = (sentence[:-1], sentence[-1]) if sentence[-1:] in ".!?" else (sentence, ".")
    return f"\u201c{body}\u201d{end}"


def citations_of(claims: list[Claim], sources: list[Source]) -> list[Citation]:
    """One Citation per cited source, in order of first citation, with its best support."""
    paper = {s.n: s.paper for s in sources}
    best: dict[int, float] = {}
    for c in claims:
        for n in c.cited:
            best[n] = max(best.get(n, 0.0), c.support.get(n, 0.0))
    return [Citation(n, paper[n].paper_id, paper[n].title, best[n]) for n in best]


def render_claims(claims: list[Claim]) -> str:
    return cit.render([cit.Sentence(c.text, list(c.cited)) for c in claims])


def check(text: str, question: str, sources: list[Source], *, verifier: Verifier, threshold: float,
          settings: AnswerSettings, judge: EmbeddingJudge | None = None,
          question_vec: np.ndarray | None = None) -> tuple[str, list[Citation], list[Flag], list[Claim]]:
    """A whole draft checked at once (summaries): shown text, citations, flags and claims."""
    checker = ClaimChecker(question, sources, verifier=verifier, threshold=threshold, settings=settings,
                           judge=judge, question_vec=question_vec, drop_restatements=False)
    claims: list[Claim] = []
    flags: list[Flag] = []
    for s in cit.split_cited(cit.keep_valid(text, len(sources))):
        out = checker.check(s)
        flags += out.flags
        if out.claim:
            claims.append(out.claim)
    return render_claims(claims), citations_of(claims, sources), flags, claims
