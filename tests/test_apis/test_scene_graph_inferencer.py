"""SceneGraphInferencer on the tiny SynthVG with a random tiny model."""
import json
import os.path as osp

import mmcv
import numpy as np
import pytest

from mmsgg_rde.apis import InferenceInputError, SceneGraphInferencer
from mmsgg_rde.datasets import load_vocabulary

NUM_IMAGES = 3


@pytest.fixture(scope='module')
def test_images(tiny_test_infos):
    """Paths and annotated boxes/labels of the first test images."""
    classes = load_vocabulary()['classes']
    infos = tiny_test_infos[:NUM_IMAGES]
    return [info['img_path'] for info in infos], [
        dict(
            bboxes=info['bboxes'].tolist(),
            labels=[classes[i] for i in info['bbox_labels']]) for info in infos
    ]


def _inferencer(config, checkpoint, mode=None):
    return SceneGraphInferencer(
        config,
        weights=checkpoint,
        device='cpu',
        mode=mode,
        show_progress=False)


def _check_schema(result, num_relations, multi_predicate=False):
    assert set(result) == {
        'image', 'width', 'height', 'mode', 'objects', 'relations'
    }
    objects, relations = result['objects'], result['relations']
    for i, obj in enumerate(objects):
        assert set(obj) == {'index', 'bbox', 'label', 'class', 'score'}
        assert obj['index'] == i and len(obj['bbox']) == 4
        x1, y1, x2, y2 = obj['bbox']
        assert 0 <= x1 <= x2 <= result['width']
        assert 0 <= y1 <= y2 <= result['height']
        assert isinstance(obj['class'], str) and 0 <= obj['score'] <= 1
    assert len(relations) <= num_relations
    for rel in relations:
        assert set(rel) == {
            'subject', 'object', 'predicate', 'predicate_id', 'score'
        }
        assert rel['subject'] != rel['object']
        assert 0 <= rel['subject'] < len(objects)
        assert 0 <= rel['object'] < len(objects)
        assert 1 <= rel['predicate_id'] <= 50
    scores = [rel['score'] for rel in relations]
    assert scores == sorted(scores, reverse=True)
    pairs = [(r['subject'], r['object']) for r in relations]
    if not multi_predicate:
        assert len(set(pairs)) == len(pairs)


def test_predcls_json_pictures_and_options(tiny_sgg_config,
                                           tiny_sgg_checkpoint, test_images,
                                           tmp_path):
    paths, boxes = test_images
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint)
    assert inferencer.mode == 'predcls'
    names = inferencer.dataset_meta['predicates']
    out = inferencer(
        paths, boxes=boxes, num_relations=5, out_dir=str(tmp_path))
    assert out['visualization'] is None
    for path, box, result in zip(paths, boxes, out['predictions']):
        _check_schema(result, 5)
        assert result['image'] == path and len(result['relations']) == 5
        height, width = mmcv.imread(path).shape[:2]
        assert (result['width'], result['height']) == (width, height)
        # PredCls: the given boxes and labels, scores 1
        assert [o['class'] for o in result['objects']] == box['labels']
        np.testing.assert_allclose([o['bbox'] for o in result['objects']],
                                   box['bboxes'],
                                   atol=0.01)
        assert all(o['score'] == 1 for o in result['objects'])
        for rel in result['relations']:
            assert rel['predicate'] == names[rel['predicate_id'] - 1]
        stem = osp.splitext(osp.basename(path))[0]
        with open(tmp_path / 'preds' / f'{stem}.json') as f:
            assert json.load(f) == result
        picture = mmcv.imread(str(tmp_path / 'vis' / osp.basename(path)))
        assert picture.shape[0] == 480 and picture.shape[1] > 480

    several = inferencer(
        paths[0], boxes=boxes[:1], num_relations=30,
        multi_predicate=True)['predictions'][0]
    _check_schema(several, 30, multi_predicate=True)
    pairs = [(r['subject'], r['object']) for r in several['relations']]
    assert len(set(pairs)) < len(pairs)
    best = out['predictions'][0]['relations'][0]['score']
    kept = inferencer(
        paths[0], boxes=boxes[:1],
        relation_score_thr=best - 1e-5)['predictions'][0]['relations']
    assert kept and all(r['score'] >= best - 1e-5 for r in kept)
    assert len(kept) < len(out['predictions'][0]['relations'])


def test_sgcls_boxes_without_labels(tiny_sgg_config, tiny_sgg_checkpoint,
                                    test_images):
    paths, boxes = test_images
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint, 'sgcls')
    unlabelled = [dict(bboxes=b['bboxes']) for b in boxes]
    out = inferencer(paths, boxes=unlabelled, return_vis=True)
    assert len(out['visualization']) == NUM_IMAGES
    for box, result in zip(boxes, out['predictions']):
        _check_schema(result, 20)
        assert result['mode'] == 'sgcls'
        assert len(result['objects']) == len(box['bboxes'])


