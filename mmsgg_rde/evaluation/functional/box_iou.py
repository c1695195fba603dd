"""Box overlaps with the "+1" pixel convention of the SGG benchmark."""
import numpy as np

__all__ = ['pixel_box_iou']


def pixel_box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU between two sets of xyxy boxes, areas counted as ``w + 1``.

    A box ``(x1, y1, x2, y2)`` covers ``(x2 - x1 + 1) * (y2 - y1 + 1)``
    pixels, as in the maskrcnn-benchmark evaluator. The arithmetic runs in
    float32 in the same order as that evaluator, so values that land exactly
    on a threshold compare the same way.

    Args:
        boxes1: (N, 4) boxes.
        boxes2: (M, 4) boxes.

    Returns:
        np.ndarray: (N, M) float32 IoU.
    """
    b1 = np.asarray(boxes1, dtype=np.float32).reshape(-1, 4)
    b2 = np.asarray(boxes2, dtype=np.float32).reshape(-1, 4)
    one = np.float32(1)
    area1 = (b1[:, 2] - b1[:, 0] + one) * (b1[:, 3] - b1[:, 1] + one)
    area2 = (b2[:, 2] - b2[:, 0] + one) * (b2[:, 3] - b2[:, 1] + one)
    lt = np.maximum(b1[:, None, :2], b2[None, :, :2])
    rb = np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    wh = np.maximum(rb - lt + one, 0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter)
