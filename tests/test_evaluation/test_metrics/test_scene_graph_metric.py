import pickle

import numpy as np
import pytest
import torch
from mmdet.registry import METRICS
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

from mmsgg_rde.datasets.vg150_io import load_vocabulary
from mmsgg_rde.evaluation import SceneGraphMetric
from mmsgg_rde.structures import SceneGraphDataSample

B0, B1 = [0, 0, 9, 9], [20, 0, 29, 9]
B_HALF = [0, 0, 9, 4]  # IoU with B0 is exactly 0.5 (+1 convention)
B_FAR = [50, 50, 59, 59]
META = dict(classes=('c0', 'c1'), predicates=('p1', 'p2', 'p3'))
NO_REL = [1.0, 0.0, 0.0, 0.0]


def make_sample(gt_boxes,
                gt_labels,
                gt_rels,
                pred_rels,
                pred_boxes=None,
                pred_labels=None,
                pred_scores=None,
                num_predicates=3):
    """A SceneGraphDataSample; ``*_rels`` are ``(sub, obj, x)`` with x the
    GT predicate or the predicted score row."""
    sample = SceneGraphDataSample()
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor(gt_labels))
    sample.gt_relations = InstanceData(
        pairs=torch.tensor([r[:2] for r in gt_rels],
                           dtype=torch.long).reshape(-1, 2),
        labels=torch.tensor([r[2] for r in gt_rels], dtype=torch.long))
    scores = torch.tensor([r[2] for r in pred_rels],
                          dtype=torch.float32).reshape(-1, num_predicates + 1)
    sample.pred_relations = InstanceData(
        pairs=torch.tensor([r[:2] for r in pred_rels],
                           dtype=torch.long).reshape(-1, 2),
        scores=scores,
        labels=scores[:, 1:].argmax(1) +
        1 if len(scores) else torch.zeros(0, dtype=torch.long))
    if pred_boxes is not None:
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(pred_boxes, dtype=torch.float32),
            labels=torch.tensor(pred_labels),
            scores=torch.tensor(pred_scores, dtype=torch.float32))
    return sample


def predcls_samples():
    """Four PredCls images with hand-computed metrics (see the tests)."""
    # Image 1: duplicate GT pair (0, 1) with p1 and p2. Rows are given in
    # the wrong order; sorted: (0, 1) p1 0.6 then (1, 0) p1 0.3. The graph
    # constraint can recall only p1 on (0, 1); without it (0, 1) p2 0.4 is
    # second.
    image1 = make_sample([B0, B1], [0, 1], [(0, 1, 1), (0, 1, 2)],
                         [(1, 0, [0.4, 0.3, 0.0, 0.3]),
                          (0, 1, [0.0, 0.6, 0.4, 0.0])])
    # Image 2: (3, 1) p1 0.9 has the GT classes but a far box; (0, 1) p1 0.8
    # matches GT (0, 1) and, through the IoU-0.5 box 2, GT (2, 1);
    # (1, 0) p2 0.7 matches GT (1, 0). All other pairs: p1 at 0.05.
    rows = {
        (3, 1): [0.0, 0.9, 0.0, 0.0],
        (0, 1): [0.0, 0.8, 0.1, 0.0],
        (1, 0): [0.0, 0.1, 0.7, 0.0]
    }
    pairs = np.argwhere(~np.eye(4, dtype=bool)).tolist()
    image2 = make_sample([B0, B1, B_HALF, B_FAR], [0, 1, 0, 0], [(0, 1, 1),
                                                                 (2, 1, 1),
                                                                 (1, 0, 2)],
                         [(s, o, rows.get((s, o), [0.9, 0.05, 0.05, 0.0]))
                          for s, o in pairs])
    # Image 3: no GT relation; skipped whatever it predicts.
    image3 = make_sample([B0, B1], [0, 1], [], [(0, 1, [0.0, 1.0, 0.0, 0.0])])
    # Image 4: a GT relation but no predicted pair.
    image4 = make_sample([B0, B1], [0, 1], [(0, 1, 1)], [])
    return [image1, image2, image3, image4]


