import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from PIL import Image

from mmsgg_rde.datasets.transforms import (ImageSizeMismatchError,
                                           LoadSceneGraphAnnotations,
                                           PackSceneGraphInputs)
from mmsgg_rde.structures import SceneGraphDataSample


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def _data_info(img_path=''):
    return dict(
        img_path=img_path,
        img_id=7,
        width=40,
        height=20,
        bboxes=np.array([[0, 0, 10, 10], [5, 4, 20, 16], [30, 2, 39, 19]],
                        dtype=np.float32),
        bbox_labels=np.array([3, 0, 149], dtype=np.int64),
        relations=np.array([[0, 1, 5], [0, 1, 7], [2, 0, 1]], dtype=np.int64))


@pytest.fixture
def img_path(tmp_path):
    path = str(tmp_path / '7.jpg')
    Image.new('RGB', (40, 20)).save(path)
    return path


def test_load_annotations():
    results = LoadSceneGraphAnnotations()(_data_info())
    assert isinstance(results['gt_bboxes'], HorizontalBoxes)
    assert results['gt_bboxes'].tensor.dtype == torch.float32
    np.testing.assert_array_equal(results['gt_bboxes'].numpy(),
                                  _data_info()['bboxes'])
    assert results['gt_bboxes_labels'].dtype == np.int64
    assert results['gt_ignore_flags'].tolist() == [False] * 3
    assert results['gt_relations'].shape == (3, 3)
    assert results['gt_relations'].dtype == np.int64
    plain = LoadSceneGraphAnnotations(box_type=None)(_data_info())
    assert isinstance(plain['gt_bboxes'], np.ndarray)


def test_load_annotations_needs_dataset_keys():
    info = _data_info()
    del info['relations']
    with pytest.raises(KeyError, match='relations'):
        LoadSceneGraphAnnotations()(info)


def test_train_pipeline_rescales_gt(img_path):
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadSceneGraphAnnotations'),
        dict(type='Resize', scale=(80, 40), keep_ratio=True),
        dict(type='PackSceneGraphInputs')
    ])
    packed = pipeline(_data_info(img_path))
    sample = packed['data_samples']
    assert isinstance(sample, SceneGraphDataSample)
    assert packed['inputs'].shape == (3, 40, 80)
    assert isinstance(sample.gt_instances.bboxes, torch.Tensor)
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(),
                               _data_info()['bboxes'] * 2)
    assert sample.gt_instances.labels.tolist() == [3, 0, 149]
    assert sample.gt_relations.pairs.dtype == torch.long
    assert sample.gt_relations.labels.dtype == torch.long
    assert sample.gt_relations.pairs.tolist() == [[0, 1], [0, 1], [2, 0]]
    assert sample.gt_relations.labels.tolist() == [5, 7, 1]
    assert sample.img_id == 7
    assert sample.img_path == img_path
    assert sample.ori_shape == (20, 40)
    assert sample.img_shape == (40, 80)


def test_test_pipeline_keeps_gt_in_original_pixels(img_path):
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(80, 40), keep_ratio=True),
        dict(type='LoadSceneGraphAnnotations'),
        dict(
            type='PackSceneGraphInputs',
            meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                       'scale_factor'))
    ])
    sample = pipeline(_data_info(img_path))['data_samples']
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(),
                               _data_info()['bboxes'])
    assert sample.scale_factor == (2.0, 2.0)
    assert len(sample.gt_relations) == 3


@pytest.mark.parametrize('annotations_after_resize', [False, True])
@pytest.mark.parametrize('size, hint', [((20, 10), 'resized copy'),
                                        ((20, 40), 'EXIF orientation')])
def test_image_of_another_size_is_refused(tmp_path, annotations_after_resize,
                                          size, hint):
    # The annotations are for 40x20; the file on disk is not.
    path = str(tmp_path / '7.jpg')
    Image.new('RGB', size).save(path)
    steps = [
        dict(type='LoadSceneGraphAnnotations'),
        dict(type='Resize', scale=(80, 40), keep_ratio=True)
    ]
    if annotations_after_resize:
        steps.reverse()
    pipeline = Compose([dict(type='LoadImageFromFile'), *steps])
    with pytest.raises(ImageSizeMismatchError) as info:
        pipeline(_data_info(path))
    message = str(info.value)
    assert f'Image {path} is {size[0]}x{size[1]}' in message
    assert 'are for 40x20' in message
    assert hint in message


def test_pack_reindexes_relations_of_ignored_boxes():
    results = LoadSceneGraphAnnotations()(_data_info())
    results['gt_ignore_flags'] = np.array([False, True, False])
    results['gt_relations'] = np.array([[0, 2, 1], [1, 0, 2], [2, 0, 3]])
    sample = PackSceneGraphInputs()(results)['data_samples']
    assert len(sample.gt_instances) == 2
    assert len(sample.ignored_instances) == 1
    assert sample.gt_relations.pairs.tolist() == [[0, 1], [1, 0]]
    assert sample.gt_relations.labels.tolist() == [1, 3]


def test_pack_without_relations():
    results = LoadSceneGraphAnnotations()(_data_info())
    del results['gt_relations']
    sample = PackSceneGraphInputs()(results)['data_samples']
    assert not hasattr(sample, 'gt_relations')
    assert len(sample.gt_instances) == 3
