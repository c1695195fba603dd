"""Greedy one-label-per-object NMS of the Transformer context (SGDet)."""
import torch
from torch import Tensor

from .box_overlaps import per_class_overlaps

__all__ = ['greedy_label_nms']


def greedy_label_nms(probs: Tensor, bboxes_per_cls: Tensor,
                     iou_threshold: float) -> Tensor:
    """Label each object once, the best (object, class) first.

    The scene graph benchmark's ``TransformerContext.nms_per_cls``, step by
    step: N times, the highest remaining (object, class) probability labels
    that object with that class, the probability of that class drops to 0
    for every object whose class box overlaps the chosen one's with IoU >=
    ``iou_threshold`` (labelled objects included), and the chosen object's
    row drops to -1. When every probability left is 0, the first 0 in
    (object, class) order is taken, which may relabel an object; an object
    never taken keeps background. (The benchmark's post-processor,
    ``obj_prediction_nms``, differs in these corner cases.)

    Args:
        probs (Tensor): (N, C + 1) class probabilities, background last.
        bboxes_per_cls (Tensor): (N, C, 4) box of each object per class.
        iou_threshold (float): Overlap that suppresses a class.

    Returns:
        Tensor: (N,) labels in 0..C (C: background), on ``probs``' device.
    """
    num_objs, num_classes = bboxes_per_cls.shape[:2]
    overlap = (per_class_overlaps(bboxes_per_cls.float())
               >= iou_threshold).cpu()
    # The benchmark's layout: background first, excluded with -1.
    work = torch.cat(
        [probs.new_full((num_objs, 1), -1.0), probs[:, :num_classes].detach()],
        1).float().cpu()
    labels = torch.full((num_objs, ), num_classes, dtype=torch.long)
    for _ in range(num_objs):
        obj, cls = divmod(int(work.argmax()), num_classes + 1)
        labels[obj] = cls - 1 if cls > 0 else num_classes
        if cls > 0:
            work[overlap[obj, :, cls - 1], cls] = 0.0
        work[obj] = -1.0
    return labels.to(probs.device)
