"""Two-channel subject/object box masks and their convolutional encoder."""
from typing import Optional, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

__all__ = ['pair_box_masks', 'SpatialMaskEncoder']


def _box_mask(bboxes: Tensor, scale: Tensor, size: int) -> Tensor:
    """Rasterise (K, 4) boxes, scaled by ``scale``, on a size x size grid."""
    boxes = bboxes * scale
    grid = torch.arange(size, device=bboxes.device, dtype=bboxes.dtype)
    x_in = ((grid[None] >= boxes[:, 0:1].floor()) &
            (grid[None] <= boxes[:, 2:3].ceil()))
    y_in = ((grid[None] >= boxes[:, 1:2].floor()) &
            (grid[None] <= boxes[:, 3:4].ceil()))
    return (y_in[:, :, None] & x_in[:, None, :]).to(bboxes.dtype)


def pair_box_masks(sub_bboxes: Tensor, obj_bboxes: Tensor,
                   img_shape: Tuple[int, int], size: int) -> Tensor:
    """Binary masks of the subject and object boxes of each pair.

    As in the scene graph benchmark the masks cover the whole image, resized
    to ``size x size``; a grid cell is inside a box when it lies between the
    floored top-left and ceiled bottom-right corners.

    Args:
        sub_bboxes (Tensor): (K, 4) xyxy subject boxes.
        obj_bboxes (Tensor): (K, 4) xyxy object boxes.
        img_shape (tuple[int, int]): (height, width) of the image the boxes
            live in.
        size (int): Side of the mask grid.

    Returns:
        Tensor: (K, 2, size, size) masks (channel 0 subject, 1 object).
    """
    height, width = img_shape[:2]
    scale = sub_bboxes.new_tensor(
        [size / width, size / height, size / width, size / height])
    return torch.stack([
        _box_mask(sub_bboxes, scale, size),
        _box_mask(obj_bboxes, scale, size)
    ],
                       dim=1)


@MODELS.register_module()
class SpatialMaskEncoder(BaseModule):
    """Encode (K, 2, S, S) pair masks into (K, C, S', S') feature maps.

    Conv 7x7 stride 2 (to ``out_channels // 2``), ReLU, norm, max-pool 3x3
    stride 2, conv 3x3 (to ``out_channels``), ReLU, norm: a 27x27 mask
    becomes 7x7, the size of the union RoI feature it is added to.

    Args:
        out_channels (int): Output channels, equal to the RoI feature's.
        norm_cfg (dict): Norm config. Defaults to
            ``dict(type='BN', momentum=0.01)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 out_channels: int,
                 norm_cfg: dict = dict(type='BN', momentum=0.01),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        mid_channels = out_channels // 2
        self.layers = nn.Sequential(
            nn.Conv2d(2, mid_channels, kernel_size=7, stride=2, padding=3),
            nn.ReLU(inplace=True),
            build_norm_layer(norm_cfg, mid_channels)[1],
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            build_norm_layer(norm_cfg, out_channels)[1])

    @staticmethod
    def output_size(mask_size: int) -> int:
        """Side of the feature map produced from a ``mask_size`` mask."""
        after_conv = (mask_size + 2 * 3 - 7) // 2 + 1
        return (after_conv + 2 * 1 - 3) // 2 + 1

    def forward(self, masks: Tensor) -> Tensor:
        """Encode pair masks."""
        return self.layers(masks)
