"""Speed and memory of SceneGraphMetric on PredCls- and SGDet-size inputs.

Generates random data samples in the form the evaluator hands to
``process`` (``data_sample.to_dict()``: nested dicts of CPU tensors):

- PredCls size: 6-25 GT boxes, all ordered pairs, 1-20 GT relations.
- SGDet size: 80 detections, all 6,320 ordered pairs x 51 scores, 25 GT
  boxes, 1-20 GT relations.

It runs ``process`` (batches of 8) and ``evaluate`` on one thread and prints
images/s, the peak Python allocation (tracemalloc) and RSS growth while
processing, and the pickled size of the accumulated results per image,
extrapolated to the 26,446-image VG-150 test set. It also runs a plain-loop
re-implementation of the public benchmark's evaluator on a subset and
prints its speed and the largest difference between the two metric dicts.

SGDet inputs are 1.3 MB each, so a pool of distinct images is generated once
and cycled.

Usage::

    python benchmarks/bench_metric.py [--num-images 3000] [--seed 0]
"""
import argparse
import pickle
import time
import tracemalloc
from functools import reduce
from typing import Dict, List, Sequence

import numpy as np
import psutil
import torch
from mmengine.logging import MMLogger

from mmsgg_rde.evaluation import SceneGraphMetric, pixel_box_iou

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


def _matches(gt_triplets: np.ndarray, gt_boxes: np.ndarray,
             pred_triplets: np.ndarray, pred_boxes: np.ndarray,
             iou_thr: float) -> List[List[int]]:
    """Reference ``_compute_pred_matches``: matched GT per prediction."""
    keeps = (gt_triplets[..., None] == pred_triplets.T[None]).all(1)
    pred_to_gt: List[List[int]] = [[] for _ in range(len(pred_triplets))]
    for gt_ind in np.flatnonzero(keeps.any(1)):
        keep = keeps[gt_ind]
        sub_iou = pixel_box_iou(gt_boxes[gt_ind, None, :4],
                                pred_boxes[keep, :4])[0]
        obj_iou = pixel_box_iou(gt_boxes[gt_ind, None, 4:], pred_boxes[keep,
                                                                       4:])[0]
        ok = (sub_iou >= iou_thr) & (obj_iou >= iou_thr)
        for i in np.flatnonzero(keep)[ok]:
            pred_to_gt[i].append(int(gt_ind))
    return pred_to_gt


def _union_size(pred_to_gt: List[List[int]], k: int) -> int:
    """Number of GT relations matched by the first ``k`` predictions."""
    return len(reduce(np.union1d, pred_to_gt[:k])) if pred_to_gt else 0


