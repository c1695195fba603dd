import os
import os.path as osp
import shutil

import h5py
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmsgg_rde.datasets import (DEFAULT_DICT_FILE, EmptySplitError,
                                VG150Dataset, VG150FormatError,
                                load_vocabulary)
from mmsgg_rde.datasets import vg150 as vg150_module
from mmsgg_rde.datasets import write_image_data, write_vg150_h5
from mmsgg_rde.datasets.transforms import ImageSizeMismatchError

# h5 rows (image ids 10..17): split flag, boxes cx, cy, w, h at scale 1024,
# labels 1..150, relations (subject, object, predicate) local.
IMAGES = [
    # row 0 (id 10, 1024x768): val
    dict(
        split=0,
        boxes=[[101, 51, 51, 30], [110, 60, 40, 40]],
        labels=[1, 2],
        rels=[[0, 1, 3]]),
    # row 1 (id 11, 800x600): val, a duplicate pair
    dict(
        split=0,
        boxes=[[1, 20, 5, 10], [1010, 760, 40, 20], [500, 300, 100, 100]],
        labels=[3, 4, 150],
        rels=[[0, 1, 5], [0, 1, 7], [2, 0, 1]]),
    # row 2: no relation
    dict(
        split=0,
        boxes=[[50, 50, 10, 10], [60, 60, 10, 10]],
        labels=[5, 6],
        rels=[]),
    # row 3: no box
    dict(split=0, boxes=[], labels=[], rels=[]),
    # row 4 (id 14): train, a duplicate pair; (1, 2) do not overlap
    dict(
        split=0,
        boxes=[[100, 100, 50, 50], [120, 120, 50, 50], [300, 300, 20, 20]],
        labels=[7, 8, 9],
        rels=[[0, 1, 3], [0, 1, 4], [1, 2, 9]]),
    # row 5 (id 15): train, its only relation does not overlap
    dict(
        split=0,
        boxes=[[10, 10, 10, 10], [500, 500, 10, 10]],
        labels=[10, 11],
        rels=[[0, 1, 2]]),
    # row 6 (id 16): test, a duplicate pair
    dict(
        split=2,
        boxes=[[200, 200, 40, 40], [210, 210, 40, 40]],
        labels=[12, 13],
        rels=[[0, 1, 1], [0, 1, 2]]),
    # row 7: test, no relation
    dict(split=2, boxes=[[30, 30, 10, 10]], labels=[14], rels=[]),
]
IMAGE_IDS = list(range(10, 18))
SIZES = {11: (800, 600)}
# image_data.json order: the corrupted entries are interleaved.
RECORD_IDS = [10, 1592, 11, 1722, 12, 13, 4616, 4617, 14, 15, 16, 17]


def _h5_arrays(images=IMAGES):
    return dict(
        split=[im['split'] for im in images],
        num_boxes=[len(im['boxes']) for im in images],
        boxes_1024=np.array([b for im in images
                             for b in im['boxes']]).reshape(-1, 4),
        labels=np.array([label for im in images for label in im['labels']]),
        num_rels=[len(im['rels']) for im in images],
        relationships=np.array([r[:2] for im in images
                                for r in im['rels']]).reshape(-1, 2),
        predicates=np.array([r[2] for im in images for r in im['rels']]))


def _write_vg(root, images=IMAGES, record_ids=RECORD_IDS):
    os.makedirs(osp.join(root, 'VG_100K'), exist_ok=True)
    write_vg150_h5(
        osp.join(root, 'VG-SGG-with-attri.h5'), **_h5_arrays(images))
    records = [
        dict(
            image_id=i,
            url='',
            width=SIZES.get(i, (1024, 768))[0],
            height=SIZES.get(i, (1024, 768))[1],
            coco_id=None,
            flickr_id=None) for i in record_ids
    ]
    write_image_data(osp.join(root, 'image_data.json'), records)
    shutil.copy(DEFAULT_DICT_FILE,
                osp.join(root, 'VG-SGG-dicts-with-attri.json'))
    for i in IMAGE_IDS:
        Image.new('RGB', SIZES.get(i, (1024, 768))).save(
            osp.join(root, 'VG_100K', f'{i}.jpg'))
    return root


