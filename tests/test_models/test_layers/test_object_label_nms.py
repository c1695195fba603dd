import torch

from mmsgg_rde.models.layers import object_label_nms, per_class_overlaps


def test_per_class_overlaps_plus_one_pixels():
    boxes = torch.tensor([[[0., 0., 9., 9.], [0., 0., 9., 9.]],
                          [[0., 0., 9., 19.], [10., 0., 19., 9.]]])
    ious = per_class_overlaps(boxes)
    assert ious.shape == (2, 2, 2)
    assert ious[0, 1].tolist() == [0.5, 0.0]
    assert ious[1, 0].tolist() == [0.5, 0.0]
    assert ious[0, 0].tolist() == [1.0, 1.0]


def test_greedy_relabelling_with_per_class_suppression():
    # Two classes; objects 0 and 1 overlap (IoU 0.5) in class 0's boxes
    # only, object 2 is elsewhere.
    boxes = torch.tensor([
        [[0., 0., 9., 9.], [0., 0., 9., 9.]],
        [[0., 0., 9., 19.], [30., 30., 39., 39.]],
        [[50., 50., 59., 59.], [50., 50., 59., 59.]],
    ])
    probs = torch.tensor([
        [0.6, 0.3, 0.1],
        [0.5, 0.4, 0.1],
        [0.2, 0.7, 0.1],
    ])
    # 2 -> class 1 (0.7); 0 -> class 0 (0.6), which suppresses class 0 of
    # object 1; 1 -> class 1 (0.4).
    assert object_label_nms(probs, boxes, 0.5).tolist() == [0, 1, 1]
    # Above the overlap: no suppression, object 1 keeps class 0.
    assert object_label_nms(probs, boxes, 0.6).tolist() == [0, 0, 1]


def test_background_when_every_class_is_suppressed():
    boxes = torch.tensor([[[0., 0., 9., 9.]], [[0., 0., 9., 9.]]])
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2]])
    # One class: object 1 loses it to object 0 and gets background (1).
    assert object_label_nms(probs, boxes, 0.5).tolist() == [0, 1]
