import torch

from mmsgg_rde.models.detectron import DetectronAnchorGenerator

RATIOS = [0.23232838, 0.63365731, 1.28478321, 3.15089189]


def test_base_anchors_of_the_benchmark():
    gen = DetectronAnchorGenerator(
        strides=[4, 8, 16, 32, 64], ratios=RATIOS, scales=[8])
    # maskrcnn-benchmark's generate_anchors(stride, (size, ), RATIOS).
    assert gen.base_anchors[0].tolist() == [[-30., -6., 33., 9.],
                                            [-18., -10., 21., 13.],
                                            [-14., -18., 17., 21.],
                                            [-6., -22., 9., 25.]]
    assert gen.base_anchors[4].tolist() == [[-500., -92., 563., 155.],
                                            [-288., -172., 351., 235.],
                                            [-192., -256., 255., 319.],
                                            [-112., -420., 175., 483.]]


def test_grid_shifts_by_stride_in_row_major_order():
    gen = DetectronAnchorGenerator(strides=[16], ratios=[1.], scales=[2])
    anchors = gen.grid_priors([(2, 3)], device='cpu')[0]
    base = gen.base_anchors[0][0]
    assert anchors.shape == (6, 4)
    shifts = torch.tensor([[x, y, x, y] for y in (0., 16.)
                           for x in (0., 16., 32.)])
    torch.testing.assert_close(anchors, base + shifts)


def test_ratios_then_scales():
    gen = DetectronAnchorGenerator(
        strides=[16], ratios=[0.5, 2.], scales=[1, 2])
    widths = gen.base_anchors[0][:, 2] - gen.base_anchors[0][:, 0] + 1
    # ratio 0.5: width round(sqrt(512)) = 23 at scales 1, 2; then ratio 2.
    assert widths.tolist() == [23., 46., 11., 22.]
