"""Results files: compaction keeps every metric, offline = online."""
import numpy as np
import pytest
import torch
from mmengine.fileio import dump

from mmsgg_rde.datasets import load_vocabulary
from mmsgg_rde.evaluation import (DumpSceneGraphResults, SceneGraphMetric,
                                  evaluate_scene_graph_results,
                                  load_scene_graph_results,
                                  predicate_confusion_matrix,
                                  predicate_recalls)

NUM_PREDICATES = 50


def random_sample(rng, mode):
    """A data sample dict with coarse (tied) scores and some hits."""
    num_gt = int(rng.integers(4, 12))
    xy = rng.uniform(0, 200, (num_gt, 2))
    gt_boxes = np.concatenate([xy, xy + rng.uniform(10, 80, (num_gt, 2))],
                              1).astype(np.float32)
    gt_labels = rng.integers(0, 5, num_gt)
    num_rels = int(rng.integers(1, 8))
    sub = rng.integers(0, num_gt, num_rels)
    obj = (sub + rng.integers(1, num_gt, num_rels)) % num_gt
    predicates = rng.integers(1, 6, num_rels)
    if mode == 'sgdet':
        src = rng.integers(0, num_gt, 30)
        boxes = gt_boxes[src] + rng.normal(0, 2, (30, 4)).astype(np.float32)
        labels, scores = gt_labels[src], np.round(rng.random(30), 1)
    else:
        src, boxes, labels = np.arange(num_gt), gt_boxes, gt_labels
        scores = np.ones(num_gt) if mode == 'predcls' else np.round(
            rng.random(num_gt), 1)
    pairs = np.argwhere(~np.eye(len(boxes), dtype=bool))
    rel_scores = np.round(rng.random((len(pairs), NUM_PREDICATES + 1)), 1)
    on_gt = (src[pairs[:, 0], None] == sub) & (src[pairs[:, 1], None] == obj)
    rows, rels = np.nonzero(on_gt)
    rel_scores[rows, predicates[rels]] += rng.random(len(rows)) > 0.3
    rel_scores = torch.from_numpy(rel_scores /
                                  rel_scores.sum(1, keepdims=True)).float()
    return dict(
        img_id=int(rng.integers(1e6)),
        gt_instances=dict(
            bboxes=torch.from_numpy(gt_boxes),
            labels=torch.from_numpy(gt_labels)),
        gt_relations=dict(
            pairs=torch.from_numpy(np.stack([sub, obj], 1)),
            labels=torch.from_numpy(predicates)),
        pred_instances=dict(
            bboxes=torch.from_numpy(boxes),
            labels=torch.from_numpy(labels),
            scores=torch.from_numpy(scores).float()),
        pred_relations=dict(
            pairs=torch.from_numpy(pairs),
            scores=rel_scores,
            labels=rel_scores[:, 1:].argmax(1) + 1))


def _metric(mode, topk=(20, 50, 100)):
    metric = SceneGraphMetric(mode=mode, topk=topk)
    metric.dataset_meta = load_vocabulary()
    return metric


@pytest.mark.parametrize('mode', ['predcls', 'sgcls', 'sgdet'])
def test_compact_samples_give_the_same_records(mode):
    rng = np.random.default_rng(0)
    dumper = DumpSceneGraphResults('x.pkl', mode=mode, num_relations=20)
    metric = _metric(mode, topk=(1, 5, 20))
    kept = total = 0
    for _ in range(40):
        sample = random_sample(rng, mode)
        compact = dumper.compact(sample)
        kept += len(compact['pred_relations']['pairs'])
        total += len(sample['pred_relations']['pairs'])
        np.testing.assert_array_equal(
            metric.image_records(compact), metric.image_records(sample))
        assert set(compact) == set(sample)
    assert kept < total / 2


@pytest.mark.parametrize('mode', ['predcls', 'sgdet'])
def test_results_file_evaluates_as_online(mode, tmp_path):
    rng = np.random.default_rng(1)
    samples = [random_sample(rng, mode) for _ in range(30)]
    online = _metric(mode)
    online.process({}, samples)
    expected = online.evaluate(len(samples))

    path = str(tmp_path / 'results.pkl')
    dumper = DumpSceneGraphResults(path, mode=mode)
    dumper.dataset_meta = load_vocabulary()
    dumper.process({}, samples)
    dumper.evaluate(len(samples))
    data = load_scene_graph_results(path)
    assert data['mode'] == mode and data['num_relations'] == 100
    assert len(data['results']) == len(samples)
    assert data['dataset_meta']['predicates'][30] == 'on'
    assert evaluate_scene_graph_results(data) == expected
    assert evaluate_scene_graph_results(
        data, [dict(type='SceneGraphMetric', mode=mode)]) == expected

    recalls, counts = predicate_recalls(data, k=50)
    assert recalls.shape == counts.shape == (NUM_PREDICATES, )
    assert 100 * recalls.mean() == pytest.approx(expected[f'{mode}/mR@50'])
    assert counts.sum() == sum(
        len(s['gt_relations']['labels']) for s in samples)
    matrix = predicate_confusion_matrix(data)
    assert matrix.shape == (NUM_PREDICATES, NUM_PREDICATES + 1)
    np.testing.assert_array_equal(matrix.sum(1), counts)


def test_results_file_errors(tmp_path):
    rng = np.random.default_rng(2)
    path = str(tmp_path / 'results.pkl')
    dumper = DumpSceneGraphResults(path, mode='predcls', num_relations=50)
    dumper.process({}, [random_sample(rng, 'predcls')])
    with pytest.raises(ValueError, match='dataset_meta needs "classes"'):
        dumper.evaluate(1)
    dumper.dataset_meta = load_vocabulary()
    dumper.evaluate(1)
    data = load_scene_graph_results(path)
    with pytest.raises(ValueError, match='up to K = 50; the evaluator asks'):
        evaluate_scene_graph_results(data)
    with pytest.raises(ValueError, match='sgdet mode but the results are'):
        evaluate_scene_graph_results(
            data, dict(type='SceneGraphMetric', mode='sgdet', topk=[20]))
    with pytest.raises(ValueError, match='relations up to K = 50, not 100'):
        predicate_recalls(data, k=100)
    dump([1, 2], str(tmp_path / 'list.pkl'))
    with pytest.raises(ValueError, match='not a scene graph results file'):
        load_scene_graph_results(str(tmp_path / 'list.pkl'))
    with pytest.raises(FileNotFoundError, match='nothing.pkl'):
        load_scene_graph_results(str(tmp_path / 'nothing.pkl'))
    with pytest.raises(ValueError, match='num_relations must be positive'):
        DumpSceneGraphResults(path, mode='predcls', num_relations=0)
