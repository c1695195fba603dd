"""Speed and memory of SceneGraphMetric on PredCls- and SGDet-size inputs.

Generates random data samples in the form the evaluator hands to
``process`` (``data_sample.to_dict()``: nested dicts of CPU tensors):

- PredCls size: 6-25 GT boxes, all ordered pairs, 1-20 GT relations.
- SGDet size: 80 detections, all 6,320 ordered pairs x 51 scores, 25 GT
  boxes, 1-20 GT relations.

It runs ``process`` (batches of 8) and ``evaluate`` on one thread and prints
images/s, the peak Python allocation (tracemalloc) and RSS growth while
processing, and the pickled size of the accumulated results per image,
extrapolated to the 26,446-image VG-150 test set. When a checkout of the
scene graph benchmark is present (``--sgb-root``, default ``$SGB_ROOT`` or
``/work/sgb``), it also runs the benchmark's own evaluator (its
``evaluate_relation_of_one_image`` and ``sgg_eval.py`` classes, imported with
``tools/parity/sgb_env.py``) on a subset, in this process, and prints both
speeds (CPU time on the same images), their ratio and the largest
difference between the two metric dicts.

SGDet inputs are 1.3 MB each, so a pool of distinct images is generated once
and cycled.

Usage::

    python benchmarks/bench_metric.py [--num-images 3000] [--seed 0]
"""
import argparse
import os
import os.path as osp
import pickle
import sys
import time
import tracemalloc
from typing import Dict, List, Sequence, Tuple

import numpy as np
import psutil
import torch
from mmengine.logging import MMLogger

from mmsgg_rde.datasets.vg150_io import DEFAULT_ZEROSHOT_FILE
from mmsgg_rde.evaluation import SceneGraphMetric

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

