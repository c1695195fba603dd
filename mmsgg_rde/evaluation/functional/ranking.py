"""Ranking predicted relations by triplet score.

Every ordering here is a stable descending sort: equal scores keep the order
of their rows (for the no-graph-constraint list, the order of ``(pair,
predicate)`` in row-major order). Only the ``k`` best entries are sorted,
which keeps SGDet-size inputs (6,320 pairs x 50 predicates) cheap.
"""
from typing import Optional, Tuple

import numpy as np
import torch

__all__ = [
    'stable_topk', 'foreground_max', 'best_predicates', 'triplet_scores',
    'no_graph_constraint_topk', 'top_relations'
]


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
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k >= n:
        return np.argsort(-scores, kind='stable')
    kth = np.partition(scores, n - k)[n - k]
    candidates = np.flatnonzero(scores >= kth)
    order = np.argsort(-scores[candidates], kind='stable')[:k]
    return candidates[order]


def foreground_max(rel_scores: np.ndarray) -> np.ndarray:
    """Best non-background predicate score of each pair.

    Equal to ``rel_scores[:, 1:].max(axis=1)`` (a maximum involves no
    rounding), computed by torch's vectorised reduction on the same memory:
    on SGDet-size inputs (6,320 x 50) numpy's reduction over short rows is
    3-5 times slower, and this is the one pass over every score of an image.

    Args:
        rel_scores: (P, C + 1) predicate scores, column 0 is background.

    Returns:
        np.ndarray: (P,) maxima over columns 1..C.
    """
    return torch.as_tensor(rel_scores)[:, 1:].amax(dim=1).numpy()


def best_predicates(rel_scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The argmax predicate (1..C, first on ties) of the pairs ``rows``.

    Args:
        rel_scores: (P, C + 1) predicate scores, column 0 is background.
        rows: (n,) pair indices.

    Returns:
        np.ndarray: (n,) predicate ids.
    """
    return rel_scores[rows, 1:].argmax(axis=1) + 1


def triplet_scores(rel_scores: np.ndarray, subj_scores: np.ndarray,
                   obj_scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Triplet score of each pair with its best predicate (graph constraint).

    The predicates themselves are only needed for the pairs that are kept;
    :func:`best_predicates` gives them.

    Args:
        rel_scores: (P, C + 1) predicate scores, column 0 is background.
        subj_scores: (P,) subject object scores.
        obj_scores: (P,) object object scores.

    Returns:
        tuple: ``scores`` (P,) ``best * s_sub * s_obj`` and ``best`` (P,)
        the best predicate scores.
    """
    best = foreground_max(rel_scores)
    return best * subj_scores * obj_scores, best


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
        best = foreground_max(rel_scores)
    pair_best = pair_scores * best
    if k <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if num_pairs > k:
        kth = np.partition(pair_best, num_pairs - k)[num_pairs - k]
        pairs = np.flatnonzero(pair_best >= kth)
    else:
        pairs = np.arange(num_pairs)
    combos = (pair_scores[pairs, None] * fg[pairs]).ravel()
    flat = stable_topk(combos, k)
    return pairs[flat // num_predicates], flat % num_predicates + 1


def top_relations(rel_scores: np.ndarray,
                  subj_scores: np.ndarray,
                  obj_scores: np.ndarray,
                  k: int,
                  multi_predicate: bool = False,
                  score_thr: float = 0.
                  ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best relations of an image, as the metric ranks them.

    With ``multi_predicate=False`` each pair has one predicate (the graph
    constrained list of R@K); otherwise a pair may appear with several
    predicates (the no-graph-constraint list of ng-R@K).

    Args:
        rel_scores: (P, C + 1) predicate scores, column 0 is background.
        subj_scores: (P,) subject object scores.
        obj_scores: (P,) object object scores.
        k: Most relations returned.
        multi_predicate: Rank ``(pair, predicate)`` combinations instead of
            pairs.
        score_thr: Drop relations whose triplet score is below this.

    Returns:
        tuple: ``rows`` (n,) pair indices, ``predicates`` (n,) ids 1..C and
        ``scores`` (n,) triplet scores ``s_sub * s_obj * P(p)``, best first.
    """
    if multi_predicate:
        rows, predicates = no_graph_constraint_topk(rel_scores, subj_scores,
                                                    obj_scores, k)
        scores = (
            rel_scores[rows, predicates] * subj_scores[rows] *
            obj_scores[rows])
    else:
        pair_scores, _ = triplet_scores(rel_scores, subj_scores, obj_scores)
        rows = stable_topk(pair_scores, k)
        predicates = best_predicates(rel_scores, rows)
        scores = pair_scores[rows]
    keep = scores >= score_thr
    return rows[keep], predicates[keep], scores[keep]