@pytest.fixture
def zeroshot_file(tmp_path):
    """Zero-shot list with (c0, c1, p2), 1-based."""
    path = tmp_path / 'zeroshot.npy'
    np.save(path, np.array([[1, 2, 2]]))
    return str(path)


def evaluate(metric, samples, as_dict=True):
    metric.dataset_meta = META
    metric.process({}, [s.to_dict() if as_dict else s for s in samples])
    return metric.evaluate(len(samples))


@pytest.mark.parametrize('as_dict', [True, False])
def test_predcls_hand_computed(zeroshot_file, as_dict):
    metric = SceneGraphMetric(
        mode='predcls', topk=(1, 3), zeroshot_file=zeroshot_file)
    got = evaluate(metric, predcls_samples(), as_dict)
    # Images 3 (no GT) and 4 (no prediction) are skipped. Ranks of the
    # first match: image 1 graph [0, -], ng [0, 1], on GT pairs [0, -];
    # image 2 graph [1, 1, 2], ng [1, 1, 2], on GT pairs [0, 0, 1].
    expected = {
        'R@1': (1 / 2 + 0) / 2 * 100,
        'R@3': (1 / 2 + 1) / 2 * 100,
        # p1: images 1/1 and 0/2 -> 0.5, p2: 0 and 0, p3 never occurs;
        # a dataset-level ratio would give p1 1/3 and mR@1 1/9 instead
        'mR@1': (0.5 + 0 + 0) / 3 * 100,
        # p1: 1 and 1, p2: 0 and 1
        'mR@3': (1 + 0.5 + 0) / 3 * 100,
        'F@1': 20.0,  # 2 * 0.25 * (1/6) / (0.25 + 1/6)
        'F@3': 60.0,  # 2 * 0.75 * 0.5 / 1.25
        'ng-R@1': 25.0,
        'ng-R@3': 100.0,
        'ng-mR@1': (0.5 + 0 + 0) / 3 * 100,
        'ng-mR@3': (1 + 1 + 0) / 3 * 100,
        # only image 1's (0, 1) p2 is zero-shot
        'zR@1': 0.0,
        'zR@3': 0.0,
        'ng-zR@1': 0.0,
        'ng-zR@3': 100.0,
        'A@1': (1 + 2) / (2 + 3) * 100,
        'A@3': (1 + 3) / (2 + 3) * 100,
    }
    assert list(got) == [
        f'predcls/{name}@{k}'
        for name in ('R', 'mR', 'F', 'ng-R', 'ng-mR', 'zR', 'ng-zR', 'A')
        for k in (1, 3)
    ]
    for name, value in expected.items():
        assert got[f'predcls/{name}'] == pytest.approx(value), name


def test_empty_predictions_can_count_as_misses(zeroshot_file):
    metric = SceneGraphMetric(
        mode='predcls',
        topk=(1, 3),
        zeroshot_file=zeroshot_file,
        skip_empty_predictions=False)
    got = evaluate(metric, predcls_samples())
    # image 4 now counts with its one p1 relation missed
    assert got['predcls/R@1'] == pytest.approx((1 / 2 + 0 + 0) / 3 * 100)
    assert got['predcls/R@3'] == pytest.approx((1 / 2 + 1 + 0) / 3 * 100)
    assert got['predcls/mR@1'] == pytest.approx((1 / 3) / 3 * 100)
    assert got['predcls/mR@3'] == pytest.approx((2 / 3 + 1 / 2) / 3 * 100)
    assert got['predcls/A@1'] == pytest.approx(3 / 6 * 100)
    assert got['predcls/ng-zR@3'] == pytest.approx(100.0)


def test_images_without_gt_relations_are_skipped(zeroshot_file):
    samples = predcls_samples()
    metric = SceneGraphMetric(
        mode='predcls', topk=(1, 3), zeroshot_file=zeroshot_file)
    with_image3 = evaluate(metric, samples)
    metric = SceneGraphMetric(
        mode='predcls', topk=(1, 3), zeroshot_file=zeroshot_file)
    without_image3 = evaluate(metric, samples[:2] + samples[3:])
    assert with_image3 == without_image3


