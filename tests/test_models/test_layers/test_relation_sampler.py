import pytest
import torch

from mmsgg_rde.models.layers import (RelationSampler, all_pairs,
                                     unique_relations)

BG = 9


def _as_set(pairs, labels):
    return {(s, o, lab)
            for (s, o), lab in zip(pairs.tolist(), labels.tolist())}


def test_all_pairs():
    pairs = all_pairs(3, torch.device('cpu'))
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    assert all_pairs(1, torch.device('cpu')).shape == (0, 2)


def test_unique_relations_row_major_first_label():
    pairs, labels = unique_relations(
        4, torch.tensor([[2, 0], [0, 1], [2, 0], [0, 0]]),
        torch.tensor([5, 3, 7, 2]))
    assert pairs.tolist() == [[0, 0], [0, 1], [2, 0]]
    assert labels.tolist() == [2, 3, 5]


def test_sample_gt_pairs():
    torch.manual_seed(0)
    sampler = RelationSampler(num=8, pos_fraction=0.5)
    # (0, 1) appears twice (first label kept); the self pair (3, 3) counts
    # as foreground, as in the benchmark.
    gt_pairs = torch.tensor([[1, 2], [0, 1], [0, 1], [3, 3]])
    gt_labels = torch.tensor([5, 3, 7, 2])
    pairs, labels = sampler.sample(5, gt_pairs, gt_labels)
    assert pairs.shape == (8, 2) and labels.shape == (8, )
    assert pairs[:3].tolist() == [[0, 1], [1, 2], [3, 3]]
    assert labels[:3].tolist() == [3, 5, 2]
    assert (labels[3:] == 0).all()
    assert (pairs[3:, 0] != pairs[3:, 1]).all()
    assert len({tuple(p) for p in pairs.tolist()}) == 8


def test_sample_caps_foreground_and_total():
    torch.manual_seed(0)
    sampler = RelationSampler(num=4, pos_fraction=0.5)
    gt_pairs = torch.tensor([[0, 1], [1, 2], [2, 0]])
    pairs, labels = sampler.sample(3, gt_pairs, torch.tensor([1, 2, 3]))
    # 2 of the 3 foreground pairs, then 2 of the 3 other pairs (the unused
    # foreground pair is no background).
    assert (labels > 0).sum() == 2
    assert labels.shape == (4, )
    assert _as_set(pairs[:2], labels[:2]) <= {(0, 1, 1), (1, 2, 2), (2, 0, 3)}
    assert _as_set(pairs[2:], labels[2:]) <= {(1, 0, 0), (2, 1, 0), (0, 2, 0)}


def test_sample_few_objects():
    sampler = RelationSampler(num=16)
    pairs, labels = sampler.sample(2, torch.tensor([[1, 0]]),
                                   torch.tensor([4]))
    assert _as_set(pairs, labels) == {(1, 0, 4), (0, 1, 0)}


def _detection_case():
    gt_bboxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 30.]])
    gt_labels = torch.tensor([1, 2])
    det_bboxes = torch.tensor([
        [0., 0., 10., 10.],  # gt 0, IoU 1
        [0., 0., 10., 11.],  # gt 0, IoU 121 / 132
        [20., 20., 30., 30.],  # gt 1, IoU 1
        [20., 20., 30., 30.],  # gt 1 box, target of another class
        [20., 20., 30., 41.],  # gt 1, IoU exactly 0.5: no match (> 0.5)
        [20., 20., 30., 35.],  # gt 1, IoU 121 / 176
        [50., 50., 60., 60.],  # background target
    ])
    # Class targets (not the detector's classes).
    det_targets = torch.tensor([1, 1, 2, 3, 2, 2, BG])
    return det_bboxes, det_targets, gt_bboxes, gt_labels


