"""Our detector against the scene graph benchmark's, on recorded outputs.

``tests/data/parity/detector.pth`` was recorded by
``tools/parity/gen_detector.py`` from the benchmark's own Faster R-CNN at
reduced widths (its checkpoint, image and outputs). The checkpoint goes
through our converter into the Motifs SGDet model with the same widths, and
every stage must agree: preprocessing, FPN features, RPN proposals, box head
outputs and the SGDet detections, in test and in training mode.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmsgg_rde.datasets.transforms import ShortSideResize
from mmsgg_rde.structures import SceneGraphDataSample
from mmsgg_rde.utils.sgb_conversion import convert_sgb_checkpoint

ROOT = osp.join(osp.dirname(__file__), '..', '..', '..')
FIXTURE = osp.join(ROOT, 'tests', 'data', 'parity', 'detector.pth')
MOTIFS_CFG = osp.join(ROOT, 'configs', '_base_', 'models', 'motifs.py')
NUM_CLASSES = 10
RTOL = 1e-4


@pytest.fixture(scope='module')
def fixture():
    return torch.load(FIXTURE, map_location='cpu', weights_only=True)


def reduced_model_cfg(checkpoint):
    """Motifs SGDet with the fixture's widths (gen_detector.SGB_OPTIONS)."""
    model = Config.fromfile(MOTIFS_CFG).model
    model.update(mode='sgdet', detector_checkpoint=checkpoint)
    model.backbone.update(depth=50, groups=2, base_width=2, base_channels=2)
    model.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    model.rpn_head.update(in_channels=16, feat_channels=16)
    model.roi_head.bbox_roi_extractor.out_channels = 16
    model.roi_head.bbox_head.update(
        in_channels=16, fc_out_channels=16, num_classes=NUM_CLASSES)
    for cfg in (model.train_cfg.rpn_proposal, model.test_cfg.rpn):
        cfg.update(nms_pre=300, max_per_level=60, max_per_img=100)
    model.test_cfg.rcnn.update(max_per_class=8, max_per_img=20)
    head = model.relation_head
    head.num_classes = NUM_CLASSES
    for name in ('obj_feat_extractor', 'union_feat_extractor'):
        head[name].roi_extractor.out_channels = 16
        head[name].fc_out_channels = 16
    head.update(
        embed_dim=8,
        embed_init='random',
        pos_embed=dict(hidden_channels=8, out_channels=8),
        hidden_dim=8)
    return model


@pytest.fixture(scope='module')
def model(fixture, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('detector_parity')
    src = tmp / 'model_final.pth'
    checkpoint = dict(fixture['checkpoint'])
    checkpoint['model'] = {
        k: v.float()
        for k, v in checkpoint['model'].items()
    }
    torch.save(checkpoint, src)
    converted, _ = convert_sgb_checkpoint(str(src))
    dst = tmp / 'converted.pth'
    torch.save(converted, dst)
    model = MODELS.build(reduced_model_cfg(str(dst)))
    model.init_weights()
    return model.eval()


def assert_close(ours, theirs, rtol=RTOL):
    """Equal up to ``rtol`` of the largest value (the parity criterion)."""
    assert ours.shape == theirs.shape
    scale = max(theirs.abs().max().item(), 1e-6)
    torch.testing.assert_close(
        ours.float(), theirs.float(), rtol=0, atol=rtol * scale)


def make_sample(fixture, gt=False):
    """A data sample with the metainfo of the fixture's image."""
    height, width = fixture['resized_rgb'].shape[:2]
    ori_h, ori_w = fixture['image'].shape[:2]
    sample = SceneGraphDataSample()
    sample.set_metainfo(
        dict(
            img_shape=(height, width),
            ori_shape=(ori_h, ori_w),
            scale_factor=(width / ori_w, height / ori_h),
            batch_input_shape=tuple(fixture['input'].shape[-2:])))
    if gt:
        train = fixture['train']
        sample.gt_instances = InstanceData(
            bboxes=train['gt_bboxes'], labels=train['gt_labels'] - 1)
    return sample


def bg_first(logits):
    return torch.cat([logits[:, -1:], logits[:, :-1]], dim=1)


def test_preprocessing(fixture, model):
    resized = ShortSideResize(64, 100).transform(
        dict(img=fixture['image'].numpy()))['img']
    np.testing.assert_array_equal(resized,
                                  fixture['resized_rgb'].numpy()[..., ::-1])
    data = model.data_preprocessor(
        dict(
            inputs=[torch.from_numpy(resized.copy()).permute(2, 0, 1)],
            data_samples=None), False)
    assert_close(data['inputs'], fixture['input'])


def test_fpn_features(fixture, model):
    with torch.no_grad():
        feats = model.extract_feat(fixture['input'])
    assert len(feats) == len(fixture['features'])
    for level, feat in enumerate(feats):
        assert_close(feat, fixture['features'][f'P{level + 2}'])


def test_rpn_proposals(fixture, model):
    theirs = fixture['test']
    with torch.no_grad():
        feats = model.extract_feat(fixture['input'])
        results = model.rpn_head.predict_by_feat(
            *model.rpn_head(feats),
            batch_img_metas=[make_sample(fixture).metainfo],
            cfg=model.test_cfg.rpn)[0]
    assert_close(results.bboxes, theirs['proposals'])
    assert_close(results.scores, theirs['objectness'])


@pytest.mark.parametrize('stage', ['test', 'train'])
def test_box_head_on_the_same_proposals(fixture, model, stage):
    theirs = fixture[stage]
    with torch.no_grad():
        feats = model.extract_feat(fixture['input'])
        out = model.roi_head._bbox_forward(feats,
                                           bbox2roi([theirs['proposals']]))
    assert_close(bg_first(out['cls_score']), theirs['cls_logits'])
    assert_close(out['bbox_pred'], theirs['bbox_deltas'][:, 4:])


def test_box_head_across_fpn_levels(fixture, model):
    theirs = fixture['level_rois']
    with torch.no_grad():
        feats = model.extract_feat(fixture['input'])
        out = model.roi_head._bbox_forward(feats, bbox2roi([theirs['rois']]))
    assert_close(bg_first(out['cls_score']), theirs['cls_logits'])
    assert_close(out['bbox_pred'], theirs['bbox_deltas'][:, 4:])


@pytest.mark.parametrize('stage', ['test', 'train'])
def test_sgdet_detections(fixture, model, stage):
    theirs = fixture[stage]
    training = stage == 'train'
    with torch.no_grad():
        feats = model.extract_feat(fixture['input'])
        model.train(training)
        try:
            dets = model._detect(feats, [make_sample(fixture, training)])[0]
        finally:
            model.eval()
    assert torch.equal(dets.labels + 1, theirs['det_labels'])
    assert_close(dets.bboxes, theirs['det_bboxes'])
    assert_close(dets.scores, theirs['det_scores'])
    assert_close(bg_first(dets.logits), theirs['det_logits'])
    assert_close(dets.bboxes_per_cls, theirs['det_boxes_per_cls'][:, 1:])
    if training:
        assigned = dets.assigned_labels + 1
        assigned[dets.assigned_labels == NUM_CLASSES] = 0
        assert torch.equal(assigned, theirs['det_assigned_labels'])
        assert (assigned > 0).any()
    else:
        assert 'assigned_labels' not in dets
