import math

import torch

from mmsgg_rde.models.detectron import DetectronDeltaXYWHBBoxCoder


def test_decode_inclusive_pixel_convention():
    coder = DetectronDeltaXYWHBBoxCoder(weights=(10., 10., 5., 5.))
    boxes = torch.tensor([[10., 20., 29., 59.]])  # 20 x 40 pixels
    # dx = 0.5 (of the width), dw = log 2: centre 20 + 10, width 40.
    deltas = torch.tensor([[5., 0., 5 * math.log(2.), 0.]])
    out = coder.decode(boxes, deltas)
    # centre x = 10 + 20 / 2 + 10 = 30, x1 = 30 - 20, x2 = 30 + 20 - 1.
    torch.testing.assert_close(out, torch.tensor([[10., 20., 49., 59.]]))


def test_encode_decode_roundtrip_per_class():
    coder = DetectronDeltaXYWHBBoxCoder(weights=(10., 10., 5., 5.))
    proposals = torch.tensor([[0., 0., 9., 9.], [5., 5., 30., 12.]])
    gts = torch.tensor([[1., 2., 12., 8.], [3., 4., 40., 20.]])
    deltas = coder.encode(proposals, gts)
    torch.testing.assert_close(coder.decode(proposals, deltas), gts)
    two = coder.decode(proposals, torch.cat([deltas, torch.zeros(2, 4)], 1))
    torch.testing.assert_close(two[:, :4], gts)
    torch.testing.assert_close(two[:, 4:], proposals)


def test_one_sided_clamp_and_clip():
    coder = DetectronDeltaXYWHBBoxCoder()
    boxes = torch.tensor([[100., 100., 199., 199.]])
    small = coder.decode(boxes, torch.tensor([[0., 0., -6., -6.]]))
    # No lower clamp: exp(-6) of 100 pixels.
    width = small[0, 2] - small[0, 0] + 1
    torch.testing.assert_close(
        width, torch.tensor(100 * math.exp(-6.)), rtol=1e-3, atol=0)
    big = coder.decode(boxes, torch.tensor([[0., 0., 9., 0.]]))
    width = big[0, 2] - big[0, 0] + 1
    torch.testing.assert_close(width, torch.tensor(1000 / 16 * 100.))
    clipped = coder.decode(
        boxes, torch.tensor([[0., 0., 9., 0.]]), max_shape=(150, 300))
    assert clipped.tolist() == [[0., 100., 299., 149.]]
