import pytest
import torch

from mmsgg_rde.models.layers import (SpatialMaskEncoder, UnionFeatureExtractor,
                                     pair_box_masks)


def test_pair_box_masks_hand_computed():
    # 8x8 image on a 4x4 grid: scale 0.5. Subject (0, 0, 2, 2) -> cells
    # x, y in [0, 1]; object (3, 5, 7, 7) -> (1.5, 2.5, 3.5, 3.5) -> x in
    # [1, 4] (clipped to 3), y in [2, 4].
    masks = pair_box_masks(
        torch.tensor([[0., 0., 2., 2.]]), torch.tensor([[3., 5., 7., 7.]]),
        (8, 8), 4)
    sub = torch.zeros(4, 4)
    sub[0:2, 0:2] = 1
    obj = torch.zeros(4, 4)
    obj[2:4, 1:4] = 1
    assert masks.shape == (1, 2, 4, 4)
    assert torch.equal(masks[0, 0], sub)
    assert torch.equal(masks[0, 1], obj)


def test_pair_box_masks_use_width_and_height():
    # Image 4 high, 8 wide on a 4x4 grid: x scale 0.5, y scale 1.
    masks = pair_box_masks(
        torch.tensor([[4., 0., 8., 0.]]), torch.tensor([[0., 3., 0., 3.]]),
        (4, 8), 4)
    assert masks[0, 0, 0].tolist() == [0, 0, 1, 1]
    assert masks[0, 0, 1:].sum() == 0
    assert masks[0, 1, :, 0].tolist() == [0, 0, 0, 1]


def test_mask_encoder_maps_27_to_7():
    encoder = SpatialMaskEncoder(out_channels=8)
    assert SpatialMaskEncoder.output_size(27) == 7
    assert encoder(torch.rand(3, 2, 27, 27)).shape == (3, 8, 7, 7)


def test_union_extractor_checks_mask_size():
    roi = dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=8,
        featmap_strides=[4])
    with pytest.raises(ValueError, match='mask_size'):
        UnionFeatureExtractor(roi_extractor=roi, mask_size=15)
    extractor = UnionFeatureExtractor(
        roi_extractor=roi, mask_size=27, fc_out_channels=16)
    boxes = torch.tensor([[0., 0., 10., 10.], [5., 5., 30., 20.]])
    out = extractor((torch.rand(1, 8, 8, 8), ), [boxes], [boxes.flip(0)],
                    [(32, 32)])
    assert out.shape == (2, 16)


def test_union_extractor_without_pairs():
    roi = dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=8,
        featmap_strides=[4])
    extractor = UnionFeatureExtractor(roi_extractor=roi, fc_out_channels=16)
    extractor.train()
    empty = torch.zeros(0, 4)
    out = extractor((torch.rand(1, 8, 8, 8), ), [empty], [empty], [(32, 32)])
    assert out.shape == (0, 16)
    assert torch.isfinite(extractor.mask_encoder.layers[2].running_mean).all()
