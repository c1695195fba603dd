import numpy as np
import pytest

from mmsgg_rde.evaluation.functional import pixel_box_iou


def test_plus_one_areas():
    box = np.array([[0, 0, 9, 9]])  # 10 x 10 = 100 pixels
    others = np.array([
        [0, 0, 9, 4],  # 50 pixels inside: 50 / 100
        [0, 0, 9, 3],  # 40 / 100
        [9, 0, 18, 9],  # shares one column: 10 / (100 + 100 - 10)
        [10, 0, 19, 9],  # touches nothing
        [0, 0, 9, 9],
    ])
    iou = pixel_box_iou(box, others)
    assert iou.shape == (1, 5)
    assert iou.dtype == np.float32
    assert iou[0, 0] == 0.5  # exactly at the usual threshold
    np.testing.assert_allclose(iou[0], [0.5, 0.4, 10 / 190, 0, 1], rtol=1e-6)


def test_empty_inputs():
    assert pixel_box_iou(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    assert pixel_box_iou(np.ones((2, 4)), np.zeros((0, 4))).shape == (2, 0)


@pytest.mark.parametrize('shift', [0.25, 3.5, 7.0])
def test_symmetric(shift):
    a = np.array([[1.5, 2.0, 30.0, 40.0]])
    b = a + shift
    assert pixel_box_iou(a, b)[0, 0] == pytest.approx(
        pixel_box_iou(b, a)[0, 0], rel=1e-6)
