"""Per-class NMS that keeps at most one label per proposal (SGDet)."""
from typing import Tuple

import torch
from mmcv.ops import nms
from torch import Tensor

__all__ = ['single_label_nms']


def single_label_nms(multi_bboxes: Tensor,
                     multi_scores: Tensor,
                     score_thr: float,
                     nms_cfg: dict,
                     max_num: int,
                     max_per_class: int = -1) -> Tuple[Tensor, Tensor, Tensor]:
    """The scene graph benchmark's detection post-processing (SGDet).

    One label per box, so that every detection is one graph node:

    1. For each class, the proposals scoring above ``score_thr`` go through
       NMS (``nms_cfg``); the best ``max_per_class`` survivors are kept.
    2. A proposal that survives for several classes keeps the one of
       highest score (the lowest class index on a tie).
    3. With more than ``max_num`` such proposals, those whose score is at
       least the ``max_num``-th highest are kept (ties can keep more).

    Detections come in proposal order, as in the benchmark's
    ``PostProcessor.filter_results`` with ``NMS_FILTER_DUPLICATES``.

    Args:
        multi_bboxes (Tensor): (n, C, 4) class-specific boxes of n proposals.
        multi_scores (Tensor): (n, C) foreground class scores.
        score_thr (float): A (proposal, class) candidate must score more.
        nms_cfg (dict): ``dict(type='nms', iou_threshold=..., offset=...)``;
            ``offset=1`` for the benchmark's "+1" box areas.
        max_num (int): Detections per image (<= 0: no limit).
        max_per_class (int): NMS survivors kept per class (<= 0: all).

    Returns:
        tuple[Tensor, Tensor, Tensor]: Kept proposal indices (ascending),
        their labels and scores.
    """
    nms_cfg = dict(nms_cfg)
    if nms_cfg.pop('type', 'nms') != 'nms':
        raise ValueError('single_label_nms runs plain NMS: set '
                         "nms=dict(type='nms', iou_threshold=..., offset=...)"
                         ' in the rcnn test config.')
    candidates = multi_scores > score_thr
    kept = torch.zeros_like(candidates)
    for cls in candidates.any(dim=0).nonzero().view(-1).tolist():
        inds = candidates[:, cls].nonzero().view(-1)
        _, keep = nms(multi_bboxes[inds, cls], multi_scores[inds, cls],
                      **nms_cfg)
        if max_per_class > 0:
            keep = keep[:max_per_class]
        kept[inds[keep], cls] = True
    scores, labels = (multi_scores * kept.to(multi_scores.dtype)).max(dim=1)
    keep = scores.nonzero().view(-1)
    scores, labels = scores[keep], labels[keep]
    if 0 < max_num < keep.numel():
        thresh = scores.cpu().kthvalue(keep.numel() - max_num + 1).values
        top = (scores >= thresh.item()).nonzero().view(-1)
        keep, labels, scores = keep[top], labels[top], scores[top]
    return keep, labels, scores
