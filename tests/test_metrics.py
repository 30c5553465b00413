"""Metrics against small hand-computed cases."""

import math

import pytest

from assistant.evaluate.metrics import hit_at_k, mean, mrr_at_k, ndcg_at_k, percentile, recall_at_k, retrieval_scores
from assistant.evaluate.scoring import score_rows


def test_hand_computed_case():
    ranked, gold = ["x", "a", "y", "b"], {"a", "b"}
    assert hit_at_k(ranked, gold, 1) == 0 and hit_at_k(ranked, gold, 2) == 1
    assert recall_at_k(ranked, gold, 2) == 0.5 and recall_at_k(ranked, gold, 5) == 1
    assert mrr_at_k(ranked, gold, 10) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    assert ndcg_at_k(ranked, gold, 10) == pytest.approx(dcg / (1 + 1 / math.log2(3)))


def test_empty_results_score_zero():
    assert retrieval_scores([], ["a"]) == {"hit@1": 0, "hit@5": 0, "recall@5": 0, "mrr@10": 0, "ndcg@10": 0}


def test_rank_beyond_k_does_not_count():
    assert mrr_at_k(["x"] * 10 + ["a"], {"a"}, 10) == 0
    assert ndcg_at_k(["x"] * 10 + ["a"], {"a"}, 10) == 0


def test_duplicate_titles_count_once():
    assert ndcg_at_k(["a", "a"], {"a"}, 10) == 1.0


def test_mean_and_percentile():
    assert mean([]) is None and mean([1, 2]) == 1.5
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 95) == 5 and percentile([], 50) is None
    assert percentile([1, 1, 1, 9], 50) == 1  # ties


def test_scoring_skips_unanswerables_and_groups_by_kind():
    rows = [{"id": "1", "kind": "lookup", "gold": ["a"], "retrieved": ["a"]},
            {"id": "2", "kind": "lookup", "gold": ["b"], "retrieved": []},
            {"id": "3", "kind": "unanswerable", "gold": [], "retrieved": ["a"]}]
    m = score_rows(rows)
    assert m["retrieval"]["overall"]["n"] == 2 and m["retrieval"]["overall"]["hit@1"] == 0.5
    assert m["retrieval"]["by_kind"]["unanswerable"]["n"] == 0


# ---- claim-level scores against the papers' own sentences (no model) -------------------------
from assistant.evaluate.claims import COVER, lexical_score, score_answer, stance  # noqa: E402
from assistant.types import Paper  # noqa: E402

P = Paper("p1", "CaSED: Vocabulary-free Image Classification",
          "CaSED needs no training. It retrieves captions from an external database. "
          "It beats CLIP by 5 points on ten datasets.")
Q = Paper("p2", "Other paper", "Other paper studies bread baking. It uses 3 ovens.")


def test_a_claim_is_grounded_by_its_words_numbers_and_polarity():
    assert lexical_score("CaSED retrieves captions from an external database.", P)[0] == 1.0
    assert lexical_score("CaSED beats CLIP by 7 points.", P)[0] == 0.0  # a number the paper does not state
    assert lexical_score("CaSED does not retrieve captions.", P)[0] < COVER  # the opposite polarity
    assert lexical_score("Yes, CaSED needs no training.", P)[0] == 1.0  # the stance is not a claim word


def test_claim_precision_recall_and_gold_evidence():
    facts = [(P.title, ["It beats CLIP by 5 points on ten datasets."]), (P.title, ["CaSED needs no training."])]
    s = score_answer("CaSED beats CLIP by 5 points on ten datasets [1]. It bakes bread [1][2]. Uncited claim here.",
                     {1: P, 2: Q}, facts)
    assert (s.claims, s.grounded) == (3, 1)  # the bread claim cites P wrongly and Q does not state it
    assert (s.citations, s.correct) == (3, 1)
    assert (s.facts, s.facts_cited) == (2, 1)


def test_quoted_source_sentences_are_counted_apart_and_checked_against_gold_evidence():
    facts = [(P.title, ["It beats CLIP by 5 points on ten datasets."])]
    s = score_answer("Yes [1]. \u201cCaSED needs no training\u201d [1]. It bakes bread [1].", {1: P}, facts)
    assert (s.citations, s.correct, s.quoted, s.quoted_correct) == (2, 1, 1, 1)  # "Yes" alone is no claim
    assert s.quotes_gold is False  # the quote is true, but not the evidence the question needed
    s = score_answer("No [1]. \u201cIt beats CLIP by 5 points on ten datasets\u201d [1].", {1: P}, facts)
    assert s.quotes_gold is True and s.facts_cited == 1
    assert score_answer("CaSED needs no training [1].", {1: P}, facts).quotes_gold is None


def test_a_claim_opening_with_one_papers_name_and_citing_another_counts_as_misnamed():
    s = score_answer("CaSED needs no training [2]. Other paper uses 3 ovens [2]. CaSED beats CLIP [1][2].", {1: P, 2: Q})
    assert s.misnamed == 1  # the first names [1] and cites [2] only; the third cites [1] too


def test_stance_is_the_opening_word():
    assert stance("No, it is training-free [1].") == "no" and stance("Yes.") == "yes"
    assert stance("It is training-free.") is None and stance("Nobody knows.") is None


def test_answer_metrics_refusals_and_gold_citations():
    rows = [{"id": "1", "kind": "lookup", "gold": ["A"], "retrieved": ["A"], "answer": "x", "citations": ["A", "B"],
             "refused": False, "stance": "yes"},
            {"id": "2", "kind": "lookup", "gold": ["B"], "retrieved": ["B"], "answer": "no", "citations": [],
             "refused": True, "stance": "no"},
            {"id": "3", "kind": "unanswerable", "gold": [], "retrieved": ["A"], "answer": "no", "citations": [],
             "refused": True},
            {"id": "4", "kind": "unanswerable", "gold": [], "retrieved": ["A"], "answer": "x", "citations": ["C"],
             "refused": False}]
    m = score_rows(rows, answers=True)["answers"]["overall"]
    assert m["paper_precision"] == 1 / 2  # A right, B wrong (citations on unanswerables are counted apart)
    assert m["paper_recall"] == 0.5 and m["unanswerable_with_citation"] == 1
    assert m["refusal_recall"] == 0.5 and m["refusal_precision"] == 0.5 and m["false_refusal_rate"] == 0.5
    assert m["stance_agreement"] == 0.0  # "x" states no stance; a refusal agrees with nothing


def test_claim_scores_from_rows_use_the_cited_papers():
    row = {"id": "1", "kind": "lookup", "gold": [P.title], "answer": "CaSED needs no training [1].",
           "source_ids": ["p1", "p2"], "refused": False, "citations": [P.title],
           "fact_evidence": [["CaSED needs no training."]], "answer_facts": ["no training"]}
    m = score_rows([row], answers=True, papers={"p1": P, "p2": Q})["answers"]["overall"]
    assert m["claim_citation_precision"] == 1.0 and m["claim_citation_recall"] == 1.0
    assert m["gold_evidence_cited"] == 1.0
