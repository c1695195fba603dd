"""Aggregating per-GT-relation hits into the SGG recall metrics.

All functions take flat arrays with one entry per GT relation of the
evaluated images: ``hits`` (bool, recalled at some K) and ``image_ids``
(which image the relation belongs to). Images without GT relations simply
have no entries. Results are fractions in [0, 1].
"""
from typing import Tuple

import numpy as np

__all__ = [
    'image_mean_recall', 'per_class_recall', 'pair_accuracy', 'f_score',
    'frequency_groups', 'GROUP_NAMES'
]

#: Names of the groups of :func:`frequency_groups`.
GROUP_NAMES = ('head', 'body', 'tail')


def image_mean_recall(hits: np.ndarray, image_ids: np.ndarray) -> float:
    """Recall per image, averaged over images (R@K, zR@K).

    Args:
        hits: (n,) bool, whether each GT relation is recalled.
        image_ids: (n,) image index of each GT relation.

    Returns:
        float: Mean over the images present in ``image_ids`` of their
        recalled fraction; 0 when there is none.
    """
    if hits.size == 0:
        return 0.0
    _, inverse, counts = np.unique(
        image_ids, return_inverse=True, return_counts=True)
    per_image = np.bincount(inverse, weights=hits) / counts
    return float(per_image.mean())


def per_class_recall(hits: np.ndarray, predicates: np.ndarray,
                     image_ids: np.ndarray, num_predicates: int) -> np.ndarray:
    """Recall of each predicate class as used by mR@K.

    For each image and each predicate class ``c`` in its GT, the image
    contributes ``hits_c / count_c``; the class recall is the mean of those
    contributions over the images that contain ``c`` (0 if none does). This
    is not the dataset-level ``sum(hits_c) / sum(count_c)``.

    Args:
        hits: (n,) bool, whether each GT relation is recalled.
        predicates: (n,) predicate ids 1..num_predicates.
        image_ids: (n,) image index of each GT relation.
        num_predicates: Number of predicate classes C (no background).

    Returns:
        np.ndarray: (C,) recall of predicates 1..C; mR@K is its mean.
    """
    radix = num_predicates + 1
    keys = image_ids.astype(np.int64) * radix + predicates
    groups, inverse, counts = np.unique(
        keys, return_inverse=True, return_counts=True)
    ratios = np.bincount(inverse, weights=hits, minlength=groups.size) / counts
    classes = groups % radix
    sums = np.bincount(classes, weights=ratios, minlength=radix)
    num_images = np.bincount(classes, minlength=radix)
    recall = np.zeros(radix)
    np.divide(sums, num_images, out=recall, where=num_images > 0)
    return recall[1:]


def pair_accuracy(hits: np.ndarray) -> float:
    """A@K: recalled GT relations over all GT relations of the dataset.

    Args:
        hits: (n,) bool, whether each GT relation is recalled by the
            predictions on GT pairs.

    Returns:
        float: ``hits.sum() / n``; 0 when ``n == 0``.
    """
    return float(hits.mean()) if hits.size else 0.0


def f_score(recall: float, mean_recall: float) -> float:
    """F@K: harmonic mean of R@K and mR@K (0 when both are 0)."""
    total = recall + mean_recall
    return 2 * recall * mean_recall / total if total > 0 else 0.0


def frequency_groups(
    counts: np.ndarray, splits: Tuple[float, float] = (1 / 3, 2 / 3)
) -> np.ndarray:
    """Head (0), body (1) or tail (2) group of each predicate.

    Predicates are sorted by ``counts`` (descending, ties by id); the body
    starts at fraction ``splits[0]`` of them and the tail at ``splits[1]``.

    Args:
        counts: (C,) frequencies of the predicates.
        splits: Two increasing fractions in [0, 1].

    Returns:
        np.ndarray: (C,) int64 group of each predicate.
    """
    counts = np.asarray(counts, dtype=np.float64)
    order = np.argsort(-counts, kind='stable')
    bounds = np.round(np.asarray(splits) * len(counts)).astype(int)
    groups = np.empty(len(counts), dtype=np.int64)
    groups[order] = np.searchsorted(
        bounds, np.arange(len(counts)), side='right')
    return groups