def test_sample_detections_assigns_matched_pairs():
    torch.manual_seed(0)
    sampler = RelationSampler(num=100, pos_fraction=0.5)
    pairs, labels = sampler.sample_detections(*_detection_case(),
                                              torch.tensor([[0, 1]]),
                                              torch.tensor([4]), BG)
    # Head-major order of the matched detections of subject and object.
    fg = torch.cat([pairs, labels[:, None]], 1)[labels > 0]
    assert fg.tolist() == [[0, 2, 4], [0, 5, 4], [1, 2, 4], [1, 5, 4]]
    # Background: the other ordered pairs of the 6 foreground detections.
    assert labels.shape == (30, )
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert (pairs != 6).all()
    assert len({tuple(p) for p in pairs.tolist()}) == 30


def test_sample_detections_caps_pairs_per_gt_relation():
    torch.manual_seed(0)
    sampler = RelationSampler(num=100, num_sample_per_gt_rel=2)
    pairs, labels = sampler.sample_detections(*_detection_case(),
                                              torch.tensor([[0, 1]]),
                                              torch.tensor([4]), BG)
    fg = _as_set(pairs[labels > 0], labels[labels > 0])
    assert len(fg) == 2
    assert fg <= {(0, 2, 4), (0, 5, 4), (1, 2, 4), (1, 5, 4)}
    # The other two matched pairs are not reused as background.
    assert labels.shape == (28, )


def test_sample_detections_weights_by_iou_product():
    """A pair of IoU product 1 is drawn far more often than one of ~0.7."""
    sampler = RelationSampler(num=100, num_sample_per_gt_rel=1)
    det_bboxes, det_targets, gt_bboxes, gt_labels = _detection_case()
    keep = torch.tensor([0, 1, 2])
    counts = {}
    torch.manual_seed(0)
    for _ in range(200):
        pairs, labels = sampler.sample_detections(det_bboxes[keep],
                                                  det_targets[keep], gt_bboxes,
                                                  gt_labels,
                                                  torch.tensor([[0, 1]]),
                                                  torch.tensor([4]), BG)
        key = tuple(pairs[labels > 0][0].tolist())
        counts[key] = counts.get(key, 0) + 1
    # Weights 1 and 121 / 132: probabilities 0.52 and 0.48.
    assert set(counts) == {(0, 2), (1, 2)}
    assert 80 < counts[(0, 2)] < 130


def test_sample_detections_require_overlap():
    sampler = RelationSampler(num=100, require_overlap=True)
    det_bboxes, det_targets, gt_bboxes, gt_labels = _detection_case()
    pairs, labels = sampler.sample_detections(det_bboxes, det_targets,
                                              gt_bboxes, gt_labels,
                                              torch.tensor([[0, 1]]),
                                              torch.tensor([4]), BG)
    bg = _as_set(pairs[labels == 0], labels[labels == 0])
    # Overlapping, not identical boxes only: (0, 1), (1, 0) and the pairs
    # among 2..5 except 2 and 3, which are the same box.
    expected = {(0, 1),
                (1, 0)} | {(i, j)
                           for i in range(2, 6)
                           for j in range(2, 6) if i != j and {i, j} != {2, 3}}
    expected -= {(0, 2), (0, 5), (1, 2), (1, 5)}
    assert {(s, o) for s, o, _ in bg} == expected


def test_sample_detections_without_pairs_gives_placeholder():
    sampler = RelationSampler()
    pairs, labels = sampler.sample_detections(
        torch.tensor([[0., 0., 5., 5.]]), torch.tensor([BG]),
        torch.tensor([[0., 0., 5., 5.]]), torch.tensor([1]),
        torch.zeros(0, 2, dtype=torch.long), torch.zeros(0, dtype=torch.long),
        BG)
    assert pairs.tolist() == [[0, 0]] and labels.tolist() == [0]


def test_rejects_bad_fraction():
    with pytest.raises(ValueError, match='pos_fraction'):
        RelationSampler(pos_fraction=1.5)