@pytest.fixture
def vg_root(tmp_path):
    return _write_vg(str(tmp_path / 'vg150'))


def _dataset(root, split='train', **kwargs):
    kwargs.setdefault('statistics_cache_dir', osp.join(root, 'cache'))
    kwargs.setdefault('num_val_images', 2)
    return VG150Dataset(split=split, data_root=root, **kwargs)


def _edit_h5(root, key, value):
    with h5py.File(osp.join(root, 'VG-SGG-with-attri.h5'), 'a') as f:
        del f[key]
        if value is not None:
            f[key] = value


def test_splits_val_is_first_images(vg_root):
    ids = {
        split: [
            _dataset(vg_root, split).get_data_info(i)['img_id']
            for i in range(len(_dataset(vg_root, split)))
        ]
        for split in ('train', 'val', 'test')
    }
    assert ids == dict(train=[14, 15], val=[10, 11], test=[16])


def test_empty_filters(vg_root):
    ds = _dataset(vg_root, 'train', filter_empty_rels=False)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == \
        [12, 14, 15]
    assert ds.get_data_info(0)['relations'].shape == (0, 3)
    test = _dataset(vg_root, 'test', filter_empty_rels=False)
    assert [test.get_data_info(i)['img_id'] for i in range(len(test))] == \
        [16, 17]


def test_filter_non_overlap_train_only(vg_root):
    ds = _dataset(
        vg_root, 'train', filter_non_overlap=True, filter_duplicate_rels=False)
    assert len(ds) == 1
    info = ds.get_data_info(0)
    assert info['img_id'] == 14
    assert sorted(info['relations'][:, 2].tolist()) == [3, 4]
    val = _dataset(vg_root, 'val', filter_non_overlap=True)
    assert len(val) == 2


def test_data_info_and_box_conversion(vg_root):
    val = _dataset(vg_root, 'val')
    info = val.get_data_info(0)
    assert info['img_path'] == osp.join(vg_root, 'VG_100K', '10.jpg')
    assert (info['width'], info['height']) == (1024, 768)
    assert info['bboxes'].dtype == np.float32
    assert info['bbox_labels'].dtype == np.int64
    assert info['relations'].dtype == np.int64
    # cx 101, w 51: x1 = 101 - 25.5 truncated to 75, x2 = 75 + 51.
    np.testing.assert_array_equal(info['bboxes'][0], [75, 36, 126, 66])
    np.testing.assert_array_equal(info['bbox_labels'], [0, 1])
    np.testing.assert_array_equal(info['relations'], [[0, 1, 3]])

    info = val.get_data_info(1)
    assert (info['width'], info['height']) == (800, 600)
    # Scale 800 / 1024. Box 0: x1 = trunc(1 - 2.5) = -1 (toward zero, not
    # floor), x2 = 4, y 15..25. Box 1 (990, 750, 1030, 770) is clipped to
    # x <= 799, y <= 599.
    np.testing.assert_allclose(info['bboxes'],
                               [[0, 11.71875, 3.125, 19.53125],
                                [773.4375, 585.9375, 799, 599],
                                [351.5625, 195.3125, 429.6875, 273.4375]])
    np.testing.assert_array_equal(info['bbox_labels'], [2, 3, 149])
    assert val.get_cat_ids(1) == [2, 3, 149]


