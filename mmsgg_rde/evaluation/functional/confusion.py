"""Which predicate the model gives to each ground-truth relation's pair."""
import numpy as np

from .box_iou import pixel_box_iou
from .ranking import best_predicates, stable_topk, triplet_scores
from .records import GTGraph, PredGraph

__all__ = ['NO_PAIR', 'predicate_confusion']

#: Predicted "predicate" of a GT relation whose pair was not predicted.
NO_PAIR = 0


def predicate_confusion(gt: GTGraph,
                        pred: PredGraph,
                        iou_thr: float = 0.5,
                        same_objects: bool = True) -> np.ndarray:
    """The predicate predicted for the pair of each GT relation.

    With ``same_objects`` (PredCls, SGCls: predicted objects are the GT
    boxes in order) the pair is found by its indices. Otherwise (SGDet) it
    is the best-ranked predicted pair (by triplet score) whose subject and
    object boxes both overlap the GT ones by ``iou_thr`` ("+1" IoU), object
    classes ignored. Its predicate is its argmax over 1..C.

    Args:
        gt: Ground truth of the image.
        pred: Prediction of the image.
        iou_thr: Box overlap needed in SGDet.
        same_objects: Match pairs by index instead of by boxes.

    Returns:
        np.ndarray: (R,) predicted predicate per GT relation, :data:`NO_PAIR`
        where no predicted pair is there.
    """
    out = np.full(gt.pairs.shape[0], NO_PAIR, dtype=np.int64)
    if gt.pairs.shape[0] == 0 or pred.pairs.shape[0] == 0:
        return out
    if same_objects:
        size = max(int(gt.pairs.max()), int(pred.pairs.max())) + 1
        row_of = np.full((size, size), -1, dtype=np.int64)
        row_of[pred.pairs[:, 0],
               pred.pairs[:, 1]] = np.arange(pred.pairs.shape[0])
        rows = row_of[gt.pairs[:, 0], gt.pairs[:, 1]]
    else:
        scores, _ = triplet_scores(pred.rel_scores, pred.scores[pred.pairs[:,
                                                                           0]],
                                   pred.scores[pred.pairs[:, 1]])
        order = stable_topk(scores, scores.shape[0])
        overlap = pixel_box_iou(gt.bboxes, pred.bboxes) >= iou_thr
        match = (
                overlap[gt.pairs[:, None, 0], pred.pairs[order, 0]]
                & overlap[gt.pairs[:, None, 1], pred.pairs[order, 1]])
        rows = np.where(match.any(1), order[match.argmax(1)], -1)
    found = rows >= 0
    out[found] = best_predicates(pred.rel_scores, rows[found])
    return out
