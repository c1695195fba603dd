"""Box IoUs with the "+1" pixel convention of maskrcnn-benchmark."""
from torch import Tensor

__all__ = ['legacy_bbox_overlaps', 'per_class_overlaps']


def legacy_bbox_overlaps(bboxes1: Tensor, bboxes2: Tensor) -> Tensor:
    """Pairwise IoU of xyxy boxes whose areas count ``w + 1`` pixels.

    The arithmetic follows the benchmark's ``boxlist_iou`` step by step, so
    values on a threshold compare the same way.

    Args:
        bboxes1 (Tensor): (N, 4) boxes.
        bboxes2 (Tensor): (M, 4) boxes.

    Returns:
        Tensor: (N, M) IoUs.
    """
    area1 = (bboxes1[:, 2] - bboxes1[:, 0] + 1) * (
        bboxes1[:, 3] - bboxes1[:, 1] + 1)
    area2 = (bboxes2[:, 2] - bboxes2[:, 0] + 1) * (
        bboxes2[:, 3] - bboxes2[:, 1] + 1)
    lt = bboxes1[:, None, :2].maximum(bboxes2[:, :2])
    rb = bboxes1[:, None, 2:].minimum(bboxes2[:, 2:])
    wh = (rb - lt + 1).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter / (area1[:, None] + area2 - inter)


def per_class_overlaps(bboxes_per_cls: Tensor) -> Tensor:
    """IoU of every two objects' boxes of each class ("+1" areas).

    The arithmetic follows the benchmark's ``nms_overlaps``.

    Args:
        bboxes_per_cls (Tensor): (N, C, 4) boxes of N objects for C classes.

    Returns:
        Tensor: (N, N, C) IoUs; ``[i, j, c]`` is that of the class-c boxes
        of objects i and j.
    """
    max_xy = bboxes_per_cls[:, None, :, 2:].minimum(bboxes_per_cls[None, :, :,
                                                                   2:])
    min_xy = bboxes_per_cls[:, None, :, :2].maximum(
        bboxes_per_cls[None, :, :, :2])
    inter = (max_xy - min_xy + 1.0).clamp(min=0)
    inters = inter[..., 0] * inter[..., 1]
    areas = (bboxes_per_cls[..., 2] - bboxes_per_cls[..., 0] + 1.0) * (
        bboxes_per_cls[..., 3] - bboxes_per_cls[..., 1] + 1.0)
    union = -inters + areas[None] + areas[:, None]
    return inters / union