def test_duplicate_filter_train_only(vg_root):
    np.random.seed(0)
    train = _dataset(vg_root, 'train')
    picked = set()
    for _ in range(30):
        rels = train.get_data_info(0)['relations']
        assert rels.shape == (2, 3)
        np.testing.assert_array_equal(rels[:, :2], [[0, 1], [1, 2]])
        picked.add(int(rels[0, 2]))
    assert picked == {3, 4}
    # val and test keep duplicates by default.
    np.testing.assert_array_equal(
        _dataset(vg_root, 'val').get_data_info(1)['relations'],
        [[0, 1, 5], [0, 1, 7], [2, 0, 1]])
    np.testing.assert_array_equal(
        _dataset(vg_root, 'test').get_data_info(0)['relations'],
        [[0, 1, 1], [0, 1, 2]])
    no_filter = _dataset(vg_root, 'train', filter_duplicate_rels=False)
    assert no_filter.get_data_info(0)['relations'].shape == (3, 3)
    val_filtered = _dataset(vg_root, 'val', filter_duplicate_rels=True)
    assert val_filtered.get_data_info(1)['relations'].shape == (2, 3)


def test_duplicate_filter_seeded_is_fixed(vg_root):
    draws = {
        int(
            _dataset(vg_root, 'train',
                     duplicate_rels_seed=3).get_data_info(0)['relations'][0,
                                                                          2])
        for _ in range(10)
    }
    assert len(draws) == 1


def test_metainfo_from_dict_file(vg_root):
    ds = _dataset(vg_root, 'test', lazy_init=True)
    vocabulary = load_vocabulary(DEFAULT_DICT_FILE)
    assert ds.metainfo['classes'] == vocabulary['classes']
    assert ds.metainfo['predicates'] == vocabulary['predicates']
    assert len(ds.metainfo['classes']) == 150
    assert len(ds.metainfo['predicates']) == 50
    with pytest.raises(ValueError, match='metainfo'):
        _dataset(vg_root, 'test', metainfo=dict(classes=('a', 'b')))


def test_indices_and_subset(vg_root):
    val = _dataset(vg_root, 'val', indices=[1])
    assert len(val) == 1
    assert val.get_data_info(0)['img_id'] == 11
    full = _dataset(vg_root, 'val')
    sub = full.get_subset([1, 0])
    assert [sub.get_data_info(i)['img_id'] for i in range(2)] == [11, 10]
    assert len(full) == 2
    full.get_subset_(-1)
    assert full.get_data_info(0)['img_id'] == 11


def test_statistics_of_train(vg_root):
    stats = _dataset(vg_root, 'val').get_statistics()
    fg, bg = stats['fg_matrix'], stats['bg_matrix']
    assert fg.shape == (150, 150, 51)
    assert bg.shape == (150, 150)
    # Only image 14 (labels 6, 7, 8) is left once non-overlapping relations
    # are filtered; its boxes 0 and 1 overlap.
    assert fg[:, :, 1:].sum() == 2
    assert fg[6, 7, 3] == 1 and fg[6, 7, 4] == 1
    assert bg.sum() == 2 and bg[6, 7] == 1 and bg[7, 6] == 1
    np.testing.assert_array_equal(fg[:, :, 0], bg + 1)
    all_rels = _dataset(
        vg_root, 'train',
        statistics_filter_non_overlap=False).get_statistics()
    assert all_rels['fg_matrix'][:, :, 1:].sum() == 4
    assert all_rels['fg_matrix'][7, 8, 9] == 1
    assert all_rels['fg_matrix'][9, 10, 2] == 1
    # image 15 has no overlapping pair: all its ordered pairs count.
    assert all_rels['bg_matrix'][9, 10] == 1
    assert all_rels['bg_matrix'][10, 9] == 1


