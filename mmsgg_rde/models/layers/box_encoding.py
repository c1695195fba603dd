"""Box geometry encodings: 9 box numbers and their learned embedding."""
from typing import Optional, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

__all__ = ['encode_box_info', 'BoxPositionEmbedding']


def encode_box_info(bboxes: Tensor, img_shape: Tuple[int, int]) -> Tensor:
    """Describe boxes by 9 numbers normalised by the image size.

    The numbers are ``w, h, cx, cy, x1, y1, x2, y2, area`` divided by the
    image width/height (area by both), with the "+1" pixel convention of the
    scene graph benchmark (``w = x2 - x1 + 1``).

    Args:
        bboxes (Tensor): (N, 4) xyxy boxes.
        img_shape (tuple[int, int]): (height, width) of the image.

    Returns:
        Tensor: (N, 9) box descriptors.
    """
    height, width = img_shape[:2]
    wh = bboxes[:, 2:] - bboxes[:, :2] + 1.0
    xy = bboxes[:, :2] + 0.5 * wh
    size = bboxes.new_tensor([width, height])
    return torch.cat([
        wh / size, xy / size, bboxes[:, :2] / size, bboxes[:, 2:] / size,
        (wh[:, :1] * wh[:, 1:]) / (width * height)
    ],
                     dim=-1)


@MODELS.register_module()
class BoxPositionEmbedding(BaseModule):
    """Embed the 9 box numbers: Linear, norm, Linear, ReLU (as Motifs).

    Args:
        hidden_channels (int): Width of the first layer. Defaults to 32.
        out_channels (int): Embedding size. Defaults to 128.
        norm_cfg (dict): Norm after the first layer. Defaults to
            ``dict(type='BN1d', momentum=0.001)``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 hidden_channels: int = 32,
                 out_channels: int = 128,
                 norm_cfg: dict = dict(type='BN1d', momentum=0.001),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.out_channels = out_channels
        self.fc_in = nn.Linear(9, hidden_channels)
        self.norm = build_norm_layer(norm_cfg, hidden_channels)[1]
        self.fc_out = nn.Linear(hidden_channels, out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, box_info: Tensor) -> Tensor:
        """Map (N, 9) box numbers to (N, out_channels) embeddings.

        Batch statistics need two boxes; with fewer the norm uses its running
        statistics, also in training.
        """
        x = self.fc_in(box_info)
        if self.training and x.size(0) < 2:
            self.norm.eval()
            x = self.norm(x)
            self.norm.train()
        else:
            x = self.norm(x)
        return self.relu(self.fc_out(x))
