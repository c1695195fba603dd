"""Ranking predicted relations by triplet score.

Every ordering here is a stable descending sort: equal scores keep the order
of their rows (for the no-graph-constraint list, the order of ``(pair,
predicate)`` in row-major order). Only the ``k`` best entries are sorted,
which keeps SGDet-size inputs (6,320 pairs x 50 predicates) cheap.
"""
from typing import Optional, Tuple

import numpy as np

__all__ = ['stable_topk', 'triplet_scores', 'no_graph_constraint_topk']


def stable_topk(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, descending, ties by index.

    Equivalent to ``np.argsort(-scores, kind='stable')[:k]`` but only sorts
    the entries that can reach the top ``k``.

    Args:
        scores: (n,) scores.
        k: How many indices to return (all of them when ``k >= n``).

    Returns:
        np.ndarray: (min(k, n),) int64 indices into ``scores``.
    """
    n = scores.shape[0]
    if k >= n:
        return np.argsort(-scores, kind='stable')
    kth = np.partition(scores, n - k)[n - k]
    candidates = np.flatnonzero(scores >= kth)
    order = np.argsort(-scores[candidates], kind='stable')[:k]
    return candidates[order]


def triplet_scores(rel_scores: np.ndarray, subj_scores: np.ndarray,
                   obj_scores: np.ndarray
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One predicate per pair and its triplet score (graph constraint).

    Args:
        rel_scores: (P, C + 1) predicate scores, column 0 is background.
        subj_scores: (P,) subject object scores.
        obj_scores: (P,) object object scores.

    Returns:
        tuple: ``scores`` (P,) ``best * s_sub * s_obj``, ``labels`` (P,) the
        argmax predicate ids 1..C (first on ties) and ``best`` (P,) their
        predicate scores.
    """
    fg = rel_scores[:, 1:]
    labels = fg.argmax(axis=1)
    best = fg[np.arange(fg.shape[0]), labels]
    return best * subj_scores * obj_scores, labels + 1, best


def no_graph_constraint_topk(rel_scores: np.ndarray,
                             subj_scores: np.ndarray,
                             obj_scores: np.ndarray,
                             k: int,
                             best: Optional[np.ndarray] = None
                             ) -> Tuple[np.ndarray, np.ndarray]:
    """The ``k`` best ``(pair, predicate)`` combinations.

    Every combination scores ``s_sub * s_obj * rel_scores[pair, p]`` for
    ``p >= 1``. Only pairs whose best combination reaches the ``k``-th best
    pair maximum can hold a top-``k`` combination, so only those pairs are
    expanded.

    Args:
        rel_scores: (P, C + 1) predicate scores, column 0 is background.
        subj_scores: (P,) subject object scores.
        obj_scores: (P,) object object scores.
        k: Length of the ranked list.
        best: (P,) max predicate score of each pair (column 0 excluded), if
            already known (see :func:`triplet_scores`).

    Returns:
        tuple: ``rows`` (<= k,) pair indices and ``predicates`` (<= k,)
        predicate ids 1..C, best combination first.
    """
    fg = rel_scores[:, 1:]
    num_pairs, num_predicates = fg.shape
    pair_scores = subj_scores * obj_scores
    if best is None:
        best = fg.max(axis=1)
    pair_best = pair_scores * best
    if num_pairs > k:
        kth = np.partition(pair_best, num_pairs - k)[num_pairs - k]
        pairs = np.flatnonzero(pair_best >= kth)
    else:
        pairs = np.arange(num_pairs)
    combos = (pair_scores[pairs, None] * fg[pairs]).ravel()
    flat = stable_topk(combos, k)
    return pairs[flat // num_predicates], flat % num_predicates + 1
