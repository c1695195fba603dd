import numpy as np
import pytest

from mmsgg_rde.evaluation.functional import (f_score, image_mean_recall,
                                             pair_accuracy, per_class_recall)

# image 0: predicate 1 (hit), 1 (miss), 2 (hit); image 1: predicate 1 (hit)
HITS = np.array([True, False, True, True])
PREDICATES = np.array([1, 1, 2, 1])
IMAGES = np.array([0, 0, 0, 1])


def test_image_mean_recall_averages_images():
    # (2/3 + 1/1) / 2, not 3/4
    assert image_mean_recall(HITS, IMAGES) == pytest.approx(5 / 6)
    assert image_mean_recall(HITS[:0], IMAGES[:0]) == 0.0


def test_per_class_recall_is_per_image_per_class():
    recall = per_class_recall(HITS, PREDICATES, IMAGES, 3)
    # predicate 1: images give 1/2 and 1/1 -> 0.75 (dataset level: 2/3);
    # predicate 2: 1; predicate 3 never occurs: 0
    np.testing.assert_allclose(recall, [0.75, 1.0, 0.0])
    assert recall.mean() == pytest.approx(1.75 / 3)


def test_pair_accuracy_is_micro():
    assert pair_accuracy(HITS) == 0.75
    assert pair_accuracy(np.zeros(0, dtype=bool)) == 0.0


def test_f_score():
    assert f_score(0.25, 1 / 6) == pytest.approx(0.2)
    assert f_score(0.0, 0.0) == 0.0
