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


# ---- ALCE citation recall / precision, against hand-computed cases with a fake judge --------
from assistant.evaluate.alce import alce  # noqa: E402
from assistant.evaluate.scoring import _validity  # noqa: E402
from assistant.types import Paper  # noqa: E402

A, B, C = (Paper(paper_id=x, title=x, abstract=x) for x in "ABC")


def judge(claim: str, papers: list[Paper]) -> float:
    """A claim 'X Y.' is supported by sources whose ids cover all its letters."""
    have = {p.paper_id for p in papers}
    return 1.0 if set(claim.rstrip(".").split()) <= have else 0.0


def test_alce_supported_and_irrelevant_citations():
    # s1 "A." cites [1][2]: supported; [2] fails alone and [1] alone supports -> irrelevant
    # s2 "B C." cites [2][3]: supported only together -> both relevant
    # s3 "C." cites nothing -> unsupported
    s = alce("A [1][2]. B C [2][3]. C.", {1: A, 2: B, 3: C}, judge, 0.5)
    assert (s.sentences, s.supported, s.citations, s.relevant) == (3, 2, 4, 3)
    assert s.recall == 2 / 3 and s.precision == 3 / 4


def test_alce_unsupported_sentence_makes_its_citations_irrelevant_and_caps_at_three():
    s = alce("A B C [3][3].", {1: A, 2: B, 3: C}, judge, 0.5)
    assert (s.supported, s.citations, s.relevant) == (0, 1, 0)
    s = alce("A [1][2][3][1].", {1: A, 2: B, 3: C}, judge, 0.5)
    assert s.citations == 3


def test_alce_empty_answer():
    s = alce("", {1: A}, judge, 0.5)
    assert s.recall is None and s.precision is None


def test_citation_validity_of_drafts():
    assert _validity({"draft": "x [1][7]. y [2-3].", "source_ids": ["a", "b"]}) == 0.5
    assert _validity({"draft": "no citations", "source_ids": ["a"]}) is None


def test_answer_metrics_refusals_and_gold_citations():
    rows = [{"id": "1", "kind": "lookup", "gold": ["A"], "retrieved": ["A"], "answer": "x", "citations": ["A", "B"],
             "refused": False},
            {"id": "2", "kind": "lookup", "gold": ["B"], "retrieved": ["B"], "answer": "no", "citations": [],
             "refused": True},
            {"id": "3", "kind": "unanswerable", "gold": [], "retrieved": ["A"], "answer": "no", "citations": [],
             "refused": True},
            {"id": "4", "kind": "unanswerable", "gold": [], "retrieved": ["A"], "answer": "x", "citations": ["C"],
             "refused": False}]
    m = score_rows(rows, answers=True)["answers"]["overall"]
    assert m["citation_precision"] == 1 / 3  # A right; B and C wrong
    assert m["citation_recall"] == 0.5
    assert m["refusal_recall"] == 0.5 and m["refusal_precision"] == 0.5 and m["false_refusal_rate"] == 0.5
