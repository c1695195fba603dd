"""The scene graph benchmark's RoI pooling of union boxes on all levels."""
from typing import List, Optional, Tuple

from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from torch import Tensor, nn

__all__ = ['AllLevelsRoIExtractor']


@MODELS.register_module()
class AllLevelsRoIExtractor(BaseRoIExtractor):
    """Pool every RoI on all FPN levels and fuse them with a 3x3 conv.

    The per-level RoI features are concatenated along channels (finest level
    first) and reduced back to ``out_channels`` by a trainable 3x3 conv with
    ReLU: the benchmark's ``POOLING_ALL_LEVELS`` pooler of union boxes, which
    lets a relation head learn its own mix of the frozen detector's levels.

    Args:
        roi_layer (dict): RoI layer config.
        out_channels (int): Channels of each level and of the output.
        featmap_strides (list[int]): Strides of the levels.
        init_cfg (dict, optional): Initialisation config. Defaults to Kaiming
            normal (fan out, ReLU) with zero bias, the benchmark's.
    """

    def __init__(
        self,
        roi_layer: ConfigType,
        out_channels: int,
        featmap_strides: List[int],
        init_cfg: OptMultiConfig = dict(
            type='Kaiming',
            layer='Conv2d',
            mode='fan_out',
            nonlinearity='relu',
            distribution='normal')
    ) -> None:
        super().__init__(
            roi_layer=roi_layer,
            out_channels=out_channels,
            featmap_strides=featmap_strides,
            init_cfg=init_cfg)
        self.reduce_conv = nn.Conv2d(
            out_channels * len(featmap_strides),
            out_channels,
            kernel_size=3,
            padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self,
                feats: Tuple[Tensor],
                rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        """(n, out_channels, h, w) features of the (n, 5) ``rois``."""
        rois = rois.type_as(feats[0])
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        channels = self.out_channels
        out_size = self.roi_layers[0].output_size
        # Each level is written into its channels as soon as it is pooled
        # (faster and smaller than concatenating them).
        pooled = feats[0].new_empty(
            rois.size(0), channels * self.num_inputs, *out_size)
        for i, (feat, layer) in enumerate(
                zip(feats[:self.num_inputs], self.roi_layers)):
            pooled[:, i * channels:(i + 1) * channels] = layer(feat, rois)
        return self.relu(self.reduce_conv(pooled))
