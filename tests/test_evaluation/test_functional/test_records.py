import numpy as np

from mmsgg_rde.evaluation.functional import (NO_MATCH, RECORD_DTYPE, GTGraph,
                                             PredGraph, build_image_records,
                                             encode_triplets, isin_sorted,
                                             pixel_box_iou)

BOXES = np.array(
    [
        [0, 0, 9, 9],
        [20, 0, 29, 9],
        [0, 0, 9, 4],  # IoU with box 0 is exactly 0.5
        [50, 50, 59, 59],  # overlaps nothing
    ],
    dtype=np.float32)
LABELS = np.array([0, 1, 0, 0])


def _all_pairs(n):
    return np.argwhere(~np.eye(n, dtype=bool))


def _predcls_image():
    """GT: (0 -> 1, p1), (2 -> 1, p1), (1 -> 0, p2); 3 predicates."""
    gt = GTGraph(BOXES, LABELS, np.array([[0, 1], [2, 1], [1, 0]]),
                 np.array([1, 1, 2]))
    pairs = _all_pairs(4)
    rel_scores = np.tile(
        np.array([0.9, 0.05, 0.05, 0.0], dtype=np.float32), (12, 1))
    rows = {tuple(p): i for i, p in enumerate(pairs.tolist())}
    rel_scores[rows[3, 1]] = [0.0, 0.9, 0.0, 0.0]  # right classes, far box
    rel_scores[rows[0, 1]] = [0.0, 0.8, 0.1, 0.0]
    rel_scores[rows[1, 0]] = [0.0, 0.1, 0.7, 0.0]
    pred = PredGraph(BOXES, LABELS, np.ones(4, dtype=np.float32), pairs,
                     rel_scores)
    return gt, pred


def test_records_hand_computed():
    gt, pred = _predcls_image()
    zeroshot = np.array([False, False, True])
    records = build_image_records(
        gt, pred, topk=100, iou_thr=0.5, zeroshot=zeroshot)
    assert records.dtype == RECORD_DTYPE
    np.testing.assert_array_equal(records['predicate'], [1, 1, 2])
    np.testing.assert_array_equal(records['zeroshot'], zeroshot)
    # graph constraint: (3, 1) 0.9 misses (IoU 0 with GT boxes), (0, 1) 0.8
    # matches GT 0 and, through the IoU-0.5 box 2, GT 1; (1, 0) 0.7 GT 2
    np.testing.assert_array_equal(records['rank'], [1, 1, 2])
    # no graph constraint: 0.9, 0.8, 0.7 come first in the same order
    np.testing.assert_array_equal(records['ng_rank'], [1, 1, 2])
    # on GT pairs only: (0, 1) 0.8, (1, 0) 0.7, then (2, 1) with p1 0.05
    np.testing.assert_array_equal(records['pair_rank'], [0, 0, 1])


def test_records_topk_and_threshold():
    gt, pred = _predcls_image()
    records = build_image_records(gt, pred, topk=2, iou_thr=0.5)
    np.testing.assert_array_equal(records['rank'], [1, 1, NO_MATCH])
    assert not records['zeroshot'].any()
    # a stricter threshold drops the match through box 2; GT 1 is then
    # found by its own pair (2, 1), 6th of the 0.05 rows in row order
    records = build_image_records(gt, pred, topk=100, iou_thr=0.51)
    np.testing.assert_array_equal(records['rank'], [1, 8, 2])
    records = build_image_records(gt, pred, 100, 0.5, with_pair_accuracy=False)
    assert (records['pair_rank'] == NO_MATCH).all()


def test_no_predictions():
    gt, pred = _predcls_image()
    empty = pred._replace(
        pairs=np.zeros((0, 2), dtype=np.int64),
        rel_scores=np.zeros((0, 4), dtype=np.float32))
    records = build_image_records(gt, empty, topk=100, iou_thr=0.5)
    for field in ('rank', 'ng_rank', 'pair_rank'):
        assert (records[field] == NO_MATCH).all()


