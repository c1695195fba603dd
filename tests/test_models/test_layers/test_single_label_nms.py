import torch

from mmsgg_rde.models.layers import single_label_nms


def test_one_label_per_proposal():
    box_a = [0., 0., 10., 10.]
    box_b = [0., 0., 10., 9.]  # overlaps box_a (IoU 0.9)
    box_c = [50., 50., 60., 60.]
    # (proposal, class) boxes; class 1 of proposal 0 lies far from
    # proposal 2's class 1 box.
    bboxes = torch.tensor([[box_a, box_a], [box_b, box_b], [box_c, box_c]])
    scores = torch.tensor([[0.9, 0.8], [0.85, 0.1], [0.05, 0.7]])
    nms = dict(type='nms', iou_threshold=0.5)
    keep, labels, out_scores = single_label_nms(bboxes, scores, 0.3, nms, 10)
    # Class 0: proposal 1 is suppressed by 0. Class 1: 0 and 2 survive.
    # Proposal 0 keeps its best class (0).
    assert keep.tolist() == [0, 2]
    assert labels.tolist() == [0, 1]
    assert torch.allclose(out_scores, torch.tensor([0.9, 0.7]))
    keep, _, _ = single_label_nms(bboxes, scores, 0.3, nms, 1)
    assert keep.tolist() == [0]


def test_no_candidates():
    keep, labels, scores = single_label_nms(
        torch.rand(4, 3, 4), torch.zeros(4, 3), 0.1,
        dict(type='nms', iou_threshold=0.5), 10)
    assert keep.numel() == labels.numel() == scores.numel() == 0