TEST_SET_IMAGES = 26446
NUM_CLASSES = 150
NUM_PREDICATES = 50
BATCH_SIZE = 8
TOPK = (20, 50, 100)
GT_BOOST = 4.0


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random xyxy boxes in a 1024 x 768 image."""
    xy = rng.uniform(0, 700, (n, 2))
    wh = rng.uniform(16, 320, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


def random_sample(rng: np.random.Generator, num_gt: int, num_det: int) -> dict:
    """One data sample dict; ``num_det == 0`` means PredCls (GT objects)."""
    gt_boxes = random_boxes(rng, num_gt)
    gt_labels = rng.integers(0, NUM_CLASSES, num_gt)
    num_rels = int(rng.integers(1, 21))
    sub = rng.integers(0, num_gt, num_rels)
    obj = (sub + rng.integers(1, num_gt, num_rels)) % num_gt
    predicates = rng.integers(1, NUM_PREDICATES + 1, num_rels)
    if num_det:
        src = rng.integers(0, num_gt, num_det)
        boxes = gt_boxes[src] + rng.normal(0, 8,
                                           (num_det, 4)).astype(np.float32)
        labels = np.where(
            rng.random(num_det) < 0.6, gt_labels[src],
            rng.integers(0, NUM_CLASSES, num_det))
        scores = rng.random(num_det).astype(np.float32)
    else:
        boxes, labels = gt_boxes, gt_labels
        scores = np.ones(num_gt, dtype=np.float32)
    num_obj = boxes.shape[0]
    pairs = np.argwhere(~np.eye(num_obj, dtype=bool))
    logits = rng.normal(0, 2, (pairs.shape[0], NUM_PREDICATES + 1))
    # make the GT predicate likelier on pairs of the GT objects (or of
    # detections made from them) so that some relations are recalled
    origin = src[pairs] if num_det else pairs
    on_gt = (origin[:, None, 0] == sub) & (origin[:, None, 1] == obj)
    rows, rels = np.nonzero(on_gt)
    logits[rows, predicates[rels]] += GT_BOOST
    rel_scores = torch.softmax(torch.from_numpy(logits).float(), dim=1)
    fg = rel_scores[:, 1:]
    triplet = (
        fg.max(1).values * torch.from_numpy(scores[pairs[:, 0]]) *
        torch.from_numpy(scores[pairs[:, 1]]))
    order = torch.argsort(triplet, descending=True, stable=True)
    return dict(
        gt_instances=dict(
            bboxes=torch.from_numpy(gt_boxes),
            labels=torch.from_numpy(gt_labels)),
        gt_relations=dict(
            pairs=torch.from_numpy(np.stack([sub, obj], axis=1)),
            labels=torch.from_numpy(predicates)),
        pred_instances=dict(
            bboxes=torch.from_numpy(boxes),
            labels=torch.from_numpy(labels),
            scores=torch.from_numpy(scores)),
        pred_relations=dict(
            pairs=torch.from_numpy(pairs)[order],
            scores=rel_scores[order],
            labels=fg[order].argmax(1) + 1))


def make_pool(rng: np.random.Generator, size: str, n: int) -> List[dict]:
    """``n`` distinct samples of the given size."""
    if size == 'predcls':
        return [
            random_sample(rng, int(rng.integers(6, 26)), 0) for _ in range(n)
        ]
    return [random_sample(rng, 25, 80) for _ in range(n)]


def run_metric(mode: str, pool: Sequence[dict], num_images: int,
               trace: bool) -> Dict[str, float]:
    """Process ``num_images`` samples (cycling ``pool``) and evaluate."""
    metric = SceneGraphMetric(mode=mode, topk=TOPK)
    rss = psutil.Process().memory_info().rss
    if trace:
        tracemalloc.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    for first in range(0, num_images, BATCH_SIZE):
        batch = [
            pool[i % len(pool)]
            for i in range(first, min(first + BATCH_SIZE, num_images))
        ]
        metric.process({}, batch)
    results_bytes = len(pickle.dumps(metric.results))
    metrics = metric.evaluate(num_images)
    stats = dict(
        seconds=time.perf_counter() - start,
        cpu_seconds=time.process_time() - cpu_start,
        rss_mb=(psutil.Process().memory_info().rss - rss) / 2**20,
        results_bytes=results_bytes,
        metrics=metrics)
    if trace:
        stats['traced_peak_mb'] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return stats


def _benchmark_inputs(mode: str, sample: dict) -> Tuple[object, object]:
    """A sample as the benchmark's (groundtruth, prediction) BoxLists."""
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    gt_inst, gt_rel = sample['gt_instances'], sample['gt_relations']
    pred_inst, pred_rel = sample['pred_instances'], sample['pred_relations']
    image_size = (1024, 768)
    groundtruth = BoxList(gt_inst['bboxes'], image_size, 'xyxy')
    # Its class ids are 1-based (0 is background).
    groundtruth.add_field('labels', gt_inst['labels'] + 1)
    groundtruth.add_field(
        'relation_tuple',
        torch.cat([gt_rel['pairs'], gt_rel['labels'][:, None]], dim=1))
    if mode == 'predcls':
        boxes, labels = gt_inst['bboxes'], gt_inst['labels']
        scores = torch.ones(len(labels))
    else:
        boxes, labels = pred_inst['bboxes'], pred_inst['labels']
        scores = pred_inst['scores']
    prediction = BoxList(boxes, image_size, 'xyxy')
    prediction.add_field('pred_labels', labels + 1)
    prediction.add_field('pred_scores', scores)
    prediction.add_field('rel_pair_idxs', pred_rel['pairs'])
    prediction.add_field('pred_rel_scores', pred_rel['scores'])
    return groundtruth, prediction


