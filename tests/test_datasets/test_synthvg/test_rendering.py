import numpy as np
import pytest

from mmsgg_rde.datasets.synthvg import (SHAPES, TEXTURES, ObjectStyle,
                                        draw_object)


@pytest.mark.parametrize('shape', SHAPES)
@pytest.mark.parametrize('texture', TEXTURES)
def test_draw_object_touches_its_box(shape, texture):
    canvas = np.zeros((40, 50, 3), dtype=np.float32)
    box = (7, 5, 30, 33)
    draw_object(canvas, box, ObjectStyle(shape, 'red', texture, (1, 1)),
                (200, 60, 60), 4)
    ys, xs = np.nonzero(canvas.any(-1))
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == box
