"""FPN level of a RoI from its "+1" pixel area, as the benchmark maps it."""
import math

import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.registry import MODELS
from torch import Tensor

__all__ = ['DetectronRoIExtractor']


@MODELS.register_module()
class DetectronRoIExtractor(SingleRoIExtractor):
    """``SingleRoIExtractor`` with the benchmark's level mapping.

    A RoI of size ``s = sqrt((x2 - x1 + 1) * (y2 - y1 + 1))`` goes to FPN
    level ``floor(canonical_level + log2(s / canonical_scale + 1e-6))``,
    clamped to the levels of ``featmap_strides`` (level k has stride 2^k).
    mmdet's ``map_roi_levels`` uses ``(x2 - x1) * (y2 - y1)``, which sends
    RoIs near a level boundary to the other level.

    Args:
        canonical_scale (int): RoI size of ``canonical_level``. Defaults to
            224.
        canonical_level (int): Defaults to 4.
        **kwargs: :class:`~mmdet.models.roi_heads.SingleRoIExtractor`'s
            arguments (use ``roi_layer=dict(type='RoIAlign', aligned=False,
            ...)`` for the benchmark's pooling).
    """

    def __init__(self,
                 canonical_scale: int = 224,
                 canonical_level: int = 4,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level
        self.k_min = int(round(math.log2(self.featmap_strides[0])))

    def map_roi_levels(self, rois: Tensor, num_levels: int) -> Tensor:
        """Level index (0 = finest) of each (n, 5) RoI."""
        area = (rois[:, 3] - rois[:, 1] + 1) * (rois[:, 4] - rois[:, 2] + 1)
        levels = torch.floor(
            self.canonical_level +
            torch.log2(torch.sqrt(area) / self.canonical_scale + 1e-6))
        levels = levels.clamp(min=self.k_min, max=self.k_min + num_levels - 1)
        return levels.long() - self.k_min