def test_statistics_cache(vg_root, monkeypatch):
    calls = []
    compute = vg150_module.compute_frequency_statistics

    def counting(*args, **kwargs):
        calls.append(1)
        return compute(*args, **kwargs)

    monkeypatch.setattr(vg150_module, 'compute_frequency_statistics', counting)
    first = _dataset(vg_root, 'train').get_statistics()
    assert len(calls) == 1
    assert len(os.listdir(osp.join(vg_root, 'cache'))) == 1
    second = _dataset(vg_root, 'test').get_statistics()
    assert len(calls) == 1
    for key in ('fg_matrix', 'bg_matrix', 'pred_dist'):
        np.testing.assert_array_equal(first[key], second[key])
    h5_file = osp.join(vg_root, 'VG-SGG-with-attri.h5')
    stat = os.stat(h5_file)
    os.utime(h5_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    _dataset(vg_root, 'train').get_statistics()
    assert len(calls) == 2
    _dataset(vg_root, 'train', num_val_images=1).get_statistics()
    assert len(calls) == 3


@pytest.mark.parametrize('name', [
    'VG-SGG-with-attri.h5', 'VG-SGG-dicts-with-attri.json', 'image_data.json'
])
def test_missing_file(vg_root, name):
    os.remove(osp.join(vg_root, name))
    with pytest.raises(FileNotFoundError, match=name):
        _dataset(vg_root)


def test_all_missing_files_named_at_once(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        _dataset(str(tmp_path))
    message = str(error.value)
    for name in ('VG-SGG-with-attri.h5', 'VG-SGG-dicts-with-attri.json',
                 'image_data.json', 'VG_100K'):
        assert name in message
    assert 'make demo' in message


def test_missing_image_folder_and_images(vg_root):
    os.remove(osp.join(vg_root, 'VG_100K', '15.jpg'))
    with pytest.raises(FileNotFoundError, match='15.jpg'):
        _dataset(vg_root, 'train')
    assert len(_dataset(vg_root, 'val')) == 2
    assert len(_dataset(vg_root, 'train', check_images=False)) == 2
    shutil.rmtree(osp.join(vg_root, 'VG_100K'))
    with pytest.raises(FileNotFoundError, match='VG_100K'):
        _dataset(vg_root, 'val')


@pytest.mark.parametrize('key, value, match', [
    ('predicates', None, 'missing datasets'),
    ('img_to_last_box', np.zeros(7, np.int32), 'img_to_last_box'),
    ('boxes_1024', np.ones((5, 4), np.int32), 'boxes_1024'),
    ('labels', np.full((15, 1), 151), 'labels'),
    ('predicates', np.full((10, 1), 51), 'predicates'),
    ('boxes_1024', np.zeros((15, 4), np.int32), 'w, h > 0'),
])
def test_bad_h5(vg_root, key, value, match):
    _edit_h5(vg_root, key, value)
    with pytest.raises(VG150FormatError, match=match):
        _dataset(vg_root, 'train')


def test_relation_outside_its_image(vg_root):
    images = [dict(im) for im in IMAGES]
    # local index 2 in a 2-box image points into the next image's boxes.
    images[5] = dict(images[5], rels=[[0, 2, 2]])
    _write_vg(vg_root, images)
    with pytest.raises(VG150FormatError, match='relationships'):
        _dataset(vg_root, 'train')


def test_box_range_past_the_end(vg_root):
    last = np.array([1, 4, 6, -1, 9, 11, 13, 99], np.int32)
    _edit_h5(vg_root, 'img_to_last_box', last)
    with pytest.raises(VG150FormatError, match='img_to_last_box'):
        _dataset(vg_root, 'test', filter_empty_rels=False)


def test_not_an_h5_file(vg_root):
    with open(osp.join(vg_root, 'VG-SGG-with-attri.h5'), 'w') as f:
        f.write('not hdf5')
    with pytest.raises(VG150FormatError, match='HDF5'):
        _dataset(vg_root)


def test_image_data_not_aligned(vg_root):
    _write_vg(vg_root, record_ids=RECORD_IDS[:-1])
    with pytest.raises(VG150FormatError, match='line up row for row'):
        _dataset(vg_root)


def test_num_val_images_taking_all_of_synthvg_train_is_named(tiny_synthvg):
    # A VG-150 config (num_val_images=5000) on a small VG-format copy: the
    # sampler once divided by the 0 images left for train.
    h5_file = osp.join(tiny_synthvg, 'VG-SGG-with-attri.h5')
    with h5py.File(h5_file, 'r') as f:
        usable = int(
            np.sum((f['split'][()] == 0) & (f['img_to_first_box'][()] >= 0)
                   & (f['img_to_first_rel'][()] >= 0)))
    assert 0 < usable < 5000
    with pytest.raises(EmptySplitError) as info:
        VG150Dataset(split='train', data_root=tiny_synthvg)
    message = str(info.value)
    assert message.startswith(f"Split 'train' of {h5_file} has 0 images "
                              'after num_val_images=5000 took all '
                              f'{usable} images')
    assert f'Lower num_val_images below {usable}' in message
    assert len(VG150Dataset(split='val', data_root=tiny_synthvg)) == usable


@pytest.mark.parametrize('split, kwargs, edit, expected', [
    ('train', dict(num_val_images=4), None,
     "Split 'train' of {h5} has 0 images after num_val_images=4 took all 4 "
     'images with the split flag 0 and boxes and relations for val.'),
    ('train', dict(num_val_images=3, filter_non_overlap=True), None,
     "Split 'train' of {h5} has 0 images after filter_non_overlap=True "
     'dropped all 1: none has a relation between overlapping boxes.'),
    ('test', {}, ('img_to_first_rel', 6),
     "Split 'test' of {h5} has 0 images: none of the 2 images with the split "
     'flag 2 has boxes and relations (filter_empty_rels=True drops images '
     'without relations).'),
    ('test', {}, ('split', None),
     "Split 'test' of {h5} has 0 images: no image of the file has the test "
     'split flag 2.'),
])
def test_empty_split_names_what_emptied_it(vg_root, split, kwargs, edit,
                                           expected):
    h5_file = osp.join(vg_root, 'VG-SGG-with-attri.h5')
    if edit is not None:
        key, row = edit
        with h5py.File(h5_file, 'r') as f:
            value = f[key][()]
        if row is None:
            value[:] = 0
        else:
            value[row] = -1
        _edit_h5(vg_root, key, value)
    with pytest.raises(EmptySplitError) as info:
        _dataset(vg_root, split, **kwargs)
    assert str(info.value).startswith(expected.format(h5=h5_file))


def test_statistics_of_an_empty_train_split_say_so(vg_root):
    val = _dataset(vg_root, 'val', num_val_images=4)
    assert len(val) == 4
    with pytest.raises(
            EmptySplitError,
            match="statistics are counted on the train split .* "
            "Split 'train' .* num_val_images=4"):
        val.get_statistics()


def test_bad_split(vg_root):
    with pytest.raises(ValueError, match='split'):
        _dataset(vg_root, 'validation')


def test_pipeline_produces_scene_graph_sample(vg_root):
    init_default_scope('mmdet')
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadSceneGraphAnnotations'),
        dict(type='PackSceneGraphInputs')
    ]
    sample = _dataset(vg_root, 'val', pipeline=pipeline)[1]['data_samples']
    assert sample.img_id == 11
    assert sample.gt_instances.bboxes.shape == (3, 4)
    assert sample.gt_relations.pairs.tolist() == [[0, 1], [0, 1], [2, 0]]
    assert sample.gt_relations.labels.tolist() == [5, 7, 1]


def test_pipeline_refuses_a_resized_image(vg_root):
    init_default_scope('mmdet')
    path = osp.join(vg_root, 'VG_100K', '11.jpg')
    Image.new('RGB', (400, 300)).save(path)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadSceneGraphAnnotations'),
        dict(type='PackSceneGraphInputs')
    ]
    dataset = _dataset(vg_root, 'val', pipeline=pipeline)
    assert dataset[0]['data_samples'].img_id == 10
    with pytest.raises(
            ImageSizeMismatchError,
            match=f'Image {path} is 400x300 .* for 800x600'):
        dataset[1]