def sgcls_sample():
    # Box 2 is misclassified (c1 for c0); object scores weigh the pairs.
    return make_sample([B0, B1, [30, 0, 39, 9]], [0, 1, 0], [(0, 1, 1),
                                                             (2, 1, 1)],
                       [(0, 1, [0.0, 0.8, 0.2, 0.0]),
                        (2, 1, [0.0, 0.9, 0.1, 0.0]),
                        (1, 2, [0.0, 0.0, 0.6, 0.4])],
                       pred_boxes=[B0, B1, [30, 0, 39, 9]],
                       pred_labels=[0, 1, 1],
                       pred_scores=[1.0, 0.5, 1.0])


def test_sgcls_uses_predicted_labels_and_scores():
    metric = SceneGraphMetric(mode='sgcls', topk=(1, 2), zeroshot_file=None)
    got = evaluate(metric, [sgcls_sample()])
    # triplet scores: (2, 1) 0.9 * 1 * 0.5 = 0.45 (wrong subject class),
    # (0, 1) 0.8 * 1 * 0.5 = 0.4 (hit), (1, 2) 0.6 * 0.5 * 1 = 0.3
    assert got['sgcls/R@1'] == 0.0
    assert got['sgcls/R@2'] == 50.0
    assert got['sgcls/A@1'] == 0.0
    assert got['sgcls/A@2'] == 50.0
    assert not any('zR' in key for key in got)


def test_predcls_uses_gt_objects_with_unit_scores():
    metric = SceneGraphMetric(mode='predcls', topk=(1, 2), zeroshot_file=None)
    got = evaluate(metric, [sgcls_sample()])
    # GT labels and scores 1: (2, 1) 0.9 and (0, 1) 0.8 both hit
    assert got['predcls/R@1'] == 50.0
    assert got['predcls/R@2'] == 100.0


def test_sgdet_iou_threshold_and_no_accuracy():
    sample = make_sample([B0, B1], [0, 1], [(0, 1, 1)],
                         [(0, 1, [0.0, 0.6, 0.4, 0.0]),
                          (2, 1, [0.0, 0.5, 0.5, 0.0]), (1, 0, NO_REL)],
                         pred_boxes=[B_HALF, B1, [0, 0, 9, 3]],
                         pred_labels=[0, 1, 0],
                         pred_scores=[0.5, 1.0, 1.0])
    metric = SceneGraphMetric(mode='sgdet', topk=(1, 2), zeroshot_file=None)
    got = evaluate(metric, [sample])
    # (2, 1) p1 0.5 first, but its subject box has IoU 0.4 with GT box 0;
    # (0, 1) p1 0.3 second, subject IoU exactly 0.5: a match
    assert got['sgdet/R@1'] == 0.0
    assert got['sgdet/R@2'] == 100.0
    assert got['sgdet/mR@2'] == pytest.approx(100 / 3)
    assert not any('A@' in key for key in got)


def test_build_from_config_with_dataset_meta():
    metric = METRICS.build(dict(type='SceneGraphMetric', mode='predcls'))
    assert isinstance(metric, SceneGraphMetric)
    metric.dataset_meta = load_vocabulary()
    # (man, wearing, shirt)-like relation among 149/150 classes, pred 50
    sample = make_sample([B0, B1], [148, 149],
                         [(0, 1, 50)], [(0, 1, [0.0] * 50 + [1.0]),
                                        (1, 0, [1.0] + [0.0] * 50)],
                         num_predicates=50)
    metric.process({}, [sample.to_dict()])
    got = metric.evaluate(1)
    families = ('R', 'mR', 'F', 'ng-R', 'ng-mR', 'zR', 'ng-zR', 'A')
    assert set(got) == {
        f'predcls/{name}@{k}'
        for name in families
        for k in (20, 50, 100)
    }
    assert got['predcls/R@20'] == 100.0
    assert got['predcls/mR@100'] == pytest.approx(100 / 50)
    assert got['predcls/A@50'] == 100.0


def test_vocabulary_fallback_without_dataset_meta():
    metric = SceneGraphMetric(mode='predcls', topk=(5, ))
    sample = make_sample([B0, B1], [0, 1], [(0, 1, 3)],
                         [(0, 1, [0.0, 0.0, 0.0, 1.0] + [0.0] * 47)],
                         num_predicates=50)
    metric.process({}, [sample])
    got = metric.evaluate(1)
    assert got['predcls/mR@5'] == pytest.approx(100 / 50)


