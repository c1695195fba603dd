import torch
from mmdet.registry import MODELS
from mmengine.config import ConfigDict


def build_head():
    return MODELS.build(
        dict(
            type='DetectronRPNHead',
            in_channels=4,
            feat_channels=4,
            anchor_generator=dict(
                type='DetectronAnchorGenerator',
                strides=[8, 16],
                ratios=[1.],
                scales=[2]),
            bbox_coder=dict(type='DetectronDeltaXYWHBBoxCoder')))


def proposals(head, cls_scores, cfg):
    priors = head.prior_generator.grid_priors(
        [s.shape[-2:] for s in cls_scores], device='cpu')
    deltas = [s.new_zeros(4, *s.shape[-2:]) for s in cls_scores]
    return head._predict_by_feat_single(cls_scores, deltas, None, priors,
                                        dict(img_shape=(64, 64)),
                                        ConfigDict(cfg))


def test_per_level_then_overall_caps():
    torch.manual_seed(0)
    head = build_head()
    level0 = torch.linspace(0, 1, 64).view(1, 8, 8)
    level1 = torch.linspace(2, 3, 16).view(1, 4, 4)
    cfg = dict(
        nms_pre=1000,
        max_per_level=5,
        max_per_img=8,
        nms=dict(type='nms', iou_threshold=0.99, offset=1),
        min_bbox_size=0)
    out = proposals(head, [level0, level1], cfg)
    # Level 1 scores all higher, but only 5 of them survive its cap.
    assert len(out) == 8
    assert (out.scores[:5] > torch.tensor(2.).sigmoid()).all()
    assert (out.scores[5:] < torch.tensor(1.).sigmoid() + 1e-6).all()
    assert torch.equal(out.scores, out.scores.sort(descending=True)[0])
    cfg['max_per_level'] = -1
    out = proposals(head, [level0, level1], cfg)
    assert (out.scores > torch.tensor(2.).sigmoid()).sum() == 8


def test_nms_with_plus_one_areas_and_clipping():
    head = build_head()
    scores = torch.zeros(1, 8, 8)
    scores[0, 0, 0], scores[0, 0, 1] = 2., 1.
    cfg = dict(
        nms_pre=2,
        max_per_level=-1,
        max_per_img=10,
        nms=dict(type='nms', iou_threshold=0.38, offset=1),
        min_bbox_size=0)
    levels = [scores, torch.zeros(1, 4, 4) - 9]
    out = proposals(head, levels, cfg)
    # Level 0's two best anchors, clipped: (0, 0, 11, 11) and (4, 0, 19, 11),
    # IoU 0.4 with "+1" areas (0.37 without); level 1 keeps one of two.
    assert out.bboxes.min() >= 0 and out.bboxes.max() <= 63
    assert out.bboxes[0].tolist() == [0., 0., 11., 11.]
    assert len(out) == 2
    cfg['nms']['offset'] = 0
    assert len(proposals(head, levels, cfg)) == 3
