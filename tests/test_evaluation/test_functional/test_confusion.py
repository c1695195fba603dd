import numpy as np

from mmsgg_rde.evaluation.functional import (NO_PAIR, GTGraph, PredGraph,
                                             frequency_groups,
                                             predicate_confusion)

BOXES = np.array([[0, 0, 9, 9], [20, 0, 29, 9], [40, 0, 49, 9]],
                 dtype=np.float32)


def test_same_objects_look_up_the_pair():
    gt = GTGraph(BOXES, np.array([0, 1, 2]), np.array([[0, 1], [1, 2], [2,
                                                                        0]]),
                 np.array([1, 2, 3]))
    pairs = np.array([[1, 2], [0, 1]])  # (2, 0) is not predicted
    rel_scores = np.array([[0.9, 0.05, 0.05, 0.0], [0.1, 0.2, 0.2, 0.5]])
    pred = PredGraph(BOXES, gt.labels, np.ones(3), pairs, rel_scores)
    # background ignored, ties to the first predicate
    np.testing.assert_array_equal(
        predicate_confusion(gt, pred), [3, 1, NO_PAIR])


def test_detections_match_by_boxes_best_pair_first():
    gt = GTGraph(BOXES[:2], np.array([0, 1]), np.array([[0, 1]]),
                 np.array([2]))
    boxes = np.concatenate([BOXES[:2], BOXES[:2] + 1, [[60, 60, 70, 70]]])
    pairs = np.array([[0, 1], [2, 3], [4, 1], [2, 1]])
    rel_scores = np.array([[0, 0.1, 0.9], [0, 0.8, 0.2], [0, 1.0, 0.0],
                           [0, 0.3, 0.7]])
    scores = np.array([0.5, 0.5, 1.0, 1.0, 1.0])
    pred = PredGraph(boxes, np.zeros(5, int), scores, pairs, rel_scores)
    # triplet scores 0.225, 0.8, 1.0 (boxes do not match), 0.7
    np.testing.assert_array_equal(
        predicate_confusion(gt, pred, same_objects=False), [1])
    far = pred._replace(bboxes=boxes + 100)
    np.testing.assert_array_equal(
        predicate_confusion(gt, far, same_objects=False), [NO_PAIR])


def test_frequency_groups():
    counts = np.array([5, 50, 1, 20, 20, 0])
    np.testing.assert_array_equal(frequency_groups(counts), [1, 0, 2, 0, 1, 2])
    np.testing.assert_array_equal(
        frequency_groups(counts, (0.5, 0.5)), [2, 0, 2, 0, 0, 2])
