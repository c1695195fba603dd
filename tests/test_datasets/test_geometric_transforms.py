import os.path as osp

import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from PIL import Image

from mmsgg_rde.datasets.transforms import DetectronRandomFlip, ShortSideResize
from mmsgg_rde.datasets.transforms.geometric import short_side_size

VG150_CFG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets',
    'vg150_sgg.py')


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


@pytest.mark.parametrize(
    'size,expected',
    [
        ((800, 600), (800, 600)),  # already there
        ((500, 333), (900, 600)),  # int(600 * 500 / 333): mmdet gives 901
        ((375, 500), (600, 800)),  # portrait
        ((1000, 400), (1000, 400)),  # capped: round(1000 * 400 / 1000)
        ((2000, 500), (1000, 250)),
        ((1024, 683), (899, 600)),
    ])
def test_benchmark_size_rule(size, expected):
    assert short_side_size(*size, 600, 1000) == expected


def test_resize_is_pil_bilinear_and_scales_boxes():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (50, 75, 3)).astype(np.uint8)
    boxes = np.array([[0, 0, 74, 49], [10, 5, 20, 15]], dtype=np.float32)
    results = ShortSideResize(
        min_size=20, max_size=40).transform(
            dict(img=img, gt_bboxes=HorizontalBoxes(boxes)))
    assert results['img'].shape == (20, 30, 3)
    expected = np.asarray(
        Image.fromarray(img).resize((30, 20), Image.BILINEAR))
    np.testing.assert_array_equal(results['img'], expected)
    assert results['scale_factor'] == (0.4, 0.4)
    # Scaled, not clipped (the benchmark resizes boxes without clipping).
    np.testing.assert_allclose(
        results['gt_bboxes'].numpy(), boxes * 0.4, rtol=1e-6)


def test_flip_maps_inclusive_pixels():
    img = np.zeros((4, 10, 3), np.uint8)
    img[:, 0] = 255
    results = dict(
        img=img,
        gt_bboxes=HorizontalBoxes(
            np.array([[0, 0, 3, 3], [2, 1, 9, 2]], np.float32)))
    results = DetectronRandomFlip(prob=1.).transform(results)
    assert results['flip'] and results['flip_direction'] == 'horizontal'
    assert (results['img'][:, 9] == 255).all()
    # Pixel columns 0..3 become 6..9 (mmdet's RandomFlip gives 7..10).
    np.testing.assert_array_equal(results['gt_bboxes'].numpy(),
                                  [[6, 0, 9, 3], [0, 1, 7, 2]])


def test_vg150_pipelines_flip_train_images_only(tmp_path):
    path = str(tmp_path / '7.jpg')
    Image.new('RGB', (40, 20)).save(path)
    cfg = Config.fromfile(VG150_CFG)
    info = dict(
        img_path=path,
        img_id=7,
        width=40,
        height=20,
        bboxes=np.array([[0, 0, 9, 9], [30, 2, 39, 19]], dtype=np.float32),
        bbox_labels=np.array([3, 149], dtype=np.int64),
        relations=np.array([[0, 1, 5], [1, 0, 7]], dtype=np.int64))
    train = cfg.train_pipeline
    flip = [t for t in train if t['type'] == 'DetectronRandomFlip']
    assert len(flip) == 1 and flip[0]['prob'] == 0.5
    flip[0]['prob'] = 1.
    sample = Compose(train)(dict(info))['data_samples']
    # 40 x 20 -> 1000 x 500 (x25), then flipped: x -> 999 - x.
    assert sample.metainfo['flip']
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(),
                               [[774, 0, 999, 225], [24, 50, 249, 475]])
    assert sample.gt_relations.pairs.tolist() == [[0, 1], [1, 0]]
    assert sample.gt_relations.labels.tolist() == [5, 7]
    test = cfg.test_pipeline
    assert not any('Flip' in t['type'] for t in test)
    sample = Compose(test)(dict(info))['data_samples']
    np.testing.assert_array_equal(sample.gt_instances.bboxes.numpy(),
                                  info['bboxes'])
    assert sample.metainfo['scale_factor'] == (25., 25.)