def benchmark_evaluate(mode: str, samples: Sequence[dict],
                       sgb_root: str) -> Tuple[Dict[str, float], float]:
    """The benchmark's own evaluator (``sgg_eval.py``) on ``samples``.

    Returns:
        tuple: Metrics named like ours, and the CPU seconds of its
        per-image evaluation plus its mean recall aggregation.
    """
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'parity'))
    from sgb_env import activate
    activate(sgb_root)
    from maskrcnn_benchmark.data.datasets.evaluation.vg import sgg_eval
    from maskrcnn_benchmark.data.datasets.evaluation.vg.vg_eval import \
        evaluate_relation_of_one_image
    inputs = [_benchmark_inputs(mode, s) for s in samples]
    names = ['__background__'] + [f'p{i}' for i in range(NUM_PREDICATES)]
    result_dict: dict = {}
    evaluator = dict(
        eval_recall=sgg_eval.SGRecall(result_dict),
        eval_nog_recall=sgg_eval.SGNoGraphConstraintRecall(result_dict),
        eval_zeroshot_recall=sgg_eval.SGZeroShotRecall(result_dict),
        eval_ng_zeroshot_recall=sgg_eval.SGNGZeroShotRecall(result_dict),
        eval_pair_accuracy=sgg_eval.SGPairAccuracy(result_dict),
        eval_mean_recall=sgg_eval.SGMeanRecall(result_dict, NUM_PREDICATES + 1,
                                               names),
        eval_ng_mean_recall=sgg_eval.SGNGMeanRecall(result_dict,
                                                    NUM_PREDICATES + 1, names))
    for part in evaluator.values():
        part.register_container(mode)
    global_container = dict(
        zeroshot_triplet=np.load(DEFAULT_ZEROSHOT_FILE),
        result_dict=result_dict,
        mode=mode,
        multiple_preds=False,
        num_rel_category=NUM_PREDICATES + 1,
        iou_thres=0.5,
        attribute_on=False,
        num_attributes=201)
    start = time.process_time()
    for groundtruth, prediction in inputs:
        evaluate_relation_of_one_image(groundtruth, prediction,
                                       global_container, evaluator)
    evaluator['eval_mean_recall'].calculate_mean_recall(mode)
    evaluator['eval_ng_mean_recall'].calculate_mean_recall(mode)
    seconds = time.process_time() - start
    out = {}
    families = dict(
        R='recall', mR='mean_recall', zR='zeroshot_recall', A='accuracy_hit')
    for k in TOPK:
        for name, key in families.items():
            for ng, ng_key in (('', ''), ('ng-', 'ng_')):
                if name == 'A' and (ng or mode == 'sgdet'):
                    continue
                if name == 'R' and ng:
                    field = f'{mode}_recall_nogc'
                else:
                    field = f'{mode}_{ng_key}{key}'
                values = result_dict[field][k]
                if name == 'A':
                    value = np.sum(values) / np.sum(
                        result_dict[f'{mode}_accuracy_count'][k])
                else:
                    value = np.mean(values)
                out[f'{mode}/{ng}{name}@{k}'] = 100 * float(value)
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--num-images',
        type=int,
        default=3000,
        help='PredCls images; SGDet uses a third of it')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--reference-images',
        type=int,
        default=150,
        help='PredCls images for the side-by-side run with the benchmark\'s '
        'evaluator; SGDet uses a fifth')
    parser.add_argument(
        '--sgb-root',
        default=os.environ.get('SGB_ROOT', '/work/sgb'),
        help='checkout of the scene graph benchmark (its evaluator is run '
        'side by side when present)')
    args = parser.parse_args()
    torch.set_num_threads(1)
    MMLogger.get_instance('bench_metric', log_level='WARNING')
    rng = np.random.default_rng(args.seed)
    runs = (('predcls', args.num_images, 512, args.reference_images),
            ('sgdet', max(args.num_images // 3,
                          1), 24, max(args.reference_images // 5, 1)))
    with_benchmark = osp.isfile(
        osp.join(args.sgb_root, 'maskrcnn_benchmark', '__init__.py'))
    for mode, num_images, pool_size, num_reference in runs:
        pool = make_pool(rng, mode, min(pool_size, num_images))
        stats = run_metric(mode, pool, num_images, trace=False)
        traced = run_metric(mode, pool, min(num_images, 300), trace=True)
        per_image = stats['results_bytes'] / num_images
        print(f'[{mode}] {num_images} images: '
              f'{num_images / stats["seconds"]:.0f} images/s wall, '
              f'{num_images / stats["cpu_seconds"]:.0f} images/s CPU time '
              '(process + evaluate, 1 thread)')
        print(f'[{mode}] results: {per_image:.0f} B/image pickled, '
              f'{per_image * TEST_SET_IMAGES / 2**20:.1f} MB for '
              f'{TEST_SET_IMAGES} images; RSS growth '
              f'{stats["rss_mb"]:.1f} MB; traced Python peak '
              f'{traced["traced_peak_mb"]:.2f} MB over 300 images')
        headline = {
            key: round(value, 2)
            for key, value in stats['metrics'].items() if '@100' in key
        }
        print(f'[{mode}] {headline}')
        if not with_benchmark:
            print(f'[{mode}] no benchmark checkout at {args.sgb_root}: '
                  'side-by-side run skipped (--sgb-root)')
            continue
        samples = [pool[i % len(pool)] for i in range(num_reference)]
        expected, ref_seconds = benchmark_evaluate(mode, samples,
                                                   args.sgb_root)
        got = run_metric(mode, samples, num_reference, trace=False)
        # The benchmark averages an empty list (nan) where no image has a
        # zero-shot relation; ours reports 0 there.
        diff = max(
            abs(got['metrics'][key] - np.nan_to_num(value))
            for key, value in expected.items())
        print(f'[{mode}] benchmark evaluator: '
              f'{num_reference / ref_seconds:.1f} images/s CPU time, ours '
              f'{num_reference / got["cpu_seconds"]:.0f} on the same '
              f'{num_reference} images: {ref_seconds / got["cpu_seconds"]:.1f}'
              f'x faster; max |difference| {diff:.2e} over '
              f'{len(expected)} metrics')


if __name__ == '__main__':
    main()