def test_record_size_does_not_depend_on_predictions():
    gt, pred = _predcls_image()
    rng = np.random.default_rng(0)
    boxes = np.concatenate([BOXES, BOXES[:1] + rng.random((76, 4)) * 5])
    pairs = _all_pairs(80)
    big = PredGraph(boxes, rng.integers(0, 2, 80), rng.random(80), pairs,
                    rng.random((pairs.shape[0], 4)).astype(np.float32))
    small = build_image_records(gt, pred, 100, 0.5)
    large = build_image_records(gt, big, 100, 0.5)
    assert small.nbytes == large.nbytes == 3 * RECORD_DTYPE.itemsize


def test_triplet_keys_and_membership():
    keys = np.unique(encode_triplets([1, 1, 150], [2, 22, 1], [2, 22, 50]))
    query = encode_triplets([1, 2, 150, 1], [2, 1, 1, 22], [2, 2, 50, 21])
    np.testing.assert_array_equal(
        isin_sorted(query, keys), [True, False, True, False])
    assert not isin_sorted(query, keys[:0]).any()


def _naive_records(gt, pred, topk, iou_thr):
    """Ranks from full sorts and a full argmax, as the benchmark ranks."""
    fg = pred.rel_scores[:, 1:]
    obj = pred.scores[pred.pairs[:, 0]] * pred.scores[pred.pairs[:, 1]]
    triplet = fg.max(1) * pred.scores[pred.pairs[:, 0]] * pred.scores[
        pred.pairs[:, 1]]
    order = np.argsort(-triplet, kind='stable')[:topk]
    gc = (pred.pairs[order], fg.argmax(1)[order] + 1)
    flat = np.argsort(-(obj[:, None] * fg).ravel(), kind='stable')[:topk]
    ng = (pred.pairs[flat // fg.shape[1]], flat % fg.shape[1] + 1)
    match = pixel_box_iou(gt.bboxes, pred.bboxes) >= iou_thr
    ranks = []
    for pairs, predicates in (gc, ng):
        hit = ((gt.labels[gt.pairs[:, None, 0]] == pred.labels[pairs[:, 0]])
               & (gt.labels[gt.pairs[:, None, 1]] == pred.labels[pairs[:, 1]])
               & (gt.predicates[:, None] == predicates)
               & match[gt.pairs[:, None, 0], pairs[:, 0]]
               & match[gt.pairs[:, None, 1], pairs[:, 1]])
        ranks.append(np.where(hit.any(1), hit.argmax(1), NO_MATCH))
    return ranks


def test_sgdet_size_records_equal_full_sorts():
    """80 detections, 6,320 pairs x 51 coarse scores (many ties)."""
    rng = np.random.default_rng(7)
    gt_boxes = np.sort(rng.uniform(0, 300, (25, 4)).astype(np.float32), 1)
    gt = GTGraph(gt_boxes, rng.integers(0, 3, 25),
                 np.stack([np.arange(20), (np.arange(20) + 1) % 25], 1),
                 rng.integers(1, 51, 20))
    src = rng.integers(0, 25, 80)
    boxes = gt_boxes[src] + rng.normal(0, 3, (80, 4)).astype(np.float32)
    pairs = _all_pairs(80)
    rel_scores = np.round(rng.random((pairs.shape[0], 51)) * 0.5,
                          1).astype(np.float32)
    # detections of GT pairs score their GT predicate high: some hits
    on_gt = (src[pairs[:, 0], None] == gt.pairs[:, 0]) & (
        src[pairs[:, 1], None] == gt.pairs[:, 1])
    rows, rels = np.nonzero(on_gt)
    rel_scores[rows, gt.predicates[rels]] = 1
    pred = PredGraph(boxes, gt.labels[src],
                     np.round(rng.random(80), 1).astype(np.float32), pairs,
                     rel_scores)
    records = build_image_records(gt, pred, 100, 0.5, with_pair_accuracy=False)
    rank, ng_rank = _naive_records(gt, pred, 100, 0.5)
    assert (rank < NO_MATCH).any() and (ng_rank < NO_MATCH).any()
    np.testing.assert_array_equal(records['rank'], rank)
    np.testing.assert_array_equal(records['ng_rank'], ng_rank)
