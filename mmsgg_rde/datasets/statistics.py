"""Predicate frequency statistics of a scene graph split (frequency bias).

The counts follow the public scene graph benchmark (``get_VG_statistics``):

- ``fg_matrix[s, o, p]``: number of GT triplets (subject class ``s``, object
  class ``o``, predicate ``p``); duplicate triplets are all counted.
- ``bg_matrix[s, o]``: number of ordered pairs ``i != j`` of GT boxes of one
  image whose intersection has a positive area (no "+1" pixel convention).
  An image without any such pair contributes all its ordered pairs instead.
- ``fg_matrix[:, :, 0] = bg_matrix + 1`` and
  ``pred_dist = log(fg_matrix / fg_matrix.sum(-1) + eps)``.

Object classes are indexed by the 0-based labels of this package (the
benchmark's matrices have an extra unused background row and column 0).
"""
from typing import Dict

import numpy as np

__all__ = ['compute_frequency_statistics', 'count_overlapping_pairs']


def _chunk_bounds(pair_counts: np.ndarray, max_pairs: int) -> np.ndarray:
    """Image indices splitting images into runs of at most ``max_pairs``
    pairs (an image with more pairs gets a run of its own)."""
    bounds = [0]
    ends = np.cumsum(pair_counts)
    while bounds[-1] < len(pair_counts):
        start = bounds[-1]
        done = ends[start - 1] if start > 0 else 0
        stop = int(np.searchsorted(ends, done + max_pairs, side='right'))
        bounds.append(max(stop, start + 1))
    return np.asarray(bounds, dtype=np.int64)


def _count_chunk(labels: np.ndarray, bboxes: np.ndarray, starts: np.ndarray,
                 sizes: np.ndarray, num_classes: int,
                 must_overlap: bool) -> np.ndarray:
    """Class-pair counts of the background pairs of a run of images."""
    pair_counts = sizes * sizes
    image = np.repeat(np.arange(len(sizes)), pair_counts)
    first_pair = np.cumsum(pair_counts) - pair_counts
    k = np.arange(image.size) - first_pair[image]
    n = sizes[image]
    sub = starts[image] + k // n
    obj = starts[image] + k % n
    keep = sub != obj
    if must_overlap:
        width = (
            np.minimum(bboxes[sub, 2], bboxes[obj, 2]) -
            np.maximum(bboxes[sub, 0], bboxes[obj, 0]))
        height = (
            np.minimum(bboxes[sub, 3], bboxes[obj, 3]) -
            np.maximum(bboxes[sub, 1], bboxes[obj, 1]))
        overlap = keep & (width > 0) & (height > 0)
        has_overlap = np.bincount(
            image[overlap], minlength=len(sizes)).astype(bool)
        keep = overlap | (keep & ~has_overlap[image])
    codes = labels[sub[keep]] * num_classes + labels[obj[keep]]
    return np.bincount(codes, minlength=num_classes * num_classes)


def count_overlapping_pairs(labels: np.ndarray,
                            bboxes: np.ndarray,
                            box_offsets: np.ndarray,
                            num_classes: int,
                            must_overlap: bool = True,
                            max_pairs_per_chunk: int = 1 << 20) -> np.ndarray:
    """Count background pairs per (subject class, object class).

    Args:
        labels: (N,) object labels 0..num_classes-1, images concatenated.
        bboxes: (N, 4) xyxy boxes, images concatenated.
        box_offsets: (I + 1,) image ``i`` owns rows
            ``box_offsets[i]:box_offsets[i + 1]``.
        num_classes: Number of object classes.
        must_overlap: Count only pairs whose boxes intersect (positive area),
            falling back to all pairs for an image without one; ``False``
            counts all ordered pairs.
        max_pairs_per_chunk: Pairs processed at once (bounds the memory).

    Returns:
        np.ndarray: (num_classes, num_classes) int64 counts.
    """
    labels = np.asarray(labels, dtype=np.int64)
    bboxes = np.asarray(bboxes)
    box_offsets = np.asarray(box_offsets, dtype=np.int64)
    sizes = np.diff(box_offsets)
    counts = np.zeros(num_classes * num_classes, dtype=np.int64)
    bounds = _chunk_bounds(sizes * sizes, max_pairs_per_chunk)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        counts += _count_chunk(labels, bboxes, box_offsets[start:stop],
                               sizes[start:stop], num_classes, must_overlap)
    return counts.reshape(num_classes, num_classes)


def compute_frequency_statistics(labels: np.ndarray,
                                 bboxes: np.ndarray,
                                 relations: np.ndarray,
                                 box_offsets: np.ndarray,
                                 rel_offsets: np.ndarray,
                                 num_classes: int,
                                 num_predicates: int,
                                 must_overlap: bool = True,
                                 eps: float = 1e-3,
                                 max_pairs_per_chunk: int = 1 << 20
                                 ) -> Dict[str, np.ndarray]:
    """Triplet and pair frequencies of a split, and the log frequency bias.

    Args:
        labels: (N,) object labels 0..num_classes-1, images concatenated.
        bboxes: (N, 4) xyxy boxes (the benchmark uses its integer boxes at
            scale 1024, before clipping), images concatenated.
        relations: (R, 3) (subject, object, predicate 1..num_predicates),
            subject/object local to their image, images concatenated.
        box_offsets: (I + 1,) box row range of each image.
        rel_offsets: (I + 1,) relation row range of each image.
        num_classes: Number of object classes (150 for VG-150).
        num_predicates: Number of predicates without background (50).
        must_overlap: See :func:`count_overlapping_pairs`.
        eps: Added to the frequencies before the log.
        max_pairs_per_chunk: See :func:`count_overlapping_pairs`.

    Returns:
        dict: ``fg_matrix`` (C, C, P + 1) int64 with column 0 set to
        ``bg_matrix + 1``; ``bg_matrix`` (C, C) int64 raw pair counts;
        ``pred_dist`` (C, C, P + 1) float32 log frequencies.
    """
    labels = np.asarray(labels, dtype=np.int64)
    relations = np.asarray(relations, dtype=np.int64).reshape(-1, 3)
    box_offsets = np.asarray(box_offsets, dtype=np.int64)
    rel_offsets = np.asarray(rel_offsets, dtype=np.int64)
    width = num_predicates + 1
    base = np.repeat(box_offsets[:-1], np.diff(rel_offsets))
    codes = ((labels[relations[:, 0] + base] * num_classes +
              labels[relations[:, 1] + base]) * width + relations[:, 2])
    fg_matrix = np.bincount(
        codes, minlength=num_classes * num_classes *
        width).reshape(num_classes, num_classes, width)
    bg_matrix = count_overlapping_pairs(labels, bboxes, box_offsets,
                                        num_classes, must_overlap,
                                        max_pairs_per_chunk)
    fg_matrix[:, :, 0] = bg_matrix + 1
    pred_dist = np.log(fg_matrix / fg_matrix.sum(-1, keepdims=True) + eps)
    return dict(
        fg_matrix=fg_matrix,
        bg_matrix=bg_matrix,
        pred_dist=pred_dist.astype(np.float32))
