import pytest
import torch

from mmsgg_rde.models.layers import (RelationSampler, all_pairs,
                                     match_detections)


def _as_set(pairs, labels):
    return {(s, o, lab)
            for (s, o), lab in zip(pairs.tolist(), labels.tolist())}


def test_all_pairs():
    pairs = all_pairs(3, torch.device('cpu'))
    assert pairs.tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]
    assert all_pairs(1, torch.device('cpu')).shape == (0, 2)


def test_sample_gt_pairs():
    torch.manual_seed(0)
    sampler = RelationSampler(num=8, pos_fraction=0.25)
    # (0, 1) appears twice (first label kept); (3, 3) is a self pair.
    gt_pairs = torch.tensor([[0, 1], [1, 2], [0, 1], [3, 3]])
    gt_labels = torch.tensor([3, 5, 7, 2])
    pairs, labels = sampler.sample(5, gt_pairs, gt_labels)
    assert pairs.shape == (8, 2) and labels.shape == (8, )
    assert _as_set(pairs[:2], labels[:2]) == {(0, 1, 3), (1, 2, 5)}
    assert (labels[2:] == 0).all()
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert len({tuple(p) for p in pairs.tolist()}) == 8


def test_sample_caps_foreground_and_total():
    torch.manual_seed(0)
    sampler = RelationSampler(num=4, pos_fraction=0.5)
    gt_pairs = torch.tensor([[0, 1], [1, 2], [2, 0]])
    pairs, labels = sampler.sample(3, gt_pairs, torch.tensor([1, 2, 3]))
    # 2 of the 3 foreground pairs, then 2 of the 3 remaining pairs.
    assert (labels > 0).sum() == 2
    assert labels.shape == (4, )
    fg = {(0, 1, 1), (1, 2, 2), (2, 0, 3)}
    assert _as_set(pairs[:2], labels[:2]) <= fg
    assert (pairs[:, 0] != pairs[:, 1]).all()


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
        [0., 0., 10., 11.],  # gt 0, IoU 100 / 110
        [20., 20., 30., 30.],  # gt 1, IoU 1
        [20., 20., 30., 30.],  # gt 1 box, wrong class
        [20., 20., 30., 40.],  # gt 1, IoU exactly 0.5
        [25., 25., 35., 35.],  # gt 1 class, IoU 25 / 175
    ])
    det_labels = torch.tensor([1, 1, 2, 3, 2, 2])
    return det_bboxes, det_labels, gt_bboxes, gt_labels


def test_match_detections_same_label_and_iou():
    det_bboxes, det_labels, gt_bboxes, gt_labels = _detection_case()
    is_match, ious = match_detections(det_bboxes, det_labels, gt_bboxes,
                                      gt_labels, 0.5)
    assert is_match.tolist() == [[True, True, False, False, False, False],
                                 [False, False, True, False, True, False]]
    assert ious[0, 1] == pytest.approx(100 / 110)


def test_sample_detections_assigns_matched_pairs():
    torch.manual_seed(0)
    det_bboxes, det_labels, gt_bboxes, gt_labels = _detection_case()
    sampler = RelationSampler(num=100, pos_fraction=0.5)
    pairs, labels = sampler.sample_detections(det_bboxes, det_labels,
                                              gt_bboxes, gt_labels,
                                              torch.tensor([[0, 1]]),
                                              torch.tensor([4]))
    fg = _as_set(pairs[labels > 0], labels[labels > 0])
    assert fg == {(0, 2, 4), (0, 4, 4), (1, 2, 4), (1, 4, 4)}
    # Every other ordered pair of the 6 detections is background.
    assert labels.shape == (30, )
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert len({tuple(p) for p in pairs.tolist()}) == 30


def test_sample_detections_caps_pairs_per_gt_relation():
    torch.manual_seed(0)
    sampler = RelationSampler(num=100, num_sample_per_gt_rel=2)
    pairs, labels = sampler.sample_detections(*_detection_case(),
                                              torch.tensor([[0, 1]]),
                                              torch.tensor([4]))
    fg = _as_set(pairs[labels > 0], labels[labels > 0])
    assert len(fg) == 2
    assert fg <= {(0, 2, 4), (0, 4, 4), (1, 2, 4), (1, 4, 4)}
    # The other two matched pairs are not reused as background.
    assert labels.shape == (28, )


def test_rejects_bad_fraction():
    with pytest.raises(ValueError, match='pos_fraction'):
        RelationSampler(pos_fraction=1.5)
