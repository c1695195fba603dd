import numpy as np

from mmsgg_rde.evaluation.functional import (best_predicates, foreground_max,
                                             no_graph_constraint_topk,
                                             stable_topk, top_relations,
                                             triplet_scores)


def test_stable_topk_breaks_ties_by_index():
    scores = np.array([0.2, 0.5, 0.2, 0.9, 0.5, 0.2])
    np.testing.assert_array_equal(stable_topk(scores, 3), [3, 1, 4])
    np.testing.assert_array_equal(stable_topk(scores, 4), [3, 1, 4, 0])
    np.testing.assert_array_equal(stable_topk(scores, 10), [3, 1, 4, 0, 2, 5])
    assert stable_topk(np.zeros(0), 5).shape == (0, )


def test_stable_topk_matches_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 20, 500).astype(np.float32)  # many ties
    for k in (1, 7, 100, 499, 500, 600):
        np.testing.assert_array_equal(
            stable_topk(scores, k),
            np.argsort(-scores, kind='stable')[:k])


def test_triplet_scores_and_best_predicates():
    rel_scores = np.array([[0.7, 0.1, 0.2], [0.0, 0.4, 0.4]])
    scores, best = triplet_scores(rel_scores, np.array([0.5, 1.0]),
                                  np.array([0.5, 0.5]))
    # background column 0 is ignored; ties take the first predicate
    np.testing.assert_allclose(best, [0.2, 0.4])
    np.testing.assert_allclose(scores, [0.2 * 0.25, 0.4 * 0.5])
    np.testing.assert_array_equal(
        best_predicates(rel_scores, np.array([1, 0])), [1, 2])
    assert best_predicates(rel_scores, np.zeros(0, dtype=int)).shape == (0, )


def test_foreground_max_equals_numpy():
    rng = np.random.default_rng(3)
    for shape, dtype in (((6320, 51), np.float32), ((7, 51), np.float64),
                         ((0, 51), np.float32)):
        rel_scores = np.round(rng.random(shape), 2).astype(dtype)
        best = foreground_max(rel_scores)
        assert best.dtype == dtype
        np.testing.assert_array_equal(best, rel_scores[:, 1:].max(axis=1))


def test_top_relations_one_or_several_predicates():
    rel_scores = np.array([
        [0.0, 0.6, 0.4, 0.0],
        [0.5, 0.3, 0.0, 0.2],
        [0.0, 0.1, 0.1, 0.8],
    ])
    subj = np.array([1.0, 1.0, 0.5])
    ones = np.ones(3)
    rows, predicates, scores = top_relations(rel_scores, subj, ones, 2)
    np.testing.assert_array_equal(rows, [0, 2])
    np.testing.assert_array_equal(predicates, [1, 3])
    np.testing.assert_allclose(scores, [0.6, 0.4])
    rows, predicates, scores = top_relations(
        rel_scores, subj, ones, 3, multi_predicate=True)
    np.testing.assert_array_equal(rows, [0, 0, 2])
    np.testing.assert_array_equal(predicates, [1, 2, 3])
    np.testing.assert_allclose(scores, [0.6, 0.4, 0.4])
    rows, _, scores = top_relations(rel_scores, subj, ones, 3, score_thr=0.35)
    np.testing.assert_array_equal(rows, [0, 2])
    assert (scores >= 0.35).all()


def test_no_graph_constraint_keeps_several_predicates_per_pair():
    rel_scores = np.array([
        [0.0, 0.6, 0.4, 0.0],  # pair 0: 0.6 and 0.4
        [0.5, 0.3, 0.0, 0.2],  # pair 1: 0.3 and 0.2
    ])
    ones = np.ones(2)
    rows, predicates = no_graph_constraint_topk(rel_scores, ones, ones, 3)
    np.testing.assert_array_equal(rows, [0, 0, 1])
    np.testing.assert_array_equal(predicates, [1, 2, 1])
    # object scores weigh the whole pair
    rows, predicates = no_graph_constraint_topk(rel_scores,
                                                np.array([0.1, 1.0]), ones, 2)
    np.testing.assert_array_equal(rows, [1, 1])
    np.testing.assert_array_equal(predicates, [1, 3])


def test_no_graph_constraint_matches_full_sort():
    rng = np.random.default_rng(1)
    rel_scores = np.round(rng.random((300, 8)), 1).astype(np.float32)
    subj = np.round(rng.random(300), 1).astype(np.float32)
    obj = np.round(rng.random(300), 1).astype(np.float32)
    combos = (subj * obj)[:, None] * rel_scores[:, 1:]
    flat = np.argsort(-combos.ravel(), kind='stable')
    for k in (1, 50, 100, 2100, 3000):
        rows, predicates = no_graph_constraint_topk(rel_scores, subj, obj, k)
        np.testing.assert_array_equal(rows, flat[:k] // 7)
        np.testing.assert_array_equal(predicates, flat[:k] % 7 + 1)


def test_no_pairs():
    rows, predicates = no_graph_constraint_topk(
        np.zeros((0, 51)), np.zeros(0), np.zeros(0), 100)
    assert rows.shape == predicates.shape == (0, )


def test_zero_k_gives_empty_lists():
    rel_scores = np.random.default_rng(0).random((5, 4))
    ones = np.ones(5)
    assert stable_topk(rel_scores[:, 0], 0).shape == (0, )
    rows, predicates = no_graph_constraint_topk(rel_scores, ones, ones, 0)
    assert rows.shape == predicates.shape == (0, )
    for multi in (False, True):
        rows, predicates, scores = top_relations(rel_scores, ones, ones, 0,
                                                 multi)
        assert rows.shape == predicates.shape == scores.shape == (0, )
