"""The benchmark's relabelling of SGDet objects by per-class overlap NMS."""
import torch
from torch import Tensor

from .box_overlaps import per_class_overlaps

__all__ = ['object_label_nms']


def object_label_nms(probs: Tensor, bboxes_per_cls: Tensor,
                     iou_threshold: float) -> Tensor:
    """Give each detection one class, greedily, with per-class suppression.

    Repeatedly the highest (object, class) probability among objects not yet
    labelled fixes that object's class, and the probability of that class
    drops to 0 for every object whose box of that class overlaps the chosen
    one's with IoU >= ``iou_threshold``. This is the later NMS of the scene
    graph benchmark's relation head in SGDet (``obj_prediction_nms``),
    including its tie-breaking (first maximum with background in front).

    Args:
        probs (Tensor): (N, C + 1) class probabilities, background last.
        bboxes_per_cls (Tensor): (N, C, 4) box of each object per class.
        iou_threshold (float): Overlap that suppresses a class.

    Returns:
        Tensor: (N,) long labels in 0..C; C (background) only for an object
        whose classes were all suppressed.
    """
    num_objs, num_classes = bboxes_per_cls.shape[:2]
    overlap = per_class_overlaps(bboxes_per_cls) >= iou_threshold
    # The benchmark's layout: background (zeroed) first.
    work = torch.cat([probs.new_zeros(num_objs, 1), probs[:, :num_classes]],
                     dim=1)
    labels = probs.new_full((num_objs, ), num_classes, dtype=torch.long)
    for _ in range(num_objs):
        obj, cls = divmod(int(work.argmax()), num_classes + 1)
        if cls > 0:
            labels[obj] = cls - 1
            work[overlap[obj, :, cls - 1], cls] = 0.0
        work[obj] = -1.0
    return labels
