import numpy as np

from mmsgg_rde.evaluation.functional import NO_MATCH, first_match_ranks

# GT 0 and 1 are duplicates of one pair with two predicates (keys 7, 8);
# GT 2 has the same triplet as GT 0 on other boxes.
GT_KEYS = np.array([7, 8, 7])
GT_PAIRS = np.array([[0, 1], [0, 1], [2, 1]])
BOX_MATCH = np.array([
    [True, False, True],  # GT box 0 ~ predicted boxes 0 and 2
    [False, True, False],
    [True, False, True],  # GT box 2 ~ predicted boxes 0 and 2
])


def test_first_match_ranks():
    pred_keys = np.array([8, 7, 7, 8])
    pred_pairs = np.array([[1, 0], [2, 1], [0, 1], [0, 1]])
    ranks = first_match_ranks(GT_KEYS, GT_PAIRS, pred_keys, pred_pairs,
                              BOX_MATCH, [4])
    # rank 0: boxes swapped, no match; rank 1 matches GT 0 and GT 2 at once
    np.testing.assert_array_equal(ranks, [[1], [3], [1]])


def test_several_lists():
    # list a: [(0, 1) 8]; list b: empty; list c: [(1, 0) 7, (0, 1) 7]
    pred_keys = np.array([8, 7, 7])
    pred_pairs = np.array([[0, 1], [1, 0], [0, 1]])
    ranks = first_match_ranks(GT_KEYS, GT_PAIRS, pred_keys, pred_pairs,
                              BOX_MATCH, [1, 0, 2])
    np.testing.assert_array_equal(ranks, [[NO_MATCH, NO_MATCH, 1],
                                          [0, NO_MATCH, NO_MATCH],
                                          [NO_MATCH, NO_MATCH, 1]])


def test_unmatched_and_empty():
    box_match = np.ones((2, 2), dtype=bool)
    ranks = first_match_ranks(
        np.array([5]), np.array([[0, 1]]), np.array([4, 6]),
        np.array([[0, 1], [0, 1]]), box_match, [2])
    np.testing.assert_array_equal(ranks, [[NO_MATCH]])
    ranks = first_match_ranks(
        np.array([5]), np.array([[0, 1]]), np.zeros(0, dtype=np.int64),
        np.zeros((0, 2), dtype=np.int64), box_match, [0])
    np.testing.assert_array_equal(ranks, [[NO_MATCH]])
    assert first_match_ranks(
        np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64),
        np.array([5]), np.array([[0, 1]]), box_match, [1]).shape == (0, 1)
