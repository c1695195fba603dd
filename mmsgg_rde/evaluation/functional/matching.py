"""Matching ranked predicted triplets to ground-truth triplets."""
from typing import Sequence

import numpy as np

__all__ = ['NO_MATCH', 'first_match_ranks']

#: Rank given to a ground-truth relation that no prediction matches. It is
#: larger than any K, so ``rank < K`` is False for it.
NO_MATCH = np.iinfo(np.int32).max


def first_match_ranks(gt_triplets: np.ndarray, gt_pairs: np.ndarray,
                      pred_triplets: np.ndarray, pred_pairs: np.ndarray,
                      box_match: np.ndarray,
                      list_lengths: Sequence[int]) -> np.ndarray:
    """Rank of the first prediction that matches each GT relation.

    A prediction matches a GT relation when their ``(subject class,
    predicate, object class)`` are equal and both the subject boxes and the
    object boxes overlap enough. One prediction may match several GT
    relations (e.g. duplicates). GT relation ``i`` is recalled at ``K`` by
    list ``j`` iff ``ranks[i, j] < K``: the union of the matches of the
    list's first ``K`` predictions.

    The predictions are several ranked lists laid end to end (their lengths
    in ``list_lengths``), so that they are matched in one pass.

    Args:
        gt_triplets: (R,) triplet keys (see :func:`encode_triplets`).
        gt_pairs: (R, 2) GT object indices of subject and object.
        pred_triplets: (Q,) keys of the ranked predicted triplets, each list
            best first.
        pred_pairs: (Q, 2) predicted object indices of subject and object.
        box_match: (N_gt, N_pred) bool, whether a GT box and a predicted box
            overlap enough.
        list_lengths: Length of each list, summing to Q.

    Returns:
        np.ndarray: (R, len(list_lengths)) int32 ranks within each list,
        :data:`NO_MATCH` where none matches.
    """
    match = gt_triplets[:, None] == pred_triplets
    match &= box_match[gt_pairs[:, 0, None], pred_pairs[:, 0]]
    match &= box_match[gt_pairs[:, 1, None], pred_pairs[:, 1]]
    ranks = np.full((gt_triplets.shape[0], len(list_lengths)),
                    NO_MATCH,
                    dtype=np.int32)
    start = 0
    for j, length in enumerate(list_lengths):
        part = match[:, start:start + length]
        start += length
        if length:
            hit = part.any(axis=1)
            ranks[hit, j] = part[hit].argmax(axis=1)
    return ranks
