import numpy as np
import pytest

from mmsgg_rde.datasets.statistics import (compute_frequency_statistics,
                                           count_overlapping_pairs)

# Three images (integer xyxy boxes, labels 0..2, relations local):
# A: b0-b1 and b1-b2 intersect; b0-b2 only touch (zero area, no overlap).
# B: two disjoint boxes, so every ordered pair counts as background.
# C: a single box, no pair at all.
BOXES = np.array([
    [0, 0, 10, 10],
    [5, 5, 15, 15],
    [10, 0, 20, 10],
    [0, 0, 5, 5],
    [100, 100, 110, 110],
    [0, 0, 5, 5],
])
LABELS = np.array([0, 1, 2, 0, 0, 2])
BOX_OFFSETS = np.array([0, 3, 5, 6])
RELATIONS = np.array([
    [0, 1, 1],
    [0, 1, 1],
    [0, 1, 2],
    [2, 0, 2],
    [1, 0, 1],
])
REL_OFFSETS = np.array([0, 4, 5, 5])


def _stats(**kwargs):
    return compute_frequency_statistics(
        LABELS,
        BOXES,
        RELATIONS,
        BOX_OFFSETS,
        REL_OFFSETS,
        num_classes=3,
        num_predicates=2,
        **kwargs)


def test_background_pairs_overlap_and_fallback():
    bg = count_overlapping_pairs(LABELS, BOXES, BOX_OFFSETS, num_classes=3)
    # A: (0,1), (1,0), (1,2), (2,1); B: fallback (0,1), (1,0) -> [0, 0] = 2.
    expected = np.array([[2, 1, 0], [1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(bg, expected)


def test_background_pairs_without_overlap_requirement():
    bg = count_overlapping_pairs(
        LABELS, BOXES, BOX_OFFSETS, num_classes=3, must_overlap=False)
    # A: all 6 ordered pairs, B: 2.
    expected = np.array([[2, 1, 1], [1, 0, 1], [1, 1, 0]])
    np.testing.assert_array_equal(bg, expected)


@pytest.mark.parametrize('max_pairs', [1, 4, 9, 10, 1000])
def test_chunking_does_not_change_counts(max_pairs):
    bg = count_overlapping_pairs(
        LABELS,
        BOXES,
        BOX_OFFSETS,
        num_classes=3,
        max_pairs_per_chunk=max_pairs)
    np.testing.assert_array_equal(bg.sum(), 6)
    np.testing.assert_array_equal(
        bg, count_overlapping_pairs(LABELS, BOXES, BOX_OFFSETS, 3))


def test_foreground_counts_duplicates():
    fg = _stats()['fg_matrix']
    assert fg.shape == (3, 3, 3)
    assert fg.dtype == np.int64
    assert fg[0, 1, 1] == 2  # the duplicate triplet is counted twice
    assert fg[0, 1, 2] == 1
    assert fg[2, 0, 2] == 1
    assert fg[0, 0, 1] == 1
    assert fg[:, :, 1:].sum() == 5


def test_background_column_is_bg_plus_one():
    stats = _stats()
    np.testing.assert_array_equal(stats['bg_matrix'],
                                  [[2, 1, 0], [1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(stats['fg_matrix'][:, :, 0],
                                  [[3, 2, 1], [2, 1, 2], [1, 2, 1]])


def test_log_frequency_bias():
    pred_dist = _stats()['pred_dist']
    assert pred_dist.dtype == np.float32
    # (0, 1): counts [2, 2, 1] of 5.
    np.testing.assert_allclose(
        pred_dist[0, 1],
        np.log([0.4 + 1e-3, 0.4 + 1e-3, 0.2 + 1e-3]),
        rtol=1e-6)
    # (2, 0): counts [1, 0, 1] of 2; a zero count gives log(eps).
    np.testing.assert_allclose(
        pred_dist[2, 0], np.log([0.501, 0.001, 0.501]), rtol=1e-6)
    # (0, 0): counts [3, 1, 0] of 4.
    np.testing.assert_allclose(
        pred_dist[0, 0], np.log([0.751, 0.251, 0.001]), rtol=1e-6)
    np.testing.assert_allclose(
        _stats(eps=0.5)['pred_dist'][2, 0], np.log([1.0, 0.5, 1.0]), rtol=1e-6)
