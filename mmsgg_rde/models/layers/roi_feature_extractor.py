"""RoI feature extractors for objects and for union boxes of pairs."""
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

from .spatial_mask import SpatialMaskEncoder, pair_box_masks

__all__ = ['RoIFeatureExtractor', 'UnionFeatureExtractor']


@MODELS.register_module()
class RoIFeatureExtractor(BaseModule):
    """RoIAlign on FPN levels followed by fully connected layers.

    The FC layers mirror mmdet's ``Shared2FCBBoxHead.shared_fcs`` so that a
    detector's trained box head can be copied in
    (:meth:`load_fcs_from`), as the scene graph benchmark initialises both
    its relation feature extractors.

    Args:
        roi_extractor (dict): Config of an mmdet RoI extractor, e.g.
            ``DetectronRoIExtractor``.
        num_fcs (int): Number of FC layers (each followed by ReLU).
            Defaults to 2.
        fc_out_channels (int): Width of the FC layers. Defaults to 4096.
        init_cfg (dict, optional): Initialisation config. Defaults to the
            benchmark's ``make_fc`` init (Caffe2 Xavier, zero bias).
    """

    def __init__(
        self,
        roi_extractor: dict,
        num_fcs: int = 2,
        fc_out_channels: int = 4096,
        init_cfg: Optional[dict] = dict(type='Caffe2Xavier', layer='Linear')
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.roi_extractor = MODELS.build(roi_extractor)
        self.roi_size = self.roi_extractor.roi_layers[0].output_size
        in_channels = self.roi_extractor.out_channels
        in_channels *= self.roi_size[0] * self.roi_size[1]
        self.fcs = nn.ModuleList()
        for i in range(num_fcs):
            self.fcs.append(
                nn.Linear(in_channels if i == 0 else fc_out_channels,
                          fc_out_channels))
        self.relu = nn.ReLU(inplace=True)
        self.out_channels = fc_out_channels if num_fcs else in_channels

    def pool(self, feats: Tuple[Tensor], rois: Tensor) -> Tensor:
        """RoIAlign (n, 5) rois on the extractor's feature levels."""
        return self.roi_extractor(feats[:self.roi_extractor.num_inputs], rois)

    def forward_fcs(self, roi_feats: Tensor) -> Tensor:
        """Flatten (n, C, h, w) RoI features and apply the FC layers."""
        out = roi_feats.flatten(1)
        for fc in self.fcs:
            out = self.relu(fc(out))
        return out

    def forward(self, feats: Tuple[Tensor], rois: Tensor) -> Tensor:
        """Extract (n, out_channels) features of (n, 5) rois."""
        return self.forward_fcs(self.pool(feats, rois))

    def load_fcs_from(self, fcs: Sequence[nn.Linear]) -> bool:
        """Copy the weights of matching FC layers (e.g. a box head's).

        Returns:
            bool: Whether all layers matched and were copied.
        """
        shapes = [fc.weight.shape for fc in self.fcs]
        if len(fcs) != len(self.fcs) or any(fc.weight.shape != shape
                                            for fc, shape in zip(fcs, shapes)):
            print_log(
                f'{self.__class__.__name__}: FC shapes {shapes} differ from '
                'the source FCs, keeping their own init.',
                logger='current')
            return False
        for dst, src in zip(self.fcs, fcs):
            dst.load_state_dict(src.state_dict())
        return True


@MODELS.register_module()
class UnionFeatureExtractor(RoIFeatureExtractor):
    """Features of the union box of each pair, with a spatial mask branch.

    The union box is RoIAligned (the benchmark pools it from all FPN levels:
    ``AllLevelsRoIExtractor``); the pair's two box masks (over the whole
    image, ``mask_size`` x ``mask_size``) go through a small CNN to the RoI
    feature's size; both are added and passed through the FC layers.

    Args:
        roi_extractor (dict): Config of an mmdet RoI extractor.
        mask_size (int): Side of the box masks; must map to the RoI size
            (27 for 7x7). Defaults to 27.
        mask_norm_cfg (dict): Norm of the mask encoder. Defaults to
            ``dict(type='BN', momentum=0.01)``.
        num_fcs (int): Number of FC layers. Defaults to 2.
        fc_out_channels (int): Width of the FC layers. Defaults to 4096.
        init_cfg (dict, optional): Initialisation config of the FC layers.
    """

    def __init__(
        self,
        roi_extractor: dict,
        mask_size: int = 27,
        mask_norm_cfg: dict = dict(type='BN', momentum=0.01),
        num_fcs: int = 2,
        fc_out_channels: int = 4096,
        init_cfg: Optional[dict] = dict(type='Caffe2Xavier', layer='Linear')
    ) -> None:
        super().__init__(
            roi_extractor=roi_extractor,
            num_fcs=num_fcs,
            fc_out_channels=fc_out_channels,
            init_cfg=init_cfg)
        encoded = SpatialMaskEncoder.output_size(mask_size)
        if (encoded, encoded) != tuple(self.roi_size):
            raise ValueError(
                f'mask_size={mask_size} encodes to {encoded}x{encoded} but '
                f'the union RoI features are {tuple(self.roi_size)}; use '
                f'mask_size = 4 * roi_size - 1.')
        self.mask_size = mask_size
        self.mask_encoder = SpatialMaskEncoder(
            self.roi_extractor.out_channels, norm_cfg=mask_norm_cfg)

    def forward(self, feats: Tuple[Tensor], sub_bboxes: List[Tensor],
                obj_bboxes: List[Tensor],
                img_shapes: List[Tuple[int, int]]) -> Tensor:
        """Extract features of the union boxes of pairs.

        Args:
            feats (tuple[Tensor]): Multi-level image features.
            sub_bboxes (list[Tensor]): Per image, (K_i, 4) subject boxes.
            obj_bboxes (list[Tensor]): Per image, (K_i, 4) object boxes.
            img_shapes (list[tuple[int, int]]): Per image, (height, width)
                of the network input the boxes live in.

        Returns:
            Tensor: (sum K_i, out_channels) union features.
        """
        if sum(s.size(0) for s in sub_bboxes) == 0:
            return feats[0].new_zeros(0, self.out_channels)
        masks = torch.cat([
            pair_box_masks(s, o, shape, self.mask_size)
            for s, o, shape in zip(sub_bboxes, obj_bboxes, img_shapes)
        ])
        unions = [
            torch.cat([
                torch.minimum(s[:, :2], o[:, :2]),
                torch.maximum(s[:, 2:], o[:, 2:])
            ], 1) for s, o in zip(sub_bboxes, obj_bboxes)
        ]
        roi_feats = self.pool(feats, bbox2roi(unions))
        return self.forward_fcs(roi_feats + self.mask_encoder(masks))
