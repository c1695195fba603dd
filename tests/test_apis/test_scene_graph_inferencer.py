"""SceneGraphInferencer on the tiny SynthVG with a random tiny model."""
import json
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmdet.models.backbones import ResNet
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmsgg_rde.apis import (InferenceInput, InferenceInputError,
                            SceneGraphInferencer)
from mmsgg_rde.apis import scene_graph_inferencer as inferencer_module
from mmsgg_rde.datasets import load_vocabulary
from mmsgg_rde.engine import CheckpointMismatchError
from mmsgg_rde.structures import SceneGraphDataSample
from mmsgg_rde.visualization import SceneGraphLocalVisualizer

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


def test_single_object_gives_no_self_relation(tiny_sgg_config,
                                              tiny_sgg_checkpoint, test_images,
                                              tmp_path):
    """The heads give one object the pair (0, 0) (the benchmark's, for the
    metric); no user-facing result holds it."""
    paths, boxes = test_images
    single = [
        dict(bboxes=b['bboxes'][:1], labels=b['labels'][:1]) for b in boxes
    ]
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint)
    out = inferencer(paths, boxes=single, out_dir=str(tmp_path))
    for path, result in zip(paths, out['predictions']):
        assert len(result['objects']) == 1
        assert result['relations'] == []
        stem = osp.splitext(osp.basename(path))[0]
        with open(tmp_path / 'preds' / f'{stem}.json') as f:
            assert json.load(f)['relations'] == []
        assert osp.isfile(tmp_path / 'vis' / osp.basename(path))
    samples = inferencer(
        paths, boxes=single, return_datasamples=True)['predictions']
    for sample in samples:
        assert len(sample.pred_relations) == 0


def _foreign_checkpoints(tmp_path):
    """A ResNet-18 state dict as torchvision saves it (no 'state_dict'
    key), and the same wrapped as mmengine saves checkpoints."""
    state = ResNet(depth=18).state_dict()
    raw, wrapped = str(tmp_path / 'resnet18.pth'), str(tmp_path / 'wrap.pth')
    torch.save(state, raw)
    torch.save(dict(state_dict=state), wrapped)
    return raw, wrapped


def test_foreign_checkpoint_is_refused(tiny_sgg_config, tmp_path):
    for path in _foreign_checkpoints(tmp_path):
        with pytest.raises(CheckpointMismatchError) as info:
            _inferencer(tiny_sgg_config, path)
        message = str(info.value)
        assert f'Checkpoint "{path}" is not a checkpoint of this model' in \
            message
        assert "holds 0 of the model's" in message


def test_malformed_boxes_and_boolean_labels_skip_their_image(
        tiny_sgg_config, tiny_sgg_checkpoint, test_images, tmp_path):
    paths, boxes = test_images
    classes = load_vocabulary()['classes']
    ids = [classes.index(c) for c in boxes[2]['labels']]
    with_bool = [True] + [classes.index(c) for c in boxes[1]['labels'][1:]]
    given = [
        dict(bboxes=[[10, 10, 100, 90], [1, 2, 3]], labels=['man', 'man']),
        dict(bboxes=boxes[1]['bboxes'], labels=with_bool),
        [[10, 10, 100, 90]],
        dict(bboxes=[[10, 10, 100, 90], [1, 2, 'x', 4]], labels=[1, 2]),
        dict(bboxes=boxes[2]['bboxes'], labels=ids),
    ]
    inputs = [paths[0], paths[1], paths[0], paths[1], paths[2]]
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint)
    out = inferencer(inputs, boxes=given, out_dir=str(tmp_path))['predictions']
    errors = [r.get('error') for r in out]
    assert 'box 1 [1, 2, 3] must be [x1, y1, x2, y2], four numbers' in \
        errors[0]
    assert 'label True of box 0 must be a class name or an id' in errors[1]
    assert 'its boxes entry is a list' in errors[2]
    assert "box 1 [1, 2, 'x', 4] must be [x1, y1, x2, y2]" in errors[3]
    assert errors[4] is None
    _check_schema(out[4], 20)
    assert [o['label'] for o in out[4]['objects']] == ids
    # a malformed image alone: its error record is written
    alone = inferencer(
        paths[0], boxes=given[:1], out_dir=str(tmp_path / 'alone'))
    stem = osp.splitext(osp.basename(paths[0]))[0]
    with open(tmp_path / 'alone' / 'preds' / f'{stem}.json') as f:
        assert json.load(f) == alone['predictions'][0]
    assert 'box 1 [1, 2, 3]' in alone['predictions'][0]['error']


def test_weak_scores_keep_significant_digits(tiny_sgg_config,
                                             tiny_sgg_checkpoint):
    inferencer = _inferencer(tiny_sgg_config, tiny_sgg_checkpoint)
    pred = SceneGraphDataSample(metainfo=dict(ori_shape=(40, 60)))
    pred.pred_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 20., 20.], [10., 10., 50., 30.]]),
        labels=torch.tensor([3, 7]),
        scores=torch.tensor([0.5, 0.25]))
    rel_scores = torch.zeros(2, 51)
    rel_scores[:, 0] = 1.
    rel_scores[0, 4] = 3.2e-8
    rel_scores[1, 9] = 1.23456789e-9
    pred.pred_relations = InstanceData(
        pairs=torch.tensor([[0, 1], [1, 0]]), scores=rel_scores)
    result = inferencer.pred2dict(InferenceInput('x.jpg', 'x.jpg', None), pred)
    scores = [(r['subject'], r['predicate_id'], r['score'])
              for r in result['relations']]
    # s_sub * s_obj * P(predicate), computed by hand
    assert scores[0][:2] == (0, 4)
    assert scores[0][2] == pytest.approx(0.5 * 0.25 * 3.2e-8, rel=1e-6)
    assert scores[1][:2] == (1, 9)
    assert scores[1][2] == pytest.approx(0.25 * 0.5 * 1.23456789e-9, rel=1e-5)
    assert str(scores[1][2]) == '1.54321e-10'


def test_sgdet_without_objects_says_so(tiny_sgg_config, tiny_sgg_checkpoint,
                                       test_images, tmp_path, monkeypatch):
    """No detection above the detector's score threshold: the log and
    both prediction panels of the picture say so."""
    paths, _ = test_images
    cfg = Config.fromfile(tiny_sgg_config)
    cfg.model.test_cfg.rcnn.score_thr = 1.5  # softmax scores are <= 1
    logged, drawn = [], []
    monkeypatch.setattr(inferencer_module, 'print_log',
                        lambda msg, **kwargs: logged.append(str(msg)))
    draw_texts = SceneGraphLocalVisualizer.draw_texts

    def record_texts(self, texts, *args, **kwargs):
        drawn.append(texts)
        return draw_texts(self, texts, *args, **kwargs)

    monkeypatch.setattr(SceneGraphLocalVisualizer, 'draw_texts', record_texts)
    inferencer = _inferencer(cfg, tiny_sgg_checkpoint, 'sgdet')
    result = inferencer(paths[0], out_dir=str(tmp_path))['predictions'][0]
    assert result['objects'] == [] and result['relations'] == []
    assert any(
        f'{paths[0]}: no object above the score threshold (model.test_cfg.'
        'rcnn.score_thr=1.5)' in m for m in logged)
    assert drawn.count('no object above the score threshold') == 2
    assert osp.isfile(tmp_path / 'vis' / osp.basename(paths[0]))
