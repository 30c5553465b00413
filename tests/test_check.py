"""The citation check, evidence selection and answer-type rules, with a scripted judge (pure logic)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer import citations as cit
from assistant.answer.answer_type import expects_number, gives_number
from assistant.answer.ask import check, quote_top, restates_question
from assistant.answer.evidence import near_best, relevant
from assistant.config import Settings
from assistant.types import Hit, Paper, Source


def hit(title: str, sim: float | None) -> Hit:
    return Hit(Paper(title.lower(), title, f"{title} abstract."), 0.0, 1, 1, sim)


class ScriptedJudge:
    """Support = scripted per (word in claim, paper title); relevance = scripted per word in claim."""

    def __init__(self, support: dict[tuple[str, str], float], relevance: dict[str, float]) -> None:
        self.support, self.rel = support, relevance

    def scores(self, claims: list[str], paper: Paper) -> list[float]:
        return [max((v for (w, t), v in self.support.items() if w in c and t == paper.title), default=0.0)
                for c in claims]

    def relevance(self, claims: list[str], query_vec: np.ndarray) -> list[float]:
        return [max((v for w, v in self.rel.items() if w in c), default=0.0) for c in claims]

    def best_sentences(self, query_vec: np.ndarray, paper: Paper, n: int) -> list[str]:
        return [paper.abstract][:n]


SOURCES = [Source(1, hit("Alpha", 0.7), ["a"]), Source(2, hit("Beta", 0.6), ["b"])]
JUDGE = ScriptedJudge({("kiwi-fact", "Alpha"): 0.9, ("mango-fact", "Beta"): 0.9, ("padding", "Beta"): 0.9},
                      {"kiwi-fact": 0.7, "mango-fact": 0.7, "padding": 0.2})
Q = np.ones(3)


def run(text: str, question_vec: np.ndarray | None = Q) -> tuple[str, list[int], list[dict[str, object]]]:
    out, cites, flagged = check(text, "question words here", SOURCES, JUDGE, Settings(), question_vec=question_vec)
    return out, [c.n for c in cites], flagged


def test_supported_citations_stay_and_unsupported_go():
    out, cites, flagged = run("The kiwi-fact holds in this work [1]. The mango-fact holds as well [1].")
    assert cites == [1, 2]  # the second sentence's [1] is dropped, then it is attributed to Beta
    assert [f["action"] for f in flagged] == ["dropped", "attributed"]
    assert out.endswith("[2].")


def test_off_topic_sentence_may_not_cite_a_lower_source():
    out, cites, flagged = run("The kiwi-fact holds in this work [1]. Some padding sentence from elsewhere [2].")
    assert cites == [1] and "padding" not in out
    assert {"n": 2, "action": "off-topic"}.items() <= flagged[0].items()


def test_without_a_question_vector_every_source_may_back_a_sentence():
    # summaries call check() without a question vector: many papers, each on its own topic
    out, cites, _ = run("The kiwi-fact holds in this work [1]. Some padding sentence from elsewhere [2].", None)
    assert cites == [1, 2] and "padding" in out


def test_a_citation_to_a_number_not_given_never_reaches_the_output():
    out, cites, _ = run("The kiwi-fact holds in this work [1][7].")
    assert cites == [1] and "[7]" not in out


def test_relevant_keeps_the_top_hit_and_those_near_the_best():
    hits = [hit("A", 0.40), hit("B", 0.62), hit("C", 0.50), hit("D", None)]
    assert [h.paper.title for h in relevant(hits, 0.15)] == ["A", "B", "C"]
    assert [h.paper.title for h in relevant(hits, 0.05)] == ["A", "B"]
    assert relevant([], 0.1) == []
    # summaries: an absolute floor as well, and no top hit kept for its rank
    assert [h.paper.title for h in near_best(hits, 0.3, floor=0.45)] == ["B", "C"]
    named = hit("E", 0.10)
    named.name_match = True  # a paper that carries the question's rare name is kept however far below
    assert [h.paper.title for h in relevant([*hits, named], 0.05)] == ["A", "B", "E"]


@pytest.mark.parametrize("question, kind", [
    ("What score does Idefics2 achieve on the MMMU benchmark?", "metric"),
    ("What MRR@10 does ColBERTv2 report on MS MARCO?", "metric"),
    ("What top-1 ImageNet accuracy does PlainMamba reach?", "metric"),
    ("What learning rate and batch size were used?", "metric"),
    ("How many GPUs were used to train VMamba?", "count"),
    ("Which method was applied to jet tagging, and how few features did it need?", "count"),
    ("What happens to their accuracy as the label set grows?", None),
    ("Which paper proposes a sparse retrieval method?", None),
])
def test_questions_that_ask_for_a_figure(question, kind):
    assert expects_number(question) == kind


def test_answers_that_state_a_figure():
    assert gives_number("It reaches 82.7% top-1 accuracy.", "metric")
    assert not gives_number("It is on par with models four times its size.", "metric")
    assert gives_number("It needs only ten features.", "count")
    assert not gives_number("It trains on ImageNet-1K with a top-1 objective.", "metric")
    assert not gives_number("It is the best on ImageNet 256*256.", "metric", "What FID on ImageNet 256x256?")
    assert gives_number("It reaches FID 1.54 on ImageNet 256*256.", "metric", "What FID on ImageNet 256x256?")


QUESTION = "Is there a method that retrofits word vectors with lexicon relations?"


@pytest.mark.parametrize("draft, restates", [
    ("Yes, there is a method that retrofits word vectors with lexicon relations [1].", True),
    ("Yes, there is a method that retrofits word vectors with lexicon relations.", True),  # uncited
    ("Alpha [1].", True),  # names the top paper and nothing else
    ("Yes, there is a method that retrofits word vectors with lexicon relations [2].", False),  # not the top one
    ("It refines vectors so linked words move closer, and helps on similarity tasks [1].", False),  # content
    ("Beta [2].", False),
])
def test_a_draft_that_only_restates_the_question(draft, restates):
    assert restates_question(cit.split_cited(draft)[0], QUESTION, SOURCES) is restates


def test_the_top_paper_is_quoted_only_when_its_sentence_is_on_the_question():
    judge = ScriptedJudge({("Alpha abstract", "Alpha"): 1.0}, {"Alpha abstract": 0.7})
    text, citation = quote_top(QUESTION, Q, SOURCES, judge, Settings())  # type: ignore[misc]
    assert text == "The closest paper is Alpha [1]. It says: “Alpha abstract.” [1]"
    assert (citation.n, citation.title) == (1, "Alpha")
    far = ScriptedJudge({}, {"Alpha abstract": 0.2})
    assert quote_top(QUESTION, Q, SOURCES, far, Settings()) is None
