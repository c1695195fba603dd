"""Per-class box IoUs with the "+1" pixel convention of the benchmark."""
from torch import Tensor

__all__ = ['per_class_overlaps']


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
