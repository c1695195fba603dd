import torch

from mmsgg_rde.models.layers import single_label_nms

NMS = dict(type='nms', iou_threshold=0.5, offset=1)


def test_one_label_per_proposal():
    box_a = [0., 0., 10., 10.]
    box_b = [0., 0., 10., 9.]  # overlaps box_a (IoU 0.9)
    box_c = [50., 50., 60., 60.]
    # (proposal, class) boxes; class 1 of proposal 0 lies far from
    # proposal 2's class 1 box.
    bboxes = torch.tensor([[box_a, box_a], [box_b, box_b], [box_c, box_c]])
    scores = torch.tensor([[0.9, 0.8], [0.85, 0.1], [0.05, 0.7]])
    keep, labels, out_scores = single_label_nms(bboxes, scores, 0.3, NMS, 10)
    # Class 0: proposal 1 is suppressed by 0. Class 1: 0 and 2 survive.
    # Proposal 0 keeps its best class (0).
    assert keep.tolist() == [0, 2]
    assert labels.tolist() == [0, 1]
    assert torch.allclose(out_scores, torch.tensor([0.9, 0.7]))
    keep, _, _ = single_label_nms(bboxes, scores, 0.3, NMS, 1)
    assert keep.tolist() == [0]


def test_proposal_order_and_ties_at_the_cap():
    boxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 30.],
                          [40., 40., 50., 50.], [60., 60., 70., 70.]])
    bboxes = boxes[:, None].expand(-1, 2, -1)
    scores = torch.tensor([[0.2, 0.1], [0.9, 0.1], [0.1, 0.5], [0.5, 0.1]])
    keep, labels, out = single_label_nms(bboxes, scores, 0.05, NMS, 2)
    # The cap keeps every score >= the 2nd highest (0.5, twice).
    assert keep.tolist() == [1, 2, 3]
    assert labels.tolist() == [0, 1, 0]
    assert out.tolist() == [0.8999999761581421, 0.5, 0.5]


def test_per_class_cap():
    boxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 30., 30.],
                          [40., 40., 50., 50.]])
    bboxes = boxes[:, None]
    scores = torch.tensor([[0.2], [0.9], [0.5]])
    keep, _, _ = single_label_nms(bboxes, scores, 0.05, NMS, 10, 2)
    assert keep.tolist() == [1, 2]


def test_plus_one_overlap():
    # IoU 0.5 exactly with "+1" areas (11x11 boxes sharing 11x... rows).
    bboxes = torch.tensor([[[0., 0., 10., 10.]], [[0., 0., 10., 4.]]])
    scores = torch.tensor([[0.9], [0.8]])
    iou_plus_one = 55 / 121
    nms_cfg = dict(type='nms', iou_threshold=iou_plus_one + 0.01, offset=1)
    keep, _, _ = single_label_nms(bboxes, scores, 0.1, nms_cfg, 10)
    assert keep.tolist() == [0, 1]
    nms_cfg['iou_threshold'] = iou_plus_one - 0.01
    keep, _, _ = single_label_nms(bboxes, scores, 0.1, nms_cfg, 10)
    assert keep.tolist() == [0]


def test_no_candidates():
    keep, labels, scores = single_label_nms(
        torch.rand(4, 3, 4), torch.zeros(4, 3), 0.1, NMS, 10)
    assert keep.numel() == labels.numel() == scores.numel() == 0
