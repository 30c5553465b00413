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
