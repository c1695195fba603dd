"""Per-class NMS that keeps at most one label per proposal (SGDet)."""
from typing import Tuple

import torch
from mmcv.ops import batched_nms
from torch import Tensor

__all__ = ['single_label_nms']


def single_label_nms(multi_bboxes: Tensor, multi_scores: Tensor,
                     score_thr: float, nms_cfg: dict,
                     max_num: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Per-class NMS, then each proposal keeps its best surviving class.

    This is the detection post-processing of the scene graph benchmark: one
    label per box, so that every detection is one graph node.

    Args:
        multi_bboxes (Tensor): (n, C, 4) class-specific boxes of n proposals.
        multi_scores (Tensor): (n, C) foreground class scores.
        score_thr (float): Minimum score of a (proposal, class) candidate.
        nms_cfg (dict): mmcv ``batched_nms`` config, e.g.
            ``dict(type='nms', iou_threshold=0.5)``.
        max_num (int): Maximum detections kept (highest scores first).

    Returns:
        tuple[Tensor, Tensor, Tensor]: Kept proposal indices, their labels
        and scores, sorted by score descending.
    """
    prop_inds, labels = (multi_scores > score_thr).nonzero(as_tuple=True)
    scores = multi_scores[prop_inds, labels]
    if scores.numel() == 0:
        return prop_inds, labels, scores
    _, keep = batched_nms(multi_bboxes[prop_inds, labels], scores, labels,
                          nms_cfg)
    prop_inds, labels, scores = prop_inds[keep], labels[keep], scores[keep]
    # ``keep`` is sorted by score: the first occurrence of a proposal is its
    # best class.
    first = torch.full((multi_scores.size(0), ),
                       keep.numel(),
                       dtype=torch.long,
                       device=keep.device)
    first = first.scatter_reduce(
        0,
        prop_inds,
        torch.arange(keep.numel(), device=keep.device),
        reduce='amin')
    best = first[first < keep.numel()].sort().values[:max_num]
    return prop_inds[best], labels[best], scores[best]
