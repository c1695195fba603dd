import torch

from mmsgg_rde.models.detectron import assign_proposal_labels, pixel_box_iou


def test_pixel_iou_counts_inclusive_pixels():
    iou = pixel_box_iou(
        torch.tensor([[0., 0., 9., 9.]]),
        torch.tensor([[0., 0., 4., 9.], [10., 0., 19., 9.]]))
    # 50 of 100 pixels; adjacent boxes share no pixel.
    torch.testing.assert_close(iou, torch.tensor([[0.5, 0.]]))


def test_labels_from_the_most_overlapping_gt():
    gt_bboxes = torch.tensor([[0., 0., 9., 9.], [20., 20., 39., 39.]])
    gt_labels = torch.tensor([3, 7])
    proposals = torch.tensor([
        [0., 0., 9., 9.],  # GT 0
        [0., 0., 4., 9.],  # IoU 0.5 with GT 0
        [0., 0., 3., 9.],  # IoU 0.4
        [22., 22., 39., 39.],  # GT 1
        [100., 100., 110., 110.]
    ])
    labels = assign_proposal_labels(proposals, gt_bboxes, gt_labels, 0.5, 10)
    assert labels.tolist() == [3, 3, 10, 7, 10]
    empty = assign_proposal_labels(proposals, gt_bboxes[:0], gt_labels[:0],
                                   0.5, 10)
    assert empty.tolist() == [10] * 5
