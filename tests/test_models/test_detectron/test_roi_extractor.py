import torch
from mmdet.registry import MODELS

from mmsgg_rde.models.detectron import DetectronRoIExtractor


def build(**kwargs):
    return DetectronRoIExtractor(
        roi_layer=dict(
            type='RoIAlign', output_size=2, sampling_ratio=2, aligned=False),
        out_channels=1,
        featmap_strides=[4, 8, 16, 32],
        **kwargs)


def square_rois(sizes):
    """Boxes whose "+1" side is ``size``."""
    return torch.tensor([[0., 0., 0., s - 1., s - 1.] for s in sizes])


def test_levels_from_plus_one_areas():
    ext = build()
    # The benchmark's LevelMapper: floor(4 + log2(s / 224)), s the "+1"
    # side; levels 2..5 -> 0..3.
    sizes = [10, 111, 112, 223, 224, 447, 448, 2000]
    levels = ext.map_roi_levels(square_rois(sizes), 4)
    assert levels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # mmdet's SingleRoIExtractor puts a 112 "+1" box (111 wide) on P2.
    stock = MODELS.build(
        dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=2),
            out_channels=1,
            featmap_strides=[4, 8, 16, 32]))
    assert stock.map_roi_levels(square_rois([112]), 4).tolist() == [0]


def test_pools_each_roi_from_its_level():
    ext = build()
    feats = [torch.full((1, 1, 64, 64), float(i)) for i in range(4)]
    out = ext(feats, square_rois([20, 150, 300, 600]))
    assert out[:, 0, 0, 0].tolist() == [0., 1., 2., 3.]