def test_sgdet_from_images_and_arrays(tiny_sgg_config, tiny_sgg_checkpoint,
                                      test_images):
    paths, _ = test_images
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint, 'sgdet')
    image = mmcv.imread(paths[0])
    out = inferencer([paths[0], image])['predictions']
    for result in out:
        _check_schema(result, 20)
        assert len(result['objects']) <= 80
    assert out[1]['image'] == '00000001.jpg'
    assert out[0]['objects'] == out[1]['objects']


@pytest.mark.parametrize('mode', ['predcls', 'sgcls', 'sgdet'])
def test_batch_of_two_equals_batch_of_one(tiny_sgg_config, tiny_sgg_checkpoint,
                                          test_images, mode):
    """Same-size images: batching changes nothing but the speed."""
    paths, boxes = test_images
    image = mmcv.imread(paths[0])
    flipped = np.ascontiguousarray(image[:, ::-1])
    inputs = [image, flipped, image]
    width = image.shape[1]
    box = boxes[0]
    mirrored = dict(
        bboxes=[[width - x2, y1, width - x1, y2]
                for x1, y1, x2, y2 in box['bboxes']],
        labels=box['labels'])
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint, mode)
    kwargs = dict(num_relations=10)
    if mode != 'sgdet':
        kwargs['boxes'] = [box, mirrored, box]
    single = inferencer(inputs, batch_size=1, **kwargs)['predictions']
    batched = inferencer(inputs, batch_size=2, **kwargs)['predictions']
    for one, two in zip(single, batched):
        assert len(one['objects']) == len(two['objects'])
        for a, b in zip(one['objects'], two['objects']):
            assert a['class'] == b['class']
            np.testing.assert_allclose(a['bbox'], b['bbox'], atol=0.05)
            assert a['score'] == pytest.approx(b['score'], abs=1e-4)
        np.testing.assert_allclose([r['score'] for r in one['relations']],
                                   [r['score'] for r in two['relations']],
                                   atol=1e-4)


def test_bad_inputs_are_named_and_skipped(tiny_sgg_config, tiny_sgg_checkpoint,
                                          test_images, tmp_path):
    paths, boxes = test_images
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint)
    garbage = tmp_path / 'garbage.jpg'
    garbage.write_bytes(b'not an image')
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    missing = str(tmp_path / 'missing.jpg')
    height, width = mmcv.imread(paths[1]).shape[:2]
    outside = dict(
        bboxes=[[0, 0, width + 5, 10]] + boxes[1]['bboxes'][1:],
        labels=boxes[1]['labels'])
    unknown = dict(
        bboxes=boxes[2]['bboxes'], labels=['unicorn'] + boxes[2]['labels'][1:])
    inputs = [
        str(garbage), paths[0],
        str(empty), missing, paths[1], paths[2], paths[0]
    ]
    given = [boxes[0], boxes[0], boxes[0], boxes[0], outside, unknown, None]
    out = inferencer(inputs, boxes=given, batch_size=2)['predictions']
    assert [r.get('error') is None
            for r in out] == [False, True, False, False, False, False, False]
    _check_schema(out[1], 20)
    errors = [r.get('error') for r in out]
    assert 'garbage.jpg: not a readable image' in errors[0]
    assert 'empty.png: the image file is empty' in errors[2]
    assert 'missing.jpg: image file not found' in errors[3]
    assert f'box 0 [0.0, 0.0, {width + 5}.0, 10.0] lies outside the ' \
           f'{width}x{height} image' in errors[4]
    assert 'label "unicorn" of box 0 is not a class' in errors[5]
    assert 'no boxes given; PredCls needs the boxes and labels' in errors[6]

    with pytest.raises(InferenceInputError, match='predcls mode, which takes'):
        inferencer(paths)
    folder = tmp_path / 'no_images'
    folder.mkdir()
    (folder / 'notes.txt').write_text('no image here')
    with pytest.raises(InferenceInputError, match='has no image files'):
        inferencer(str(folder), boxes={})
    with pytest.raises(InferenceInputError, match='2 box entries for 3'):
        inferencer(paths, boxes=boxes[:2])


def test_boxes_file_keyed_by_file_name(tiny_sgg_config, tiny_sgg_checkpoint,
                                       test_images, tmp_path):
    paths, boxes = test_images
    boxes_file = tmp_path / 'boxes.json'
    boxes_file.write_text(
        json.dumps({
            osp.basename(p): b
            for p, b in zip(paths, boxes)
        }))
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint)
    out = inferencer(paths, boxes=str(boxes_file))['predictions']
    assert all('error' not in r for r in out)
    bad_file = tmp_path / 'bad.json'
    bad_file.write_text('[1, 2]')
    with pytest.raises(InferenceInputError, match='must be a JSON object'):
        inferencer(paths, boxes=str(bad_file))


def test_names_without_checkpoint_meta(tiny_sgg_config, tmp_path):
    """Without weights the names come from the test dataset's metainfo."""
    inferencer = SceneGraphInferencer(
        tiny_sgg_config, device='cpu', show_progress=False)
    assert len(inferencer.dataset_meta['classes']) == 150
    assert len(inferencer.dataset_meta['predicates']) == 50
