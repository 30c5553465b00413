"""The claim check and evidence selection, with a scripted verifier (pure logic)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assistant.answer import ask
from assistant.answer import citations as cit
from assistant.answer.ask import is_refusal
from assistant.answer.check import ClaimChecker, check, is_yes_no, render_claims, restates, stance_of, stance_quotes, statement
from assistant.answer.evidence import near_best, relevant, select_evidence
from assistant.config import AnswerSettings
from assistant.types import Action, Claim, Hit, Paper, Source
from assistant.verify.base import Support


def hit(title: str, sim: float | None, abstract: str = "") -> Hit:
    return Hit(Paper(title.lower(), title, abstract or f"{title} abstract."), 0.0, 1, 1, sim)


class ScriptedVerifier:
    """Support = scripted per (word in claim, paper title); the evidence names the word that matched."""

    name = "scripted"

    def __init__(self, support: dict[tuple[str, str], float]) -> None:
        self.table = support
        self.calls: list[str] = []

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        out = []
        for c in claims:
            self.calls.append(c)
            best = max(((v, w) for (w, t), v in self.table.items() if w in c and t == paper.title),
                       default=(0.0, ""))
            out.append(Support(best[0], f"{paper.title} says {best[1]}"))
        return out


class ScriptedRelevance:
    """Relevance of a claim to the question, scripted per word."""

    def __init__(self, rel: dict[str, float]) -> None:
        self.rel = rel

    def relevance(self, claims: list[str], query_vec: np.ndarray) -> list[float]:
        return [max((v for w, v in self.rel.items() if w in c), default=0.0) for c in claims]


SOURCES = [Source(1, hit("Alpha", 0.7), ["a"]), Source(2, hit("Beta", 0.6), ["b"])]
VERIFIER = ScriptedVerifier({("kiwi-fact", "Alpha"): 0.9, ("mango-fact", "Beta"): 0.9, ("padding", "Beta"): 0.9})
RELEVANCE = ScriptedRelevance({"kiwi-fact": 0.7, "mango-fact": 0.7, "padding": 0.2})
Q = np.ones(3)


def run(text: str, question_vec: np.ndarray | None = Q, question: str = "Which fruit facts hold?"):
    checker = ClaimChecker(question, SOURCES, verifier=VERIFIER, threshold=0.5, settings=AnswerSettings(),
                           judge=RELEVANCE, question_vec=question_vec)  # type: ignore[arg-type]
    claims, flags = [], []
    for s in cit.split_cited(cit.keep_valid(text, len(SOURCES))):
        out = checker.check(s)
        flags += out.flags
        if out.claim:
            claims.append(out.claim)
    return claims, flags


def test_a_supported_citation_stays_with_the_sentence_it_rests_on():
    claims, flags = run("The kiwi-fact holds in this work [1].")
    assert [(c.cited, c.evidence) for c in claims] == [([1], {1: "Alpha says kiwi-fact"})]
    assert flags == []


def test_a_wrong_citation_is_dropped_and_the_sentence_attributed_to_the_source_that_states_it():
    claims, flags = run("The mango-fact holds as well [1].")
    assert [c.cited for c in claims] == [[2]]
    assert [(f.action, f.n) for f in flags] == [(Action.DROPPED, 1), (Action.ATTRIBUTED, 2)]


def test_a_sentence_no_source_states_is_not_shown():
    claims, flags = run("The durian-fact holds everywhere [1].")
    assert claims == [] and [f.action for f in flags] == [Action.DROPPED, Action.UNSUPPORTED]


def test_off_topic_sentence_may_not_cite_a_lower_source():
    claims, flags = run("The kiwi-fact holds in this work [1]. Some padding sentence from elsewhere [2].")
    assert [c.cited for c in claims] == [[1]] and "padding" not in cit.render([cit.Sentence(c.text) for c in claims])
    assert (flags[0].action, flags[0].n) == (Action.OFF_TOPIC, 2)


def test_a_source_the_question_names_may_back_a_sentence_far_from_it():
    # "Compare LocalMamba and EfficientVMamba.": a sentence about the second named paper is far from so short a
    # question, and the question asked about that paper
    named = [SOURCES[0], Source(2, Hit(SOURCES[1].paper, 0.0, 1, 1, 0.6, name_match=True), ["b"])]
    checker = ClaimChecker("Which fruit facts hold?", named, verifier=VERIFIER, threshold=0.5,
                           settings=AnswerSettings(), judge=RELEVANCE, question_vec=Q)  # type: ignore[arg-type]
    out = checker.check(cit.split_cited("Some padding sentence from elsewhere [2].")[0])
    assert out.claim is not None and out.claim.cited == [2] and out.flags == []


def test_without_a_question_vector_every_source_may_back_a_sentence():
    # summaries check without a question vector: many papers, each on its own topic
    claims, _ = run("The kiwi-fact holds in this work [1]. Some padding sentence from elsewhere [2].", None)
    assert [c.cited for c in claims] == [[1], [2]]


def test_a_citation_to_a_number_not_given_never_reaches_the_output():
    text, cites, _, _ = check("The kiwi-fact holds in this work [1][7].", "q", SOURCES, verifier=VERIFIER,
                              threshold=0.5, settings=AnswerSettings())
    assert [c.n for c in cites] == [1] and "[7]" not in text


def test_a_yes_no_stance_is_checked_through_the_statement_after_it():
    VERIFIER.calls.clear()
    claims, _ = run("No, the kiwi-fact holds in this work [1].", question="Does the kiwi-fact fail?")
    assert VERIFIER.calls == ["the kiwi-fact holds in this work."] and claims[0].text.startswith("No,")


def test_a_stance_that_its_own_statement_contradicts_is_set_by_the_statement():
    """ "No, <the question, affirmed> [1]" (a 'No' the model opened with, then the paper's yes) would show a wrong
    stance on a verified statement: the stance follows the statement."""
    claims, flags = run("No, the kiwi-fact holds [1].", question="Does the kiwi-fact hold?")
    assert claims[0].text == "Yes." and [f.action for f in flags] == [Action.RESTANCED, Action.STANCE]
    assert flags[0].sentence == "Yes, the kiwi-fact holds."
    claims, flags = run("Yes, the kiwi-fact does not hold [1].", question="Does the kiwi-fact hold?")
    assert claims[0].text == "No."
    claims, flags = run("No, the kiwi-fact does not hold [1].", question="Does the kiwi-fact hold?")
    assert claims[0].text == "No." and [f.action for f in flags] == [Action.STANCE]  # consistent: only shortened


def test_a_restatement_of_the_question_is_not_an_answer():
    claims, flags = run("There are fruit facts that hold [1].", question="Which fruit facts hold?")
    assert claims == [] and flags[0].action == Action.RESTATED
    # to a yes/no question the stance is the answer: "Yes, <the question>" is checked, not dropped ...
    VERIFIER.calls.clear()
    claims, _ = run("Yes, the kiwi-fact holds [1].", question="Does the kiwi-fact hold?")
    assert [c.cited for c in claims] == [[1]] and VERIFIER.calls == ["the kiwi-fact holds."]
    # ... and a restatement without a stance is still no answer
    claims, flags = run("The kiwi-fact holds [1].", question="Does the kiwi-fact hold?")
    assert claims == [] and flags[0].action == Action.RESTATED


def test_an_answer_that_is_only_a_stance_quotes_the_sentence_it_rests_on():
    """ "Yes [1]." alone tells the reader little: the source's own sentence(s) the stance rests on follow, verbatim
    and quoted; an answer that says more gets no quote, and evidence that is not one or two sentences is not
    quoted."""
    stance = Claim("Yes.", [1], {1: "Kiwi facts hold.\nThey hold in orchards."}, {1: 0.8})
    quotes = stance_quotes([stance])
    assert [(q.text, q.cited) for q in quotes] == [("\u201cKiwi facts hold\u201d.", [1]),
                                                   ("\u201cThey hold in orchards\u201d.", [1])]
    assert all(q.verbatim for q in quotes) and not stance.verbatim  # --json tells the source's words from the model's
    text = render_claims([stance, *quotes])
    assert text == "Yes [1]. \u201cKiwi facts hold\u201d [1]. \u201cThey hold in orchards\u201d [1]."
    # read back (the eval's claim scores, a client of the API) it is three sentences, each with its citation
    assert [(s.text, s.cited) for s in cit.split_cited(text)] == [
        ("Yes.", [1]), ("\u201cKiwi facts hold\u201d.", [1]), ("\u201cThey hold in orchards\u201d.", [1])]
    assert stance_quotes([stance, Claim("Kiwi facts hold in orchards.", [1])]) == []
    assert stance_quotes([Claim("No.", [2], {2: "One. Two. Three."})]) == []
    assert stance_quotes([]) == []


def test_a_sentence_about_the_answer_is_not_a_claim_even_when_cited_and_the_judge_would_pass_it():
    judge_says_yes = ScriptedVerifier({("", "Alpha"): 0.9})  # a 1.5B judge passed "This is a finding ..." at 0.63
    checker = ClaimChecker("Which fruit facts hold?", SOURCES, verifier=judge_says_yes, threshold=0.5,
                           settings=AnswerSettings())
    for meta in ("This is a finding from the source [1].", "This is stated in [1].", "Source: [1]"):
        assert checker.check(cit.split_cited(meta)[0]).claim is None, meta
    assert judge_says_yes.calls == []
    assert checker.check(cit.split_cited("It is training-free [1].")[0]).claim  # few words, but a claim


@pytest.mark.parametrize("question, yes_no", [("Does X need labels?", True), ("Is it fast?", True),
                                              ("What does X need?", False), ("Which paper ...?", False)])
def test_yes_no_questions(question, yes_no):
    assert is_yes_no(question) is yes_no


def test_statement_and_restates():
    assert statement("Yes, it works.") == "it works." and statement("Yesterday it rained.") == "Yesterday it rained."
    assert restates("Alpha [1] proposes a method.", "Which method does Alpha propose?")
    assert not restates("Alpha halves memory use.", "Which method does Alpha propose?")
    assert not restates("S3 treats topics as axes [1].", "Which topic model treats topics as axes?")
    # a stopword inflected ("uses" for "use") is no content: "Yes, <this>" only restates the question
    assert restates("Vision Mamba uses self-attention.", "Does Vision Mamba use self-attention?")


def test_refusal_is_the_fixed_phrase_only():
    assert is_refusal("I cannot answer this from the given papers.") and is_refusal("  ")
    assert not is_refusal("VMamba does not include attention layers; it scans images along four routes [1].")
    assert not is_refusal("The sources do not mention a learning rate.")


def test_relevant_keeps_the_top_hit_and_those_near_the_best():
    hits = [hit("A", 0.40), hit("B", 0.62), hit("C", 0.50), hit("D", None)]
    assert [h.paper.title for h in relevant(hits, 0.15)] == ["A", "B", "C"]
    assert [h.paper.title for h in relevant(hits, 0.05)] == ["A", "B"]
    assert relevant([], 0.1) == []
    assert [h.paper.title for h in near_best(hits, 0.3, floor=0.45)] == ["B", "C"]
    named = hit("E", 0.10)
    named.name_match = True  # a paper that carries the question's rare name is kept however far below
    assert [h.paper.title for h in relevant([*hits, named], 0.05)] == ["A", "B", "E"]


class SentenceJudge:
    """Sentences split on '. ', each with a scripted similarity to the question."""

    def __init__(self, sims: dict[str, float]) -> None:
        self.sims = sims

    def sentences(self, paper: Paper) -> list[str]:
        return [paper.title, *paper.abstract.split(". ")]

    def vectors(self, paper: Paper) -> np.ndarray:
        return np.array([[self.sims.get(s, 0.0)] for s in self.sentences(paper)])


def test_evidence_gives_the_top_paper_most_of_the_budget_in_the_original_order():
    top = hit("Top", 0.8, "Vision models are popular. We propose X. X outperforms Y by 5%. It is open")
    other = hit("Other", 0.7, "Background here. Other reaches 80% accuracy")
    judge = SentenceJudge({"Vision models are popular": 0.5, "We propose X": 0.3, "X outperforms Y by 5%": 0.4,
                           "Background here": 0.1, "Other reaches 80% accuracy": 0.2})
    sources = select_evidence([top, other], np.ones(1), judge, budget=24, count_tokens=lambda s: len(s.split()),
                              top_share=0.6, others=1)  # type: ignore[arg-type]
    # the two most similar sentences fit the top paper's share, shown in text order; the other paper gives one
    assert sources[0].evidence == ["Vision models are popular", "X outperforms Y by 5%"]
    assert sources[1].evidence == ["Other reaches 80% accuracy"]


def test_stream_of_sentences_holds_markers_with_their_sentence():
    s = cit.SentenceStream()
    out = [x for piece in ["A is true", ". [", "1] B is", " also true [2]. C"] for x in s.feed(piece)]
    assert out == ["A is true. [1]", "B is also true [2]."] and s.flush() == "C"


class JointVerifier(ScriptedVerifier):
    """Each paper states half of 'kiwi-fact and mango-fact' (0.6); read together they state it all (0.9), and
    the joined text states whatever one of its papers states."""

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        if "[1]" in paper.abstract and "[2]" in paper.abstract:  # the joined text of both papers
            alone = [max(ScriptedVerifier.support(self, [c], Paper(t.lower(), t, ""))[0].score for t in ("Alpha", "Beta"))
                     for c in claims]
            return [Support(0.9 if "kiwi-fact and mango-fact" in c else a, paper.abstract)
                    for c, a in zip(claims, alone, strict=True)]
        return super().support(claims, paper)


def _joint_run(text: str) -> tuple[list, list]:
    verifier = JointVerifier({("kiwi-fact", "Alpha"): 0.6, ("mango-fact", "Beta"): 0.6,
                              ("alpha-only", "Alpha"): 0.9, ("alpha-only", "Beta"): 0.55})
    checker = ClaimChecker("fruit facts", SOURCES, verifier=verifier, threshold=0.8, settings=AnswerSettings(),
                           joint_floor=0.5)
    claims, flags = [], []
    for s in cit.split_cited(text):
        out = checker.check(s)
        flags += out.flags
        claims += [out.claim] if out.claim else []
    return claims, flags


def test_a_sentence_joining_two_papers_is_kept_when_they_state_it_together():
    claims, flags = _joint_run("Both the kiwi-fact and mango-fact hold [1][2].")
    assert [c.cited for c in claims] == [[1, 2]] and [f.action for f in flags] == [Action.JOINT]


def test_a_paper_that_states_a_sentence_alone_brings_no_other_citation_with_it():
    claims, flags = _joint_run("The alpha-only result holds [1][2].")
    assert [c.cited for c in claims] == [[1]] and [(f.action, f.n) for f in flags] == [(Action.DROPPED, 2)]


def _verify(text: str, question: str = "Which paper has the kiwi-fact?"):
    from assistant.answer.ask import Verified, verify

    checker = ClaimChecker(question, SOURCES, verifier=VERIFIER, threshold=0.5, settings=AnswerSettings(),
                           judge=RELEVANCE, question_vec=Q)  # type: ignore[arg-type]
    out = Verified()
    return list(verify([text], checker, SOURCES, out)), out


def test_a_marker_used_as_a_name_gets_its_title_and_its_source_must_state_the_sentence():
    # "[1] has ..." answers "which paper?" with the source itself: the title goes in, so the sentence says more than
    # the question (it is no restatement) and is checked against the source it names
    shown, _ = _verify("[1] has the kiwi-fact.")
    assert shown == ['"Alpha" has the kiwi-fact [1].']
    # sources named together are each asked about themselves alone: one that does not state it is dropped, and the
    # sentence about the one that does is shown
    shown, out = _verify("[1] and [2] have the mango-fact.")
    assert shown == ['"Beta" has the mango-fact [2].'] and any(f.action == Action.DROPPED and f.n == 1 for f in out.flags)
    assert '"Alpha" has the mango-fact.' in VERIFIER.calls and not any('"Alpha" and' in c for c in VERIFIER.calls[-2:])
    shown, _ = _verify("[1] and [2] have the kiwi-fact and the mango-fact.")
    assert shown == ['"Alpha" and "Beta" have the kiwi-fact and the mango-fact [1][2].']
    # named together, neither states it: nothing is shown
    shown, out = _verify("[1] and [2] have the lime-fact.")
    assert shown == [] and any(f.action == Action.UNSUPPORTED and f.n == 1 for f in out.flags)
    # a later sentence may open with its subject: the stream keeps "[2] has ..." together, whole or piece by piece
    stream = cit.SentenceStream()
    pieces = [p for chunk in ("The kiwi-fact holds [1]. [2", "] h", "as the mango-fact.") for p in stream.feed(chunk)]
    assert pieces == ["The kiwi-fact holds [1]."] and stream.flush() == "[2] has the mango-fact."
    assert [(x.text, x.cited) for x in cit.split_cited("X holds [1]. [2] has Y.", {2: "Beta"})] == \
        [("X holds.", [1]), ('"Beta" has Y.', [2])]
    assert [(x.text, x.cited) for x in cit.split_cited("X holds. [1] Y holds.", {1: "A"})] == \
        [("X holds.", [1]), ("Y holds.", [])]
    # a marker at the end of a clause is a citation, not a name
    assert cit.name_sources("The kiwi-fact holds [1] and so does the mango-fact [2].", {1: "A", 2: "B"})[1] == set()


def test_a_capitalised_verb_after_an_opening_marker_makes_the_marker_the_subject():
    # small models write "[2] Has ...": the marker is the subject (named, and its source must state the sentence),
    # not a citation of the sentence before it, in the stream and in the split alike
    shown, out = _verify("[2] Has the mango-fact.")
    assert shown == ['"Beta" has the mango-fact [2].']
    stream = cit.SentenceStream()
    assert stream.feed("The kiwi-fact holds [1]. [2] Has the mango-fact. ") == ["The kiwi-fact holds [1]."]
    assert [(x.text, x.cited) for x in cit.split_cited("X holds. [2] Has Y.", {2: "Beta"})] == \
        [("X holds.", []), ('"Beta" has Y.', [2])]
    # a word of the cited title is the title, not a verb; a determiner is the next sentence's start
    assert [(x.text, x.cited) for x in cit.split_cited("X holds. [1] Transformers are SSMs.", {1: "Transformers"})] \
        == [("X holds.", [1]), ("Transformers are SSMs.", [])]
    assert [(x.text, x.cited) for x in cit.split_cited("X holds. [1] This is Y.", {1: "A"})] == \
        [("X holds.", [1]), ("This is Y.", [])]
    # a plural noun and its verb start the next sentence: the marker cites the sentence before
    for text in ("X holds. [2] Results show Y.", "X holds. [2] Experiments confirm Y.", "X holds. [2] Jones et al. say Y."):
        assert cit.split_cited(text, {2: "Beta"})[0].cited == [2], text
    # without titles (scoring, the baseline) nothing is lower-cased and the marker stays with the sentence before
    assert [(x.text, x.cited) for x in cit.split_cited("X holds. [2] Derives Y.")] == [("X holds.", [2]), ("Derives Y.", [])]
    # several markers as the subject: the stream waits for the word after the whole group, whatever the pieces
    for cut in range(1, 40):
        text = "The kiwi-fact holds. [1] and [2] study Y. "
        stream = cit.SentenceStream({1: "Alpha", 2: "Beta"})
        out = [p for chunk in (text[:cut], text[cut:]) for p in stream.feed(chunk)]
        assert out[:1] == ["The kiwi-fact holds."], (cut, out)


def test_a_marker_followed_by_a_title_labels_its_own_list_item_in_the_stream_and_the_split():
    # "[1] Alpha Study finds X. [2] Beta Model: More finds Y.": each marker labels the item whose title follows it.
    # Read as the citation of the sentence before, every item cited the next one's paper (dev q062, which_test x031)
    titles = {1: "Alpha Study", 2: "Beta Model: More Words", 3: "Gamma Net"}
    text = "[1] Alpha Study has the kiwi-fact. [2] Beta Model has the mango-fact. [3] Gamma Net has Z."
    want = [("Alpha Study has the kiwi-fact.", [1], [1]), ("Beta Model has the mango-fact.", [2], [2]),
            ("Gamma Net has Z.", [3], [3])]
    assert [(x.text, x.cited, x.named) for x in cit.split_cited(text, titles)] == want
    for size in (1, 2, 3, 5, 8):  # streamed in pieces of any size, the items come out the same
        stream = cit.SentenceStream(titles)
        parts = [p for i in range(0, len(text), size) for p in stream.feed(text[i:i + size])] + [stream.flush()]
        assert [(x.text, x.cited, x.named) for p in parts for x in cit.split_cited(p, titles)] == want, size
    # the title names the paper; what the item says of it is what its relevance to the question is read from
    assert [x.said for x in cit.split_cited(text, titles)] == ["has the kiwi-fact.", "has the mango-fact.", "has Z."]
    # the title decides where the model miscounted; a sentence that only starts like a title is no item
    assert [(x.cited, x.named) for x in cit.split_cited("[1] Gamma Net has Z.", titles)] == [([3], [3])]
    assert [x.cited for x in cit.split_cited("X holds. [1] Alpha has Y.", titles)] == [[1], []]
    # a title in quotes or bold, its opening quote streamed alone; several markers keep their numbers
    text = 'It holds. [2] "Beta Model" has Y. [1][3] **Gamma Net** and Alpha Study differ.'
    for size in (1, 2, 4, len(text)):
        stream = cit.SentenceStream(titles)
        parts = [p for i in range(0, len(text), size) for p in stream.feed(text[i:i + size])] + [stream.flush()]
        assert [x.cited for p in parts for x in cit.split_cited(p, titles)] == [[], [2], [1, 3]], (size, parts)
    # one ordinary word is no name ("Alpha", "Learning (Almost) Anything"), and an empty title matches nothing
    assert [x.cited for x in cit.split_cited("X holds. [1] Alpha has Y.", {1: "Alpha"})] == [[1], []]
    assert [x.cited for x in cit.split_cited("X holds. [1] **Bold** claim.", {1: "Alpha Study", 2: ""})] == [[1], []]


def test_the_stream_cuts_the_same_sentences_whatever_the_pieces():
    # the model streams a few characters at a time; the eval replays feed a recorded draft whole. Both must see
    # the same sentences, or a replay checks other claims than the live answer did
    titles = {1: "Alpha Study", 2: "Beta Model: More", 3: "Gamma Net", 4: "Delta"}
    for text in ("X holds. [1] The Y holds. [2] The Z holds [3]. W holds.",
                 "[1] Alpha Study has X. [2] Beta Model has Y. [3] Gamma Net has Z.",
                 "The kiwi-fact holds. [1] and [2] study Y. [3] Has Z. Done [1][2].",
                 "A is true. [1][2] B is true [3]. [4] uses C. [2]"):
        seen = set()
        for size in range(1, len(text) + 1):
            stream = cit.SentenceStream(titles)
            seen.add(tuple([p for i in range(0, len(text), size) for p in stream.feed(text[i:i + size])]
                           + [stream.flush()]))
        assert len(seen) == 1, (text, seen)


def test_a_name_alone_answering_which_paper_is_checked_for_the_question_not_only_as_a_title():
    # "Beta [2]" would pass as a title its source states; as the answer to "which paper?" it must state the predicate
    shown, out = _verify("Beta [2]", question="Which paper has the mango-fact?")
    assert shown == ['"Beta" has the mango-fact [2].'] and any(f.action == Action.NAMED for f in out.flags)
    shown, out = _verify("Alpha [1].", question="Which paper has the mango-fact?")
    assert shown == [] and any(f.action == Action.UNSUPPORTED for f in out.flags)
    # "does" as the question's verb, and a plural question answered by one paper
    assert cit.named_answer("[1]", "Which work does topic modeling by separation?") == "[1] does topic modeling by separation."
    assert cit.named_answer("[1]", "Which papers apply autoencoders?") == "[1] applies autoencoders."
    assert cit.named_answer("[1]", "Which method does the paper use?") == "[1]"


def test_a_title_put_in_front_of_a_named_marker_does_not_count_against_its_relevance():
    # the relevance bar lets a sentence far from the question cite only the top source; the title is the answer
    # to "which paper?", not a sign the sentence drifted from the question
    far_title = ScriptedRelevance({"mango-fact": 0.7, "Beta": -5.0})
    checker = ClaimChecker("Which paper has the mango-fact?", SOURCES, verifier=VERIFIER, threshold=0.5,
                           settings=AnswerSettings(), judge=far_title, question_vec=Q)  # type: ignore[arg-type]
    out = checker.check(cit.split_cited("[2] has the mango-fact.", {1: "Alpha", 2: "Beta"})[0])
    assert out.claim is not None and out.claim.cited == [2]


def test_a_title_the_question_names_counts_for_its_sentences_relevance():
    # "PromptStyler simulates ..." to "How do ... and PromptStyler ...?" (test t080): the sentence's own words are far
    # from the question and its title is in it. Read with and without the title, the closer reading counts
    near_title = ScriptedRelevance({"padding": 0.2, "Beta": 0.7})
    checker = ClaimChecker("What does Beta contribute?", SOURCES, verifier=VERIFIER, threshold=0.5,
                           settings=AnswerSettings(), judge=near_title, question_vec=Q)  # type: ignore[arg-type]
    out = checker.check(cit.split_cited("[2] has the padding.", {1: "Alpha", 2: "Beta"})[0])
    assert out.claim is not None and out.claim.cited == [2], out.flags


class ScriptedStance(ScriptedVerifier):
    """A verifier that also reads each source's answer to a yes/no question: P(yes) scripted per title."""

    reads_stance = True

    def __init__(self, support: dict[tuple[str, str], float], p_yes: dict[str, float]) -> None:
        super().__init__(support)
        self.p_yes = p_yes

    def stance(self, question: str, paper: Paper) -> tuple[float, float]:
        return self.p_yes[paper.title], 1 - self.p_yes[paper.title]


def run_stance(text: str, p_yes: dict[str, float], states: float = 0.9, question: str = "Does the kiwi-fact hold?"):
    verifier = ScriptedStance({("kiwi-fact", "Alpha"): states, ("kiwi-fact", "Beta"): states}, p_yes)
    checker = ClaimChecker(question, SOURCES, verifier=verifier, threshold=0.5, settings=AnswerSettings(),
                           stance=(0.7, 0.45))
    out = [checker.check(s) for s in cit.split_cited(cit.keep_valid(text, len(SOURCES)))]
    return [o.claim for o in out if o.claim], [f for o in out for f in o.flags]


def test_a_restated_question_with_a_stance_needs_the_source_to_answer_that_way():
    """'Yes, <the question>' says nothing but its stance: the mean of P(the source states it) and P(the source
    answers yes) must clear the bar for 'yes' (the model leans to yes, so that bar is higher)."""
    claims, _ = run_stance("No, the kiwi-fact does not hold [1].", {"Alpha": 0.1, "Beta": 0.9})
    assert [c.text for c in claims] == ["No."] and claims[0].cited == [1]
    # the worst failure: "Yes" on a "no" finding, though the claim judge alone (0.9) would keep it
    claims, flags = run_stance("Yes, the kiwi-fact holds [1].", {"Alpha": 0.1, "Beta": 0.9})
    assert claims == [] and flags[-1].action == Action.UNSUPPORTED
    claims, _ = run_stance("Yes, the kiwi-fact holds [1][2].", {"Alpha": 0.1, "Beta": 0.9})
    assert claims[0].cited == [2]  # only the source that answers yes is cited
    # a negated restatement the claim judge doubts (0.3 < 0.5) is kept when the source clearly answers no
    claims, _ = run_stance("No, the kiwi-fact does not hold [1].", {"Alpha": 0.1, "Beta": 0.9}, states=0.3)
    assert [c.text for c in claims] == ["No."]
    claims, _ = run_stance("No, the kiwi-fact does not hold [1].", {"Alpha": 0.6, "Beta": 0.9}, states=0.3)
    assert claims == []


def test_a_restated_stance_shown_alone_flags_the_sentence_it_was():
    """The stance calibration (eval/calibrate_stance_judge.py) reads each bare stance's unrounded support back
    from the STANCE flag of the sentence it was, paired in order: one flag per bare stance, holding that
    sentence, whose statement is what the judge was asked."""
    claims, flags = run_stance("No, the kiwi-fact does not hold [1]. Yes, the kiwi-fact holds [2].",
                               {"Alpha": 0.1, "Beta": 0.9})
    restated = [f.sentence for f in flags if f.action == Action.STANCE]
    assert [c.text for c in claims] == ["No.", "Yes."]
    assert [statement(t) for t in restated] == ["the kiwi-fact does not hold.", "the kiwi-fact holds."]
    assert [stance_of(t) for t in restated] == ["no", "yes"]
    assert all(0 < c.support[n] < 1 for c in claims for n in c.cited)


def test_a_restated_stance_is_not_shown_when_its_source_says_the_opposite_in_so_many_words():
    """A paper with mixed findings: the 1.5B judge reads "Yes, balanced fluids lower mortality" as stated and
    answered yes (0.89) where the paper says "they did not lower mortality". A clause of the other polarity that
    holds the statement's words beyond the title decides."""
    mixed = Paper("m", "Balanced fluids versus saline", "Balanced fluids reduced kidney injury compared with saline, "
                  "but they did not lower mortality. Hyperchloremia was less frequent.")
    sources = [Source(1, Hit(mixed, 0.0, 1, 1, 0.7), ["m"])]
    verifier = ScriptedStance({("mortality", "Balanced fluids versus saline"): 0.9,
                               ("kidney", "Balanced fluids versus saline"): 0.9}, {"Balanced fluids versus saline": 0.9})

    def shown(text: str, question: str):
        checker = ClaimChecker(question, sources, verifier=verifier, threshold=0.5, settings=AnswerSettings(),
                               stance=(0.7, 0.45))
        return checker.check(cit.split_cited(text)[0])

    out = shown("Yes, balanced fluids lower mortality [1].", "Do balanced fluids lower mortality?")
    assert out.claim is None and out.flags[0].action == Action.CONTRADICTED
    assert "they did not lower mortality" in out.flags[0].reason
    assert shown("Yes, balanced fluids reduce kidney injury [1].", "Do balanced fluids reduce kidney injury?").claim
    # the same when the stance opens a sentence with content of its own (not a restated question)
    out = shown("Yes, balanced fluids lower mortality [1].", "Do balanced fluids help survival?")
    assert out.claim is None and out.flags[0].action == Action.CONTRADICTED
    assert shown("Yes, balanced fluids reduce kidney injury [1].", "Do balanced fluids help patients?").claim
    never = AnswerSettings(opposite_share=1.01)
    checker = ClaimChecker("Do balanced fluids lower mortality?", sources, verifier=verifier, threshold=0.5,
                           settings=never, stance=(0.7, 0.45))
    assert checker.check(cit.split_cited("Yes, balanced fluids lower mortality [1].")[0]).claim  # the judge alone


def test_a_stance_on_a_sentence_with_content_is_checked_through_its_statement():
    claims, _ = run_stance("No, the kiwi-fact holds in this work [1].", {"Alpha": 0.1, "Beta": 0.1},
                           question="Does the kiwi-fact fail?")
    assert claims[0].text == "No, the kiwi-fact holds in this work."  # the statement is what a source must state
    claims, _ = run_stance("No, the kiwi-fact holds in this work [1].", {"Alpha": 0.1, "Beta": 0.1}, states=0.3,
                           question="Does the kiwi-fact fail?")
    assert claims == []


def test_a_stance_on_a_content_sentence_is_shown_only_when_its_source_answers_that_way():
    """'Yes, <a true statement>' on a paper that answers no ("Yes, the method needs no mapping" to "Does the
    method have to learn a mapping?"): the statement is shown, the stance is not."""
    q = "Does the kiwi-fact hold everywhere?"
    claims, flags = run_stance("Yes, the kiwi-fact holds only in this orchard [1].", {"Alpha": 0.1, "Beta": 0.9},
                               question=q)
    assert [c.text for c in claims] == ["The kiwi-fact holds only in this orchard."] and claims[0].cited == [1]
    assert [f.action for f in flags] == [Action.UNSTANCED]
    claims, flags = run_stance("Yes, the kiwi-fact holds only in this orchard [1].", {"Alpha": 0.9, "Beta": 0.9},
                               question=q)
    assert [c.text for c in claims] == ["Yes, the kiwi-fact holds only in this orchard."] and flags == []
    # one citing source that answers that way is enough to keep the stance; both stay cited, for the content
    # they both state (a restated question, whose only content is its stance, cites only the sources backing it)
    claims, _ = run_stance("Yes, the kiwi-fact holds only in this orchard [1][2].", {"Alpha": 0.1, "Beta": 0.9},
                           question=q)
    assert claims[0].text.startswith("Yes, ") and claims[0].cited == [1, 2]
    # a term that starts lowercase keeps its case when the stance goes
    claims, _ = run_stance("Yes, k-means of the kiwi-fact rises in this orchard [1].", {"Alpha": 0.1, "Beta": 0.9},
                           question=q)
    assert [c.text for c in claims] == ["k-means of the kiwi-fact rises in this orchard."]


def test_a_sentence_opening_with_the_word_no_has_no_stance_to_remove():
    """"No prior work ..." is a statement, not the stance "No,": removing "No" would reverse it."""
    claims, flags = run_stance("No prior work shows the kiwi-fact outside this orchard [1].", {"Alpha": 0.9, "Beta": 0.9},
                               question="Does the kiwi-fact hold everywhere?")
    assert [c.text for c in claims] == ["No prior work shows the kiwi-fact outside this orchard."] and flags == []


def test_a_source_that_does_not_say_backs_no_stance():
    """'No, X does not work on Y' to a question the paper does not answer: the judge reads "unknown", so P(no) is
    low, and a sentence the claim judge alone would keep (0.8 >= 0.5) is not shown."""

    class Unsaid(ScriptedStance):
        def stance(self, question: str, paper: Paper) -> tuple[float, float]:
            return 0.1, 0.1  # the rest, 0.8: the paper does not say

    checker = ClaimChecker("Does the kiwi-fact hold?", SOURCES, verifier=Unsaid({("kiwi-fact", "Alpha"): 0.8}, {}),
                           threshold=0.5, settings=AnswerSettings(), stance=(0.7, 0.5))
    assert checker.check(cit.split_cited("No, the kiwi-fact does not hold [1].")[0]).claim is None


def test_both_readings_count():
    # P(no) alone (0.8) would clear the bar (0.45), the mean with P(states) = 0.0 does not
    claims, _ = run_stance("No, the kiwi-fact does not hold [1].", {"Alpha": 0.2, "Beta": 0.2}, states=0.0)
    assert claims == []
    # P(states) alone (0.8) would clear the claim threshold (0.5), the mean with P(no) = 0.05 does not
    claims, _ = run_stance("No, the kiwi-fact does not hold [1].", {"Alpha": 0.95, "Beta": 0.95}, states=0.8)
    assert claims == []


def test_an_uncited_stance_is_checked_against_the_closest_source_and_flagged():
    claims, flags = run_stance("No, the kiwi-fact does not hold for tropical orchard fruit.", {"Alpha": 0.1, "Beta": 0.9},
                               question="Does the kiwi-fact hold for tropical orchard fruit?")
    assert claims[0].cited == [1] and flags[0].action == Action.ATTRIBUTED


def test_without_a_stance_reading_the_claim_judge_alone_decides():
    class NoReading(ScriptedStance):
        reads_stance = False

    checker = ClaimChecker("Does the kiwi-fact hold?", SOURCES, verifier=NoReading({("kiwi-fact", "Alpha"): 0.9},
                           {"Alpha": 0.0}), threshold=0.5, settings=AnswerSettings(), stance=(0.7, 0.5))
    assert checker.check(cit.split_cited("Yes, the kiwi-fact holds [1].")[0]).claim is not None


def test_bare_markers_answering_which_paper_are_names_checked_for_what_the_question_asks():
    # "[2]" to "Which paper has the mango-fact?" names the answer: the question's predicate completes the sentence,
    # and the named source must state it
    shown, out = _verify("[2]", question="Which paper has the mango-fact?")
    assert shown == ['"Beta" has the mango-fact [2].'] and any(f.action == Action.NAMED for f in out.flags)
    # a number that was never given is dropped before the name is read; the other forms of markers count too
    shown, _ = _verify("[2] and [7].", question="Which papers have the mango-fact?")
    assert shown == ['"Beta" has the mango-fact [2].']
    assert cit.named_answer("[1, 2]", "Which papers have it?") == "[1] and [2] have it."
    # the wrong source named: not shown, nothing attributed in its place
    shown, out = _verify("[1].", question="Which papers have the mango-fact?")
    assert shown == [] and any(f.action == Action.UNSUPPORTED for f in out.flags)
    # not a "which paper" question, or not bare markers: left as it was
    assert cit.named_answer("[1]", "What is the mango-fact?") == "[1]"
    assert cit.named_answer("[1] has it.", "Which paper has the mango-fact?") == "[1] has it."
    # a request for papers typed otherwise ("mango-fact papers?", "List the papers on ...") is read the same way
    for asked in ("mango-fact papers?", "List the papers on mango-fact.", "papers about mango-fact?"):
        shown, _ = _verify("[1], [2]", question=asked)
        assert shown == ['"Beta" is about mango-fact [2].'], asked


def test_a_named_answer_is_read_by_the_abstract_judge_against_its_own_bar():
    # "[1]" to "Which paper has the guava-fact?" is checked as '"Alpha" has the guava-fact.': the asker's words, which
    # the judge reads lower than a source's own, so it has its own bar; a drafted sentence keeps the main one
    base = ScriptedVerifier({("guava-fact", "Alpha"): 0.45})

    def shown(text: str, named: float | None, verifier: ScriptedVerifier = base) -> list[str]:
        from assistant.answer.ask import Verified, verify

        checker = ClaimChecker("Which paper has the guava-fact?", SOURCES, verifier=verifier, threshold=0.5,
                               settings=AnswerSettings(), judge=RELEVANCE, question_vec=Q,  # type: ignore[arg-type]
                               named=(base, named) if named is not None else None)
        return list(verify([text], checker, SOURCES, Verified()))

    assert shown("[1]", 0.4) == ['"Alpha" has the guava-fact [1].']
    assert shown("[1]", None) == [] and shown("[1]", 0.5) == []  # without its own bar: the main one
    assert shown("Alpha has the guava-fact [1].", 0.4) == []  # the model's own sentence: the main bar
    # the answer's judge may be another (the prefix shortcut, rejecting here): the named answer's judge reads it
    front = ScriptedVerifier({})
    assert shown("[1]", 0.4, front) == ['"Alpha" has the guava-fact [1].'] and front.calls == []
    assert shown("[1]", None, front) == []


def test_a_sentence_naming_what_its_source_does_not_mention_is_not_stated_by_it():
    """"...including GPT-3 and BERT [1]" of a paper that names no model: the judge (scripted 0.9 here, as the 1.5B
    judge did on a held-out question) reads what the sentence says; what it names must be in the source."""
    calls = len(VERIFIER.calls)
    claims, flags = run("The kiwi-fact holds for GPT-3 and BERT [1].")
    assert claims == [] and flags[0].action == Action.DROPPED and "GPT-3" in flags[0].reason
    assert not any("GPT-3" in c for c in VERIFIER.calls[calls:])  # decided without asking the judge
    claims, _ = run("The kiwi-fact holds at 12.5% [1].")
    assert claims == []
    sources = [Source(1, hit("Alpha", 0.7, "Alpha tests the kiwi-fact on GPT-3 at 12.5%."), ["a"])]
    checker = ClaimChecker("Which fruit facts hold?", sources, verifier=VERIFIER, threshold=0.5,
                           settings=AnswerSettings())
    assert checker.check(cit.split_cited("The kiwi-fact holds for GPT-3 at 12.5% [1].")[0]).claim is not None
    off = ClaimChecker("Which fruit facts hold?", SOURCES, verifier=VERIFIER, threshold=0.5,
                       settings=AnswerSettings(claim_specifics=False))
    assert off.check(cit.split_cited("The kiwi-fact holds for GPT-3 [1].")[0]).claim is not None
    # a bound the question sets, said back ("more than 12.5%"), is the asker's figure, not the sentence's
    bound = ClaimChecker("Does the kiwi-fact hold for more than 12.5% of kiwis?", SOURCES, verifier=VERIFIER,
                         threshold=0.5, settings=AnswerSettings())
    assert bound.check(cit.split_cited("In winter the kiwi-fact holds for more than 12.5% of kiwis [1].")[0]).claim is not None
    assert bound.check(cit.split_cited("The kiwi-fact holds for 13.5% of kiwis [1].")[0]).claim is None


def test_a_sentence_joining_papers_may_name_what_each_states():
    """A summary sentence naming one thing of each paper: neither states it alone, both together do."""
    sources = [Source(1, hit("Alpha", 0.7, "PlainMamba has the kiwi-fact."), ["a"]),
               Source(2, hit("Beta", 0.7, "VMamba has the kiwi-fact."), ["b"])]
    verifier = ScriptedVerifier({("kiwi-fact", "Alpha"): 0.4, ("kiwi-fact", "Beta"): 0.4, ("kiwi-fact", "2 papers"): 0.9})
    checker = ClaimChecker("kiwi", sources, verifier=verifier, threshold=0.5, settings=AnswerSettings(),
                           drop_restatements=False, joint_floor=0.3)
    out = checker.check(cit.split_cited("PlainMamba and VMamba share the kiwi-fact [1][2].")[0])
    assert out.claim is not None and out.claim.cited == [1, 2]
    out = checker.check(cit.split_cited("PlainMamba, VMamba and ViT-B share the kiwi-fact [1][2].")[0])
    assert out.claim is None  # ViT-B is in neither


def test_to_a_yes_no_question_a_sentence_from_a_source_that_does_not_answer_it_is_not_shown():
    """"Do SGLT2 inhibitors slow CKD in type 1 diabetes?" answered "they slowed CKD in type 2 diabetes [1]": true of
    [1], and no answer. With `answers`, a backing source must answer the question (P(yes) + P(no))."""

    class Reads(ScriptedStance):
        def stance(self, question: str, paper: Paper) -> tuple[float, float]:
            return {"Alpha": (0.1, 0.1), "Beta": (0.5, 0.3)}[paper.title]  # Alpha: "unknown" 0.8

    verifier = Reads({("kiwi-fact", "Alpha"): 0.9, ("kiwi-fact", "Beta"): 0.9}, {})

    def shown(text: str, answers: float):
        checker = ClaimChecker("Does the kiwi-fact hold in winter?", SOURCES, verifier=verifier, threshold=0.5,
                               settings=AnswerSettings(), stance=(0.7, 0.45), answers=answers)
        return checker.check(cit.split_cited(text)[0])

    out = shown("The kiwi-fact holds in summer [1].", 0.5)
    assert out.claim is None and out.flags[-1].action == Action.UNANSWERED and out.flags[-1].n == 1
    assert shown("The kiwi-fact holds in summer [1].", 0.0).claim is not None  # the rule off
    # a stance its source backs (the mean of P(states) 0.9 and P(no) 0.1 clears the 'no' bar 0.45) answers it
    assert shown("No, the kiwi-fact does not hold in summer [1].", 0.5).claim is not None
    out = shown("The kiwi-fact holds in summer [1][2].", 0.5)  # one source that answers is enough
    assert out.claim is not None and out.claim.cited == [1, 2]
    # a question that is not yes/no has no such reading
    checker = ClaimChecker("Where does the kiwi-fact hold?", SOURCES, verifier=verifier, threshold=0.5,
                           settings=AnswerSettings(), stance=(0.7, 0.45), answers=0.5)
    assert checker.check(cit.split_cited("The kiwi-fact holds in summer [1].")[0]).claim is not None


class ReadingVerifier:
    """Records the text each check read."""

    name = "reading"

    def __init__(self) -> None:
        self.read: list[str] = []

    def support(self, claims: list[str], paper: Paper) -> list[Support]:
        self.read += [paper.abstract] * len(claims)
        return [Support(0.9, paper.abstract) for _ in claims]


def test_a_sentence_is_read_against_what_its_source_showed_and_a_sentence_naming_it_against_the_whole_abstract():
    from assistant.answer.evidence import as_shown

    whole = "Alpha studies kiwis. Alpha finds kiwi-fact holds. Alpha trains on mangoes."
    sources = [Source(1, hit("Alpha", 0.7, whole), ["Alpha finds kiwi-fact holds."])]
    v = ReadingVerifier()
    checker = ClaimChecker("What does Alpha find?", sources, verifier=v, threshold=0.5, settings=AnswerSettings(),
                           check_against=as_shown(sources), whole_named=True)  # type: ignore[arg-type]
    titles = {1: "Alpha"}
    for s in cit.split_cited("Kiwi-fact holds in the study [1]. [1] trains on mangoes.", titles):
        assert checker.check(s).claim is not None
    assert v.read == ["Alpha finds kiwi-fact holds.", whole]


def test_a_yes_no_draft_the_check_removes_entirely_gives_way_to_the_answering_sources_own_sentences():
    """'Yes, <a false premise>' removed and nothing left: instead of a refusal, the source the judge reads as
    answering the question (P(yes) + P(no) against "unknown" over the bar) is quoted verbatim: of the sentences it
    showed the model closest to the question, those the judge reads as answering it best, in their order; no stance
    is stated. A source that leaves the question open gives nothing, and the answer stays a refusal."""

    class Reads(ScriptedStance):
        def __init__(self, reads: dict[str, tuple[float, float]]) -> None:
            super().__init__({("kiwi-fact", "Alpha"): 0.1}, {})
            self.reads = reads

        def stance(self, question: str, paper: Paper) -> tuple[float, float]:  # one sentence, or the whole source
            return self.reads.get(paper.abstract) or self.reads[paper.title]

    shown = ["Kiwis grow in orchards.", "The kiwi-fact does not hold.", "Mangoes differ.", "Kiwi-fact trials ran."]
    sources = [Source(1, hit("Alpha", 0.7), shown), Source(2, hit("Beta", 0.6), ["b"])]
    rel = ScriptedRelevance({"kiwi-fact": 0.9, "Kiwi-fact": 0.8, "orchards": 0.5, "Mangoes": 0.1})
    by_sentence = {shown[0]: (0.2, 0.1), shown[1]: (0.1, 0.8), shown[2]: (0.3, 0.3), shown[3]: (0.3, 0.2)}

    def answer(reads: dict[str, tuple[float, float]], bar: float = 0.45, draft: str = "Yes, the kiwi-fact holds [1].",
               look: int = 4):
        checker = ClaimChecker("Does the kiwi-fact hold?", sources, verifier=Reads({**by_sentence, **reads}),
                               threshold=0.5, settings=AnswerSettings(), judge=rel,  # type: ignore[arg-type]
                               question_vec=Q, stance=(0.7, 0.45))
        v = ask.Verified()
        list(ask.verify([draft], checker, sources, v))
        if look == 4:
            return ask.fall_back(checker, v, bar), v
        return checker.passages(bar, look=look), v

    quotes, v = answer({"Alpha": (0.3, 0.4), "Beta": (0.1, 0.1)})
    # read as answering best: "does not hold" (0.9) and "Mangoes differ" (0.6), shown in the source's order
    assert [q.text for q in quotes] == ["\u201cThe kiwi-fact does not hold\u201d.", "\u201cMangoes differ\u201d."]
    assert v.claims == quotes and all(q.cited == [1] and q.evidence[1] in shown for q in quotes)
    assert [f.action for f in v.flags][-1] == Action.QUOTED
    # only the sentences closest to the question are read: "Mangoes differ" (0.1) is not among the closest 2
    assert [q.evidence[1] for q in answer({"Alpha": (0.3, 0.4)}, look=2)[0]] == [shown[1], shown[3]]
    assert answer({"Alpha": (0.2, 0.1), "Beta": (0.1, 0.1)})[0] == []  # "unknown": the refusal stands
    assert answer({"Alpha": (0.3, 0.4), "Beta": (0.1, 0.1)}, bar=0.0)[0] == []  # off
    quotes, v = answer({"Alpha": (0.3, 0.4), "Beta": (0.1, 0.1)}, draft="I cannot answer this from the given papers.")
    assert quotes == [] and v.refused  # the model's own refusal is not overruled


class Sentences:
    """Points at an abstract sentence the way EmbeddingJudge does: here, the one sharing the most words."""

    def claim_vectors(self, claims: tuple[str, ...]) -> list[str]:
        return list(claims)

    def best_sentences(self, vec: str, paper: Paper, n: int) -> list[str]:
        sents = [x.strip() + "." for x in paper.abstract.split(".") if x.strip()]
        words = set(re.findall(r"[\w-]+", vec.lower()))
        return sorted(sents, key=lambda x: -len(set(re.findall(r"[\w-]+", x.lower())) & words))[:n]


def test_an_opening_that_restates_what_a_wh_question_assumes_must_be_stated_too_or_the_source_is_quoted():
    """"X does P by Q [1]" to "How does X do P?": the whole sentence passes on Q; P alone is read (as a named
    answer is) and, stated by no backing source, the abstract sentence closest to Q is shown in the source's
    words; a second sentence resting on the same source sentence does not show it again."""
    abstract = "We study kiwis. Our method uses mango-fact to grow them without heat."
    sources = [Source(1, hit("Alpha", 0.7, abstract), ["a"])]
    question = "How does the alpha method grow kiwis in winter?"
    text = "The alpha method grows kiwis in winter by using mango-fact [1]."

    def checker(table: dict[tuple[str, str], float], asked: str = question, premises: bool = True,
                judge: object = Sentences()):
        verifier = ScriptedVerifier(table)
        return ClaimChecker(asked, sources, verifier=verifier, threshold=0.5, settings=AnswerSettings(),
                            judge=judge, named=(verifier, 0.4), premises=premises), verifier  # type: ignore[arg-type]

    c, v = checker({("mango-fact", "Alpha"): 0.9})
    out = c.check(cit.split_cited(text)[0])
    assert out.claim is not None and out.claim.text == "\u201cOur method uses mango-fact to grow them without heat\u201d."
    assert out.claim.cited == [1] and out.claim.evidence == {1: "Our method uses mango-fact to grow them without heat."}
    assert out.claim.verbatim
    assert out.flags[-1].action == Action.PREMISE and v.calls[-1] == "The alpha method grows kiwis in winter."
    again = c.check(cit.split_cited("The alpha method grows kiwis in winter through mango-fact [1].")[0])
    assert again.claim is None and again.flags[-1].action == Action.REPEATED
    c, _ = checker({("mango-fact", "Alpha"): 0.9, ("grows kiwis", "Alpha"): 0.45})  # over the named bar
    out = c.check(cit.split_cited(text)[0])
    assert out.claim is not None and out.claim.text.startswith("The alpha method grows") and out.flags == []
    for kept in (checker({("mango-fact", "Alpha"): 0.9}, premises=False),  # the rule off
                 checker({("mango-fact", "Alpha"): 0.9}, judge=RELEVANCE),  # no judge to point at a sentence
                 checker({("mango-fact", "Alpha"): 0.9}, asked="Does the alpha method grow kiwis in winter?")):
        out = kept[0].check(cit.split_cited(text)[0])  # a yes/no question above: its premise is its stance
        assert out.claim is not None and out.claim.text.startswith("The alpha method grows"), out.flags
    c, v = checker({("mango-fact", "Alpha"): 0.9}, premises=False)
    c.check(cit.split_cited(text)[0])
    assert v.calls == [text.replace(" [1]", "")]  # with the rule off the opening is never read


class RestsOn:
    """Points at the abstract sentences a kept claim rests on, as EmbeddingJudge.rests_on does: here, those sharing
    three or more of its words, in order."""

    def rests_on(self, claim: str, paper: Paper) -> str:
        words = set(re.findall(r"[\w-]+", claim.lower()))
        sents = [x.strip() + "." for x in paper.abstract.split(".") if x.strip()]
        return "\n".join(x for x in sents if len(set(re.findall(r"[\w-]+", x.lower())) & words) >= 3)


def test_a_sentence_pointing_back_at_one_not_shown_gives_way_to_the_source_sentences_it_rests_on():
    """"It uses mango-fact ..." after a removed first sentence: the reader cannot tell what "it" is, so the source
    sentence(s) it rests on are shown, quoted; after a shown sentence it stands as written."""
    abstract = "We study kiwis. Our method uses mango-fact to warm kiwis. The warm kiwis grow in winter."
    sources = [Source(1, hit("Alpha", 0.7, abstract), ["a"])]
    draft = ["Alpha grows kiwis with banana-fact [1].", "It uses mango-fact to warm kiwis [1]."]

    def shown(first: float, standalone: bool = True, second: str = draft[1]) -> ask.Verified:
        verifier = ScriptedVerifier({("banana-fact", "Alpha"): first, ("mango-fact", "Alpha"): 0.9})
        checker = ClaimChecker("How does alpha grow kiwis?", sources, verifier=verifier, threshold=0.5,
                               settings=AnswerSettings(), judge=RestsOn(), standalone=standalone)  # type: ignore[arg-type]
        v = ask.Verified()
        list(ask.verify([draft[0], second], checker, sources, v))
        return v

    v = shown(first=0.1)
    assert render_claims(v.claims) == "\u201cOur method uses mango-fact to warm kiwis\u201d [1]."
    assert v.claims[0].verbatim and v.claims[0].evidence == {1: "Our method uses mango-fact to warm kiwis."}
    assert [f.action for f in v.flags][-1] == Action.UNANCHORED
    assert render_claims(shown(first=0.9).claims).endswith("It uses mango-fact to warm kiwis [1].")  # after a shown one
    assert render_claims(shown(first=0.1, standalone=False).claims) == "It uses mango-fact to warm kiwis [1]."
    two = shown(first=0.1, second="It uses mango-fact to warm kiwis that grow in winter [1].")  # rests on two
    assert [c.text for c in two.claims] == ["\u201cOur method uses mango-fact to warm kiwis\u201d.",
                                            "\u201cThe warm kiwis grow in winter\u201d."]
    plain = shown(first=0.1, second="Alpha uses mango-fact to warm kiwis [1].")  # points at nothing: as written
    assert render_claims(plain.claims) == "Alpha uses mango-fact to warm kiwis [1]."
    # a first sentence points at what the question names: it stands
    verifier = ScriptedVerifier({("mango-fact", "Alpha"): 0.9})
    checker = ClaimChecker("How does alpha grow kiwis?", sources, verifier=verifier, threshold=0.5,
                           settings=AnswerSettings(), judge=RestsOn(), standalone=True)  # type: ignore[arg-type]
    v = ask.Verified()
    list(ask.verify([draft[1]], checker, sources, v))
    assert render_claims(v.claims) == "It uses mango-fact to warm kiwis [1]."
    # its source sentence shown already: nothing is shown again, and no second replacement is reported
    verifier = ScriptedVerifier({("banana-fact", "Alpha"): 0.1, ("mango-fact", "Alpha"): 0.9})
    checker = ClaimChecker("How does alpha grow kiwis?", sources, verifier=verifier, threshold=0.5,
                           settings=AnswerSettings(), judge=RestsOn(), standalone=True)  # type: ignore[arg-type]
    v = ask.Verified()
    list(ask.verify([*draft, "Alpha grows kiwis with banana-fact in June [1].", "They use mango-fact to warm kiwis [1]."],
                    checker, sources, v))
    assert render_claims(v.claims) == "\u201cOur method uses mango-fact to warm kiwis\u201d [1]."
    assert [f.action for f in v.flags].count(Action.UNANCHORED) == 1 and v.flags[-1].action == Action.REPEATED