def test_results_do_not_grow_with_predictions():
    gt = dict(
        gt_boxes=[B0, B1, B_HALF],
        gt_labels=[0, 1, 0],
        gt_rels=[(0, 1, 1), (2, 1, 2)])
    rng = np.random.default_rng(0)
    boxes = (rng.random((80, 4)) * 50).cumsum(1).tolist()
    pairs = np.argwhere(~np.eye(80, dtype=bool)).tolist()
    big = make_sample(
        **gt,
        pred_rels=[(s, o, rng.random(4).tolist()) for s, o in pairs],
        pred_boxes=boxes,
        pred_labels=rng.integers(0, 2, 80).tolist(),
        pred_scores=rng.random(80).tolist())
    small = make_sample(
        **gt,
        pred_rels=[(0, 1, [0.0, 1.0, 0.0, 0.0])],
        pred_boxes=boxes[:2],
        pred_labels=[0, 1],
        pred_scores=[1.0, 1.0])
    metric = SceneGraphMetric(mode='sgdet')
    metric.process({}, [big.to_dict(), small.to_dict()])
    big_record, small_record = metric.results
    assert len(pickle.dumps(big_record)) == len(pickle.dumps(small_record))
    assert big_record.nbytes < 100


def test_logs_per_predicate_table(capsys):
    MMLogger.get_instance('test_scene_graph_metric_table')
    metric = SceneGraphMetric(mode='predcls', topk=(1, 3), zeroshot_file=None)
    metric.dataset_meta = dict(META, predicate_counts=[10, 30, 20])
    metric.process({}, predcls_samples())
    metric.evaluate(4)
    out = capsys.readouterr().out
    # p2 is the most frequent (head), then p3 (body), p1 (tail)
    assert '| p1        | tail  | 3   | 50.00 | 100.00 |' in out
    assert '| p2        | head  | 2   | 0.00  | 50.00  |' in out
    assert '| tail  | 1           | 50.00 | 100.00 |' in out


def test_group_metrics_are_returned_on_request():
    metric = SceneGraphMetric(
        mode='predcls', topk=(1, 3), zeroshot_file=None, group_metrics=True)
    metric.dataset_meta = dict(META, predicate_counts=[10, 30, 20])
    metric.process({}, predcls_samples())
    got = metric.evaluate(4)
    # One predicate per group here (p2 head, p3 body, p1 tail): the group
    # means are the per-predicate recalls of the logged table.
    assert got['predcls/tail-mR@1'] == pytest.approx(50.0)
    assert got['predcls/tail-mR@3'] == pytest.approx(100.0)
    assert got['predcls/head-mR@1'] == pytest.approx(0.0)
    assert got['predcls/head-mR@3'] == pytest.approx(50.0)
    assert 'predcls/body-mR@3' in got


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='mode'):
        SceneGraphMetric(mode='phrdet')
    with pytest.raises(ValueError, match='topk'):
        SceneGraphMetric(mode='sgdet', topk=(0, 20))
    bad = tmp_path / 'bad.npy'
    np.save(bad, np.zeros((4, 2), dtype=np.int64))
    with pytest.raises(ValueError, match='bad.npy'):
        SceneGraphMetric(mode='sgdet', zeroshot_file=str(bad))
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        SceneGraphMetric(
            mode='sgdet', zeroshot_file=str(tmp_path / 'missing.npy'))


def test_bad_data_samples():
    metric = SceneGraphMetric(mode='sgcls')
    sample = sgcls_sample()
    del sample.pred_instances
    with pytest.raises(KeyError, match='pred_instances'):
        metric.process({}, [sample.to_dict()])
    sample = sgcls_sample().to_dict()
    sample['pred_relations']['scores'] = sample['pred_relations']['scores'][1:]
    with pytest.raises(ValueError, match='pred_relations.scores'):
        metric.process({}, [sample])
    metric = SceneGraphMetric(mode='predcls')
    sample = sgcls_sample().to_dict()
    sample['pred_instances']['bboxes'] = sample['pred_instances']['bboxes'][1:]
    with pytest.raises(ValueError, match='predcls'):
        metric.process({}, [sample])
