"""Reduce one image's scene graph prediction to a small per-GT record.

The record holds, for every GT relation of the image, the rank of the first
matching prediction in each ranked list. Recall at any ``K`` up to the list
length follows from ``rank < K``, so no score matrix is kept.
"""
from typing import NamedTuple, Optional

import numpy as np

from .box_iou import pixel_box_iou
from .matching import NO_MATCH, first_match_ranks
from .ranking import (best_predicates, no_graph_constraint_topk, stable_topk,
                      triplet_scores)

__all__ = [
    'RECORD_DTYPE', 'GTGraph', 'PredGraph', 'encode_triplets', 'isin_sorted',
    'build_image_records', 'record_rows'
]

#: One row per GT relation. ``rank``: graph-constrained list, ``ng_rank``: no
#: graph constraint list, ``pair_rank``: graph-constrained list restricted to
#: GT pairs (for A@K). Ranks are :data:`NO_MATCH` when nothing matches.
RECORD_DTYPE = np.dtype([('predicate', np.int16), ('rank', np.int32),
                         ('ng_rank', np.int32), ('pair_rank', np.int32),
                         ('zeroshot', np.bool_)])

#: Radix of :func:`encode_triplets`; every id must be below it.
_TRIPLET_RADIX = 1 << 20


class GTGraph(NamedTuple):
    """Ground-truth scene graph of one image (numpy arrays).

    Attributes:
        bboxes: (N, 4) xyxy boxes.
        labels: (N,) object classes.
        pairs: (R, 2) subject and object indices into the boxes.
        predicates: (R,) predicate ids 1..C.
    """

    bboxes: np.ndarray
    labels: np.ndarray
    pairs: np.ndarray
    predicates: np.ndarray


class PredGraph(NamedTuple):
    """Predicted scene graph of one image (numpy arrays).

    Attributes:
        bboxes: (M, 4) xyxy boxes.
        labels: (M,) object classes.
        scores: (M,) object scores.
        pairs: (P, 2) subject and object indices into the boxes.
        rel_scores: (P, C + 1) predicate scores, column 0 is background.
    """

    bboxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    pairs: np.ndarray
    rel_scores: np.ndarray


def encode_triplets(subjects: np.ndarray, objects: np.ndarray,
                    predicates: np.ndarray) -> np.ndarray:
    """Encode ``(subject class, object class, predicate)`` as one int64.

    Args:
        subjects: (n,) subject class ids.
        objects: (n,) object class ids.
        predicates: (n,) predicate ids.

    Returns:
        np.ndarray: (n,) int64 keys, equal iff the triplets are equal.
    """
    subjects = np.asarray(subjects, dtype=np.int64)
    objects = np.asarray(objects, dtype=np.int64)
    predicates = np.asarray(predicates, dtype=np.int64)
    return (subjects * _TRIPLET_RADIX + objects) * _TRIPLET_RADIX + predicates


def isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_keys)`` for sorted, unique ``sorted_keys``.

    A binary search per value; unlike ``np.isin`` it does not sort the keys
    on every call.
    """
    if sorted_keys.size == 0:
        return np.zeros(np.shape(values), dtype=bool)
    found = np.searchsorted(sorted_keys, values)
    return sorted_keys.take(found, mode='clip') == values


def _triplet_keys(labels: np.ndarray, pairs: np.ndarray,
                  predicates: np.ndarray) -> np.ndarray:
    """Keys of the triplets ``(subject class, object class, predicate)``."""
    return encode_triplets(labels[pairs[:, 0]], labels[pairs[:, 1]],
                           predicates)


def build_image_records(gt: GTGraph,
                        pred: PredGraph,
                        topk: int,
                        iou_thr: float,
                        zeroshot: Optional[np.ndarray] = None,
                        with_pair_accuracy: bool = True) -> np.ndarray:
    """Match one image's predictions against its GT relations.

    Three ranked lists are matched: the graph-constrained list (one
    predicate per pair, pairs by triplet score), the no-graph-constraint
    list (best ``(pair, predicate)`` combinations) and, for A@K, the
    graph-constrained list restricted to pairs that are GT pairs (pair
    indices compared directly, so GT and predicted objects must be the same
    boxes in the same order, as in PredCls and SGCls). The first two are cut
    at ``topk``.

    Args:
        gt: Ground truth of the image.
        pred: Prediction of the image.
        topk: Largest K that will be evaluated.
        iou_thr: Both boxes need IoU (+1 convention) >= this to match.
        zeroshot: (R,) bool, which GT relations are zero-shot triplets.
            All False when omitted.
        with_pair_accuracy: Whether to fill ``pair_rank``; it stays
            :data:`NO_MATCH` otherwise.

    Returns:
        np.ndarray: (R,) records of :data:`RECORD_DTYPE`.
    """
    records = np.empty(gt.pairs.shape[0], dtype=RECORD_DTYPE)
    records['predicate'] = gt.predicates
    records['zeroshot'] = False if zeroshot is None else zeroshot
    subj_scores = pred.scores[pred.pairs[:, 0]]
    obj_scores = pred.scores[pred.pairs[:, 1]]
    scores, best = triplet_scores(pred.rel_scores, subj_scores, obj_scores)
    rows = stable_topk(scores, topk)
    ranked = [(rows, best_predicates(pred.rel_scores, rows))]
    ranked.append(
        no_graph_constraint_topk(pred.rel_scores, subj_scores, obj_scores,
                                 topk, best))
    if with_pair_accuracy:
        num_objects = max(gt.bboxes.shape[0], pred.bboxes.shape[0])
        is_gt_pair = np.zeros((num_objects, num_objects), dtype=bool)
        is_gt_pair[gt.pairs[:, 0], gt.pairs[:, 1]] = True
        rows = np.flatnonzero(is_gt_pair[pred.pairs[:, 0], pred.pairs[:, 1]])
        rows = rows[stable_topk(scores[rows], rows.shape[0])]
        ranked.append((rows, best_predicates(pred.rel_scores, rows)))

    pairs = pred.pairs[np.concatenate([rows for rows, _ in ranked])]
    predicates = np.concatenate([predicates for _, predicates in ranked])
    ranks = first_match_ranks(
        _triplet_keys(gt.labels, gt.pairs, gt.predicates), gt.pairs,
        _triplet_keys(pred.labels, pairs, predicates), pairs,
        pixel_box_iou(gt.bboxes, pred.bboxes) >= iou_thr,
        [rows.shape[0] for rows, _ in ranked])
    records['rank'] = ranks[:, 0]
    records['ng_rank'] = ranks[:, 1]
    records['pair_rank'] = ranks[:, 2] if with_pair_accuracy else NO_MATCH
    return records


def record_rows(pred: PredGraph,
                topk: int,
                gt_pairs: Optional[np.ndarray] = None) -> np.ndarray:
    """The prediction rows that :func:`build_image_records` can rank.

    They are the ``topk`` best pairs by triplet score, the pairs of the
    ``topk`` best ``(pair, predicate)`` combinations and, when ``gt_pairs``
    is given (A@K), every pair that is a GT pair. Keeping only these rows
    (in their order) changes no record for any ``K <= topk``: each ranked
    list only ever reaches these rows, and ties still break by row order.

    Args:
        pred: Prediction of the image.
        topk: Largest K that will be evaluated.
        gt_pairs: (R, 2) GT subject and object indices, for A@K.

    Returns:
        np.ndarray: Sorted row indices into ``pred.pairs``.
    """
    subj_scores = pred.scores[pred.pairs[:, 0]]
    obj_scores = pred.scores[pred.pairs[:, 1]]
    scores, best = triplet_scores(pred.rel_scores, subj_scores, obj_scores)
    rows = [
        stable_topk(scores, topk),
        no_graph_constraint_topk(pred.rel_scores, subj_scores, obj_scores,
                                 topk, best)[0]
    ]
    if gt_pairs is not None and gt_pairs.size and pred.pairs.size:
        size = max(int(gt_pairs.max()), int(pred.pairs.max())) + 1
        is_gt_pair = np.zeros((size, size), dtype=bool)
        is_gt_pair[gt_pairs[:, 0], gt_pairs[:, 1]] = True
        rows.append(
            np.flatnonzero(is_gt_pair[pred.pairs[:, 0], pred.pairs[:, 1]]))
    return np.unique(np.concatenate(rows))
