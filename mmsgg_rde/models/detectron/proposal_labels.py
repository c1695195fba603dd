"""IoU with "+1" pixel areas and GT labels of proposals (SGDet training)."""
import torch
from torch import Tensor

__all__ = ['pixel_box_iou', 'assign_proposal_labels']


def pixel_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """(N, M) IoU of inclusive pixel boxes (areas ``(w + 1) * (h + 1)``)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (
        boxes1[:, 3] - boxes1[:, 1] + 1)
    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (
        boxes2[:, 3] - boxes2[:, 1] + 1)
    lt = torch.max(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt + 1).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None] - inter)


def assign_proposal_labels(proposals: Tensor, gt_bboxes: Tensor,
                           gt_labels: Tensor, pos_iou_thr: float,
                           background_label: int) -> Tensor:
    """Label each proposal with the class of the GT box it overlaps most.

    As the benchmark labels SGDet proposals: a proposal whose highest IoU
    with a GT box (``pixel_box_iou``) reaches ``pos_iou_thr`` takes that
    box's class, whatever class the detector predicts; the others get
    ``background_label``.

    Args:
        proposals (Tensor): (N, 4) boxes.
        gt_bboxes (Tensor): (G, 4) GT boxes, same frame.
        gt_labels (Tensor): (G,) GT classes.
        pos_iou_thr (float): Minimum IoU of a match.
        background_label (int): Label of unmatched proposals.

    Returns:
        Tensor: (N,) long labels.
    """
    labels = gt_labels.new_full((proposals.size(0), ),
                                background_label,
                                dtype=torch.long)
    if proposals.numel() == 0 or gt_bboxes.numel() == 0:
        return labels
    max_iou, argmax = pixel_box_iou(gt_bboxes, proposals).max(dim=0)
    matched = max_iou >= pos_iou_thr
    labels[matched] = gt_labels[argmax[matched]].long()
    return labels