def reference_evaluate(mode: str,
                       samples: Sequence[dict],
                       iou_thr: float = 0.5) -> Dict[str, float]:
    """Loop re-implementation of the public evaluator (R, ng-R, mR, A)."""
    recall = {(n, k): [] for n in ('R', 'ng-R') for k in TOPK}
    per_class = {
        (n, k): [[] for _ in range(NUM_PREDICATES + 1)]
        for n in ('mR', 'ng-mR')
        for k in TOPK
    }
    hits = {k: 0 for k in TOPK}
    total = 0
    for sample in samples:
        gt_inst, gt_rel = sample['gt_instances'], sample['gt_relations']
        pred_inst, pred_rel = sample['pred_instances'], sample[
            'pred_relations']
        gt_rels = np.column_stack(
            [gt_rel['pairs'].numpy(), gt_rel['labels'].numpy()])
        gt_boxes = gt_inst['bboxes'].numpy()
        gt_classes = gt_inst['labels'].numpy()
        pairs = pred_rel['pairs'].numpy()
        rel_scores = pred_rel['scores'].numpy()
        if mode == 'predcls':
            boxes, classes = gt_boxes, gt_classes
            obj_scores = np.ones(len(gt_classes))
        else:
            boxes = pred_inst['bboxes'].numpy()
            classes = pred_inst['labels'].numpy()
            obj_scores = pred_inst['scores'].numpy()
        gt_trip = np.column_stack([
            gt_classes[gt_rels[:, 0]], gt_rels[:, 2], gt_classes[gt_rels[:, 1]]
        ])
        gt_tboxes = np.column_stack(
            [gt_boxes[gt_rels[:, 0]], gt_boxes[gt_rels[:, 1]]])
        lists = {}
        labels = 1 + rel_scores[:, 1:].argmax(1)
        lists['R'] = (pairs, labels)
        ng = obj_scores[pairs].prod(1)[:, None] * rel_scores[:, 1:]
        flat = np.argsort(-ng.ravel(), kind='stable')[:max(TOPK)]
        rows, cols = np.unravel_index(flat, ng.shape)
        lists['ng-R'] = (pairs[rows], cols + 1)
        for name, (p, lab) in lists.items():
            trip = np.column_stack([classes[p[:, 0]], lab, classes[p[:, 1]]])
            tboxes = np.column_stack([boxes[p[:, 0]], boxes[p[:, 1]]])
            pred_to_gt = _matches(gt_trip, gt_tboxes, trip, tboxes, iou_thr)
            for k in TOPK:
                recall[name,
                       k].append(_union_size(pred_to_gt, k) / len(gt_rels))
                matched = (
                    reduce(np.union1d, pred_to_gt[:k]) if pred_to_gt else [])
                count = np.bincount(
                    gt_rels[:, 2], minlength=NUM_PREDICATES + 1)
                hit = np.bincount(
                    gt_rels[np.asarray(matched, int), 2],
                    minlength=NUM_PREDICATES + 1)
                for c in np.flatnonzero(count):
                    per_class[name.replace('R', 'mR'),
                              k][c].append(hit[c] / count[c])
            if name == 'R' and mode != 'sgdet':
                gt_pair = set(map(tuple, gt_rels[:, :2].tolist()))
                on_gt = [
                    m for m, q in zip(pred_to_gt, p.tolist())
                    if tuple(q) in gt_pair
                ]
                for k in TOPK:
                    hits[k] += _union_size(on_gt, k)
                total += len(gt_rels)
    out = {}
    for (name, k), values in recall.items():
        out[f'{mode}/{name}@{k}'] = 100 * float(np.mean(values))
    for (name, k), lists in per_class.items():
        out[f'{mode}/{name}@{k}'] = 100 * float(
            np.mean([np.mean(v) if v else 0.0 for v in lists[1:]]))
    if mode != 'sgdet':
        for k in TOPK:
            out[f'{mode}/A@{k}'] = 100 * hits[k] / total
    return out


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
        help='PredCls images for the loop reference; SGDet uses a fifth')
    args = parser.parse_args()
    torch.set_num_threads(1)
    MMLogger.get_instance('bench_metric', log_level='WARNING')
    rng = np.random.default_rng(args.seed)
    runs = (('predcls', 'predcls', args.num_images, 512,
             args.reference_images),
            ('sgdet', 'sgdet', max(args.num_images // 3,
                                   1), 24, max(args.reference_images // 5, 1)))
    for mode, size, num_images, pool_size, num_reference in runs:
        pool = make_pool(rng, size, min(pool_size, num_images))
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
        samples = [pool[i % len(pool)] for i in range(num_reference)]
        start, cpu_start = time.perf_counter(), time.process_time()
        expected = reference_evaluate(mode, samples)
        ref_wall = num_reference / (time.perf_counter() - start)
        ref_cpu = num_reference / (time.process_time() - cpu_start)
        got = run_metric(mode, samples, num_reference, trace=False)
        diff = max(
            abs(got['metrics'][key] - value)
            for key, value in expected.items())
        print(f'[{mode}] loop reference: {ref_wall:.1f} images/s wall, '
              f'{ref_cpu:.1f} images/s CPU time on '
              f'{num_reference} images; max |difference| {diff:.2e} over '
              f'{len(expected)} metrics')
        headline = {
            key: round(value, 2)
            for key, value in stats['metrics'].items() if '@100' in key
        }
        print(f'[{mode}] {headline}')


if __name__ == '__main__':
    main()
