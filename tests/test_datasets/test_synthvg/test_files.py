import json
import os
import os.path as osp

import h5py
import numpy as np
import pytest
from PIL import Image

from mmsgg_rde.datasets.synthvg import (CLASS_STYLES, PALETTE, accent_color,
                                        ensure_synthvg, generate_synthvg,
                                        render_scene, resolve_synthvg_params,
                                        sample_synthvg_world,
                                        synthvg_image_ids)
from mmsgg_rde.datasets.vg150_io import (BOX_SCALE, CORRUPTED_IMAGE_IDS,
                                         load_vocabulary)

SEED = 3


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A tiny world on disk, its scenes and its parameters."""
    out = str(tmp_path_factory.mktemp('synthvg') / 'tiny')
    paths = generate_synthvg(out, 'tiny', seed=SEED)
    scenes = sample_synthvg_world('tiny', seed=SEED)
    return paths, scenes, resolve_synthvg_params('tiny')


def _read_h5(path):
    with h5py.File(path, 'r') as f:
        return {key: f[key][()] for key in f.keys()}


def test_h5_layout_matches_the_protocol(tiny):
    paths, scenes, _ = tiny
    h5 = _read_h5(paths['ann_file'])
    num_images = len(scenes)
    num_boxes = sum(len(s.labels) for s in scenes)
    num_rels = sum(len(s.relations) for s in scenes)
    expected = dict(
        split=((num_images, ), np.int32),
        img_to_first_box=((num_images, ), np.int32),
        img_to_last_box=((num_images, ), np.int32),
        img_to_first_rel=((num_images, ), np.int32),
        img_to_last_rel=((num_images, ), np.int32),
        labels=((num_boxes, 1), np.int64),
        boxes_1024=((num_boxes, 4), np.int32),
        boxes_512=((num_boxes, 4), np.int32),
        predicates=((num_rels, 1), np.int64),
        relationships=((num_rels, 2), np.int32),
        attributes=((num_boxes, 10), np.int64),
        active_object_mask=((num_boxes, 1), np.bool_),
    )
    assert set(h5) == set(expected)
    for key, (shape, dtype) in expected.items():
        assert h5[key].shape == shape, key
        assert h5[key].dtype == dtype, key
    assert set(np.unique(h5['split'])) == {0, 2}
    assert h5['labels'].min() >= 1 and h5['labels'].max() <= 150
    assert h5['predicates'].min() >= 1 and h5['predicates'].max() <= 50


def test_h5_ranges_are_inclusive_and_relations_global(tiny):
    paths, scenes, _ = tiny
    h5 = _read_h5(paths['ann_file'])
    row = rel = 0
    for i, scene in enumerate(scenes):
        n, r = len(scene.labels), len(scene.relations)
        first_box, last_box = h5['img_to_first_box'][i], h5['img_to_last_box'][
            i]
        first_rel, last_rel = h5['img_to_first_rel'][i], h5['img_to_last_rel'][
            i]
        if n:
            assert (first_box, last_box) == (row, row + n - 1)
        else:
            assert (first_box, last_box) == (-1, -1)
        if r:
            assert (first_rel, last_rel) == (rel, rel + r - 1)
            np.testing.assert_array_equal(
                h5['relationships'][rel:rel + r] - row, scene.relations[:, :2])
            np.testing.assert_array_equal(h5['predicates'][rel:rel + r, 0],
                                          scene.relations[:, 2])
        else:
            assert (first_rel, last_rel) == (-1, -1)
        np.testing.assert_array_equal(h5['labels'][row:row + n, 0],
                                      scene.labels)
        row, rel = row + n, rel + r
    related = h5['img_to_first_rel'] >= 0
    boxed = h5['img_to_first_box'] >= 0
    assert np.any(boxed & ~related), 'images with boxes and no relation'
    assert np.any(~boxed), 'images without boxes'
    for split in (0, 2):
        assert np.any((h5['split'] == split) & related)


def test_image_data_has_the_corrupted_entries(tiny):
    paths, scenes, _ = tiny
    with open(paths['image_file']) as f:
        records = json.load(f)
    ids = [r['image_id'] for r in records]
    assert len(records) == len(scenes) + 4
    assert ids == sorted(ids)
    assert set(CORRUPTED_IMAGE_IDS) <= set(ids)
    kept = [r for r in records if r['image_id'] not in CORRUPTED_IMAGE_IDS]
    assert [r['image_id'] for r in kept] == [s.image_id for s in scenes]
    assert [(r['width'], r['height']) for r in kept] == [(s.width, s.height)
                                                         for s in scenes]
    for record in records:
        assert set(record) == {
            'image_id', 'url', 'width', 'height', 'coco_id', 'flickr_id'
        }
    for image_id in CORRUPTED_IMAGE_IDS:
        with pytest.raises(OSError):
            Image.open(osp.join(paths['img_dir'], f'{image_id}.jpg')).load()


def test_images_have_the_stated_sizes(tiny):
    paths, scenes, params = tiny
    low, high = params['image_size_range']
    for scene in scenes:
        with Image.open(osp.join(paths['img_dir'],
                                 f'{scene.image_id}.jpg')) as image:
            assert image.size == (scene.width, scene.height)
        assert low <= max(image.size) <= high


def test_saved_images_are_the_rendered_scenes(tiny):
    paths, scenes, params = tiny
    for scene in scenes[:10]:
        rendered = render_scene(scene, params,
                                np.random.default_rng([SEED, scene.image_id]))
        saved = np.asarray(
            Image.open(osp.join(paths['img_dir'], f'{scene.image_id}.jpg')))
        assert np.abs(saved.astype(float) - rendered).mean() < 6


def test_boxes_round_trip_through_the_protocol(tiny):
    paths, scenes, _ = tiny
    h5 = _read_h5(paths['ann_file'])
    boxes = h5['boxes_1024']
    # The benchmark: int32 x1 = cx - w / 2 (truncated), x2 = x1 + w, then
    # scaled by max(W, H) / 1024 and clipped to the image.
    top_left = np.trunc(boxes[:, :2] - boxes[:, 2:] / 2).astype(np.int32)
    xyxy = np.concatenate([top_left, top_left + boxes[:, 2:]], axis=1)
    row = 0
    for scene in scenes:
        n = len(scene.labels)
        scale = max(scene.width, scene.height) / BOX_SCALE
        pixels = xyxy[row:row + n] * scale
        assert np.all(pixels >= 0)
        assert np.all(pixels[:, 0::2] <= scene.width + 0.5)
        assert np.all(pixels[:, 1::2] <= scene.height + 0.5)
        pixels[:, 0::2] = np.clip(pixels[:, 0::2], 0, scene.width - 1)
        pixels[:, 1::2] = np.clip(pixels[:, 1::2], 0, scene.height - 1)
        assert np.all(np.abs(pixels - scene.boxes) <= 1.0)
        row += n


def _isolated(scene, i, margin):
    """Whether no other box or connector comes near box ``i``."""
    box = scene.boxes[i]
    others = [b for j, b in enumerate(scene.boxes) if j != i]
    for s, o in scene.connectors:
        a, b = sorted([scene.boxes[s], scene.boxes[o]], key=lambda x: x[0])
        others.append(np.array([a[2], 0, b[0], scene.height]))
    return all(b[0] >= box[2] + margin or box[0] >= b[2] +
               margin or b[1] >= box[3] + margin or box[1] >= b[3] + margin
               for b in others)


def test_objects_are_drawn_in_their_boxes(tiny):
    _, scenes, params = tiny
    flat = dict(params, pixel_noise=0.0, color_jitter=0)
    styles = {
        load_vocabulary()['classes'].index(name) + 1: style
        for name, style in CLASS_STYLES.items()
    }
    checked = 0
    for scene in scenes:
        image = render_scene(scene, flat,
                             np.random.default_rng([SEED, scene.image_id]))
        for i, (label, box) in enumerate(zip(scene.labels, scene.boxes)):
            if not _isolated(scene, i, 4):
                continue
            color = np.array(PALETTE[styles[label].color])
            accent = accent_color(color)
            x1, y1 = max(box[0] - 3, 0), max(box[1] - 3, 0)
            window = image[y1:box[3] + 3, x1:box[2] + 3].astype(float)
            mask = ((np.abs(window - color).max(-1) <= 1)
                    | (np.abs(window - accent).max(-1) <= 1))
            ys, xs = np.nonzero(mask)
            found = (xs.min() + x1, ys.min() + y1, xs.max() + x1 + 1,
                     ys.max() + y1 + 1)
            assert found == tuple(box), (scene.image_id, i)
            checked += 1
    assert checked >= 20


def test_generation_is_deterministic(tiny, tmp_path):
    paths, _, _ = tiny
    again = generate_synthvg(str(tmp_path / 'again'), 'tiny', seed=SEED)
    for key in ('ann_file', 'image_file', 'dict_file'):
        with open(paths[key], 'rb') as a, open(again[key], 'rb') as b:
            assert a.read() == b.read(), key
    names = sorted(os.listdir(paths['img_dir']))
    assert names == sorted(os.listdir(again['img_dir']))
    for name in names[:5]:
        with open(osp.join(paths['img_dir'], name),
                  'rb') as a, open(osp.join(again['img_dir'], name),
                                   'rb') as b:
            assert a.read() == b.read()
    other = sample_synthvg_world('tiny', seed=SEED + 1)
    assert not np.array_equal(
        np.concatenate([s.boxes for s in other]),
        np.concatenate(
            [s.boxes for s in sample_synthvg_world('tiny', seed=SEED)]))


def test_dicts_keep_the_vocabulary_with_world_counts(tiny):
    paths, scenes, _ = tiny
    with open(paths['dict_file']) as f:
        info = json.load(f)
    vocab = load_vocabulary(paths['dict_file'])
    assert vocab == load_vocabulary()
    labels = np.concatenate([s.labels for s in scenes])
    assert sum(info['object_count'].values()) == len(labels)
    assert info['object_count']['man'] == np.sum(
        labels == vocab['classes'].index('man') + 1)
    assert sum(info['predicate_count'].values()) == sum(
        len(s.relations) for s in scenes)


def test_ensure_reuses_and_regenerates(tmp_path):
    out = str(tmp_path / 'world')
    small = dict(num_train=6, min_predicate_count=0)
    paths = ensure_synthvg(out, 'tiny', seed=SEED, num_test=4, **small)
    stamp = os.stat(paths['ann_file']).st_mtime_ns
    ensure_synthvg(out, 'tiny', seed=SEED, num_test=4, **small)
    assert os.stat(paths['ann_file']).st_mtime_ns == stamp
    ensure_synthvg(out, 'tiny', seed=SEED, num_test=5, **small)
    assert len(_read_h5(paths['ann_file'])['split']) == 11
    assert len(os.listdir(paths['img_dir'])) == 11 + 4
    first_id = synthvg_image_ids(11, 5000)[0]
    os.remove(osp.join(paths['img_dir'], f'{first_id}.jpg'))
    stamp = os.stat(paths['ann_file']).st_mtime_ns
    ensure_synthvg(out, 'tiny', seed=SEED, num_test=5, **small)
    assert os.stat(paths['ann_file']).st_mtime_ns != stamp
    assert osp.isfile(osp.join(paths['img_dir'], f'{first_id}.jpg'))


def test_foreign_vg150_files_are_not_overwritten(tmp_path):
    with open(tmp_path / 'VG-SGG-with-attri.h5', 'wb') as f:
        f.write(b'real data')
    with pytest.raises(FileExistsError, match='synthvg_manifest.json'):
        generate_synthvg(str(tmp_path), 'tiny')
