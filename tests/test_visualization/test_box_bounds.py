"""Boxes that reach the image's right and bottom edges are drawn without
mmengine's "out of bounds" warnings."""
import warnings

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmsgg_rde.datasets import load_vocabulary
from mmsgg_rde.structures import SceneGraphDataSample
from mmsgg_rde.visualization import SceneGraphLocalVisualizer


@pytest.mark.parametrize('height, width', [(250, 333), (480, 640)])
def test_boxes_on_the_image_edges_draw_without_warnings(height, width):
    # PredCls boxes in pixels of the original image: x2 = width is inside.
    # Objects 3 and 4 sit above each other at the right edge: the label of
    # one of their (curved) arrows lies right of the image.
    bboxes = torch.tensor([[0., 0., width, height],
                           [10., 10., width - 1., height - 1.],
                           [width - 1.5, height - 30., width, height],
                           [width - 10., 0., width, 20.],
                           [width - 10., height - 20., width, height]])
    labels = torch.tensor([77, 20, 33, 5, 6])
    pairs = torch.tensor([[0, 1], [1, 0], [2, 0], [0, 2], [3, 4], [4, 3]])
    sample = SceneGraphDataSample(metainfo=dict(img_shape=(height, width)))
    sample.gt_instances = InstanceData(bboxes=bboxes, labels=labels)
    sample.gt_relations = InstanceData(
        pairs=pairs, labels=torch.tensor([31, 20, 1, 2, 3, 4]))
    sample.pred_instances = InstanceData(
        bboxes=bboxes, labels=labels, scores=torch.ones(5))
    sample.pred_relations = InstanceData(
        pairs=pairs,
        scores=torch.full((6, 51), 1 / 51),
        labels=torch.tensor([1, 2, 3, 4, 5, 6]))
    visualizer = SceneGraphLocalVisualizer(
        name=f'bounds_{height}_{width}', min_height=480)
    visualizer.dataset_meta = load_vocabulary()
    image = np.full((height, width, 3), 100, dtype=np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        visualizer.add_datasample('img', image, sample)
    assert [str(w.message) for w in caught] == []
    panel_width = int(width * 480 / height + 0.5)
    assert visualizer.get_image().shape == (480, 2 * (panel_width + 480), 3)


def test_boxes_follow_each_axis_of_the_rescaled_image(monkeypatch):
    # 333 x 250 is drawn 639 x 480 (rounded): x scales by 639 / 333, y by
    # 480 / 250.
    sample = SceneGraphDataSample(metainfo=dict(img_shape=(250, 333)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[100., 50., 200., 150.], [0., 0., 333., 250.]]),
        labels=torch.tensor([77, 20]))
    visualizer = SceneGraphLocalVisualizer(name='bounds_axes', min_height=480)
    visualizer.dataset_meta = load_vocabulary()
    drawn = []
    monkeypatch.setattr(visualizer, 'draw_bboxes',
                        lambda bboxes, **kwargs: drawn.append(bboxes))
    visualizer.add_datasample('img', np.zeros((250, 333, 3), dtype=np.uint8),
                              sample)
    np.testing.assert_allclose(
        drawn[0],
        [[100 * 639 / 333, 96, 200 * 639 / 333, 288], [0, 0, 638, 479]],
        rtol=1e-6)
