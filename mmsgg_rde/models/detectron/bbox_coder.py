"""Detectron's box deltas: inclusive pixel sizes and a one-sided clamp."""
import math
from typing import Optional, Sequence, Union

import torch
from mmdet.models.task_modules.coders import BaseBBoxCoder
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import get_box_tensor
from torch import Tensor

__all__ = ['DetectronDeltaXYWHBBoxCoder']


@TASK_UTILS.register_module()
class DetectronDeltaXYWHBBoxCoder(BaseBBoxCoder):
    """(dx, dy, dw, dh) deltas exactly as the scene graph benchmark codes them.

    Widths are ``x2 - x1 + 1``, centres ``x1 + w / 2``, a decoded box is
    ``(cx - w / 2, cy - h / 2, cx + w / 2 - 1, cy + h / 2 - 1)``, deltas are
    divided by ``weights`` (the benchmark's ``BBOX_REG_WEIGHTS``, i.e. 1 /
    mmdet's ``target_stds``), and ``dw``/``dh`` are clamped from above only,
    at ``log(1000 / 16)``. mmdet's ``LegacyDeltaXYWHBBoxCoder`` decodes
    half a pixel off (``x1 = cx - w / 2``, ``x2 = cx + w / 2``) and clamps
    from below too. With ``max_shape`` the boxes are clipped to
    ``[0, W - 1] x [0, H - 1]`` as the benchmark clips them.

    Args:
        weights (Sequence[float]): (wx, wy, ww, wh). Defaults to 1s (RPN);
            the box head uses (10, 10, 5, 5).
        scale_clip (float): Upper bound of ``dw`` and ``dh``.
    """

    encode_size = 4

    def __init__(self,
                 weights: Sequence[float] = (1., 1., 1., 1.),
                 scale_clip: float = math.log(1000. / 16),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if len(weights) != 4:
            raise ValueError(f'weights={weights} must have 4 values '
                             '(wx, wy, ww, wh).')
        self.weights = tuple(float(w) for w in weights)
        self.scale_clip = scale_clip

    def encode(self, bboxes: Tensor, gt_bboxes: Tensor) -> Tensor:
        """Deltas that turn ``bboxes`` (N, 4) into ``gt_bboxes`` (N, 4)."""
        bboxes = get_box_tensor(bboxes).float()
        gt_bboxes = get_box_tensor(gt_bboxes).float()
        ex_w = bboxes[:, 2] - bboxes[:, 0] + 1
        ex_h = bboxes[:, 3] - bboxes[:, 1] + 1
        ex_cx = bboxes[:, 0] + 0.5 * ex_w
        ex_cy = bboxes[:, 1] + 0.5 * ex_h
        gt_w = gt_bboxes[:, 2] - gt_bboxes[:, 0] + 1
        gt_h = gt_bboxes[:, 3] - gt_bboxes[:, 1] + 1
        gt_cx = gt_bboxes[:, 0] + 0.5 * gt_w
        gt_cy = gt_bboxes[:, 1] + 0.5 * gt_h
        wx, wy, ww, wh = self.weights
        return torch.stack([
            wx * (gt_cx - ex_cx) / ex_w, wy * (gt_cy - ex_cy) / ex_h,
            ww * torch.log(gt_w / ex_w), wh * torch.log(gt_h / ex_h)
        ],
                           dim=1)

    def decode(self,
               bboxes: Tensor,
               pred_bboxes: Tensor,
               max_shape: Optional[Union[Sequence[int], Tensor]] = None,
               **kwargs) -> Tensor:
        """Apply (N, 4 * k) deltas to (N, 4) boxes.

        Args:
            bboxes (Tensor): Reference boxes (anchors or proposals).
            pred_bboxes (Tensor): Deltas, 4 per class for class-specific
                regression.
            max_shape (Sequence[int], optional): (H, W) to clip to.

        Returns:
            Tensor: (N, 4 * k) boxes.
        """
        bboxes = get_box_tensor(bboxes).to(pred_bboxes.dtype)
        widths = bboxes[:, 2] - bboxes[:, 0] + 1
        heights = bboxes[:, 3] - bboxes[:, 1] + 1
        ctr_x = bboxes[:, 0] + 0.5 * widths
        ctr_y = bboxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = pred_bboxes[:, 0::4] / wx
        dy = pred_bboxes[:, 1::4] / wy
        dw = torch.clamp(pred_bboxes[:, 2::4] / ww, max=self.scale_clip)
        dh = torch.clamp(pred_bboxes[:, 3::4] / wh, max=self.scale_clip)
        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        pred_w = torch.exp(dw) * widths[:, None]
        pred_h = torch.exp(dh) * heights[:, None]
        out = torch.zeros_like(pred_bboxes)
        out[:, 0::4] = pred_ctr_x - 0.5 * pred_w
        out[:, 1::4] = pred_ctr_y - 0.5 * pred_h
        out[:, 2::4] = pred_ctr_x + 0.5 * pred_w - 1
        out[:, 3::4] = pred_ctr_y + 0.5 * pred_h - 1
        if max_shape is not None:
            height, width = int(max_shape[0]), int(max_shape[1])
            out[:, 0::2] = out[:, 0::2].clamp(min=0, max=width - 1)
            out[:, 1::2] = out[:, 1::2].clamp(min=0, max=height - 1)
        return out
