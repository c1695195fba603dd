import torch
from mmcv.ops import roi_align

from mmsgg_rde.models.layers import AllLevelsRoIExtractor

ROI_LAYER = dict(
    type='RoIAlign', output_size=2, sampling_ratio=2, aligned=False)
STRIDES = [4, 8, 16, 32]


def test_all_levels_pools_every_level_and_fuses():
    torch.manual_seed(0)
    extractor = AllLevelsRoIExtractor(
        roi_layer=ROI_LAYER, out_channels=3, featmap_strides=STRIDES)
    extractor.init_weights()
    assert extractor.reduce_conv.weight.shape == (3, 12, 3, 3)
    assert (extractor.reduce_conv.bias == 0).all()
    feats = tuple(torch.rand(1, 3, 64 // s, 64 // s) for s in STRIDES)
    rois = torch.tensor([[0., 4., 4., 40., 30.], [0., 0., 0., 63., 63.]])
    out = extractor(feats, rois)
    pooled = torch.cat([
        roi_align(f, rois, (2, 2), 1 / s, 2, 'avg', False)
        for f, s in zip(feats, STRIDES)
    ], 1)
    expected = extractor.reduce_conv(pooled).relu()
    assert out.shape == (2, 3, 2, 2)
    assert torch.allclose(out, expected)
