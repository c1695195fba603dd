import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from mmsgg_rde.models.detectors.scene_graph_rcnn import (
    DetectorCheckpointNotFoundError, DetectorNotLoadedError)
from mmsgg_rde.structures import SceneGraphDataSample

MOTIFS_CFG = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'models',
    'motifs.py')
# Original images are 128 wide, 96 high; the network sees them at half size.
ORI_SHAPE = (96, 128)
IMG_SHAPE = (48, 64)
SCALE = (0.5, 0.5)
GT_BOXES = [
    torch.tensor([[4., 4., 60., 60.], [40., 20., 120., 80.],
                  [10., 50., 50., 94.]]),
    torch.tensor([[0., 0., 80., 80.], [60., 30., 126., 90.]])
]
GT_LABELS = [torch.tensor([1, 4, 2]), torch.tensor([3, 5])]
GT_RELS = [(torch.tensor([[0, 1], [2, 0]]), torch.tensor([2, 4])),
           (torch.tensor([[1, 0]]), torch.tensor([1]))]


def tiny_model_cfg(mode, freeze_detector=False):
    """The real Motifs model config with tiny sizes."""
    model = Config.fromfile(MOTIFS_CFG).model
    model.update(
        mode=mode, freeze_detector=freeze_detector, detector_checkpoint=None)
    model.data_preprocessor = dict(
        type='DetDataPreprocessor',
        mean=[0., 0., 0.],
        std=[255., 255., 255.],
        pad_size_divisor=32)
    model.backbone = dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN'),
        init_cfg=None)
    model.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    model.rpn_head.update(in_channels=16, feat_channels=16)
    model.roi_head.bbox_roi_extractor.out_channels = 16
    model.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    head = model.relation_head
    head.obj_feat_extractor.roi_extractor.out_channels = 16
    head.obj_feat_extractor.fc_out_channels = 32
    head.union_feat_extractor.roi_extractor.out_channels = 16
    head.union_feat_extractor.fc_out_channels = 24
    head.update(
        embed_init='random',
        embed_dim=8,
        pos_embed=dict(hidden_channels=8, out_channels=8),
        hidden_dim=16)
    model.train_cfg.relation.sampler.num = 16
    model.test_cfg.rpn.update(nms_pre=200, max_per_img=50)
    model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=5)
    return model


def build_model(mode, freeze_detector=False):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(mode, freeze_detector))
    model.init_weights()
    # Stands in for a trained detector loaded from a checkpoint.
    model.load_state_dict(model.state_dict())
    return model


def make_batch(model, training):
    """Two images; training GT in the input frame, test GT in original
    pixels (mmdet's test pipelines load annotations after Resize)."""
    inputs, samples = [], []
    for boxes, labels, (pairs, rel_labels) in zip(GT_BOXES, GT_LABELS,
                                                  GT_RELS):
        sample = SceneGraphDataSample(
            metainfo=dict(
                img_shape=IMG_SHAPE, ori_shape=ORI_SHAPE, scale_factor=SCALE))
        if training:
            boxes = boxes * SCALE[0]
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        sample.gt_relations = InstanceData(pairs=pairs, labels=rel_labels)
        samples.append(sample)
        inputs.append(
            torch.randint(0, 256, (3, ) + IMG_SHAPE, dtype=torch.uint8))
    return model.data_preprocessor(
        dict(inputs=inputs, data_samples=samples), training)


def check_prediction(sample, mode):
    obj, rel = sample.pred_instances, sample.pred_relations
    n = len(obj)
    assert obj.bboxes.shape == (n, 4)
    assert ((obj.labels >= 0) & (obj.labels < 150)).all()
    assert ((obj.scores > 0) & (obj.scores <= 1)).all()
    assert rel.pairs.shape == (n * (n - 1), 2)
    assert rel.pairs.dtype == torch.long
    assert (rel.pairs[:, 0] != rel.pairs[:, 1]).all()
    assert rel.scores.shape == (n * (n - 1), 51)
    assert torch.allclose(rel.scores.sum(1), torch.ones(len(rel.scores)))
    assert ((rel.labels >= 1) & (rel.labels <= 50)).all()
    assert torch.equal(rel.labels, rel.scores[:, 1:].argmax(1) + 1)
    triplet = (
        rel.scores[:, 1:].max(1)[0] * obj.scores[rel.pairs[:, 0]] *
        obj.scores[rel.pairs[:, 1]])
    assert (triplet[:-1] >= triplet[1:]).all()
    if mode == 'predcls':
        assert (obj.scores == 1).all()
        assert torch.equal(obj.labels, sample.gt_instances.labels)
    if mode != 'sgdet':
        # Original pixels, not the half-size input frame.
        assert torch.allclose(obj.bboxes, sample.gt_instances.bboxes)
    else:
        assert (obj.bboxes[:, 2] <= ORI_SHAPE[1] + 1e-3).all()
        assert (obj.bboxes[:, 3] <= ORI_SHAPE[0] + 1e-3).all()


@pytest.mark.parametrize('mode', ['predcls', 'sgcls', 'sgdet'])
def test_loss_and_predict(mode):
    model = build_model(mode)
    model.train()
    losses = model(**make_batch(model, True), mode='loss')
    expected = {'loss_rel'} | ({'loss_obj'} if mode != 'predcls' else set())
    assert set(losses) == expected
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert model.relation_head.rel_classifier.weight.grad is not None

    model.eval()
    with torch.no_grad():
        results = model(**make_batch(model, False), mode='predict')
    assert len(results) == 2
    if mode == 'sgdet':
        assert len(results[0].pred_instances) > 0
    for sample in results:
        check_prediction(sample, mode)

    with torch.no_grad():
        logits = model(**make_batch(model, False), mode='tensor')
    assert [t.shape[1] for t in logits] == [51, 51]


@pytest.mark.parametrize('mode', ['predcls', 'sgcls', 'sgdet'])
def test_predict_objects_gives_the_relation_heads_objects(mode):
    model = build_model(mode)
    model.eval()
    batch = make_batch(model, False)
    with torch.no_grad():
        objects = model.predict_objects(batch['inputs'], batch['data_samples'])
        in_input_frame = model.predict_objects(
            batch['inputs'], batch['data_samples'], rescale=False)
    assert len(objects) == 2
    for obj, obj_in, boxes, labels in zip(objects, in_input_frame, GT_BOXES,
                                          GT_LABELS):
        torch.testing.assert_close(obj.bboxes * SCALE[0], obj_in.bboxes)
        if mode == 'sgdet':
            assert 0 < len(obj) <= model.test_cfg.rcnn.max_per_img
            assert (obj.bboxes[:, 2] <= ORI_SHAPE[1]).all()
            assert (obj.bboxes[:, 3] <= ORI_SHAPE[0]).all()
            continue
        torch.testing.assert_close(obj.bboxes, boxes)
        if mode == 'predcls':
            assert torch.equal(obj.labels, labels)
            assert (obj.scores == 1).all()
        else:
            probs = obj.logits.softmax(-1)[:, :150]
            assert torch.equal(obj.labels, probs.argmax(1))
            torch.testing.assert_close(obj.scores, probs.max(1)[0])


def test_frozen_detector():
    model = build_model('sgcls', freeze_detector=True)
    model.train()
    for name in ('backbone', 'neck', 'rpn_head', 'roi_head'):
        part = getattr(model, name)
        assert not any(p.requires_grad for p in part.parameters())
        assert not any(m.training for m in part.modules())
    head = model.relation_head
    assert all(p.requires_grad for p in head.parameters())
    assert head.training
    losses = model(**make_batch(model, True), mode='loss')
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert head.obj_feat_extractor.fcs[0].weight.grad is not None


def test_unfrozen_detector_trains_backbone():
    model = build_model('predcls', freeze_detector=False)
    model.train()
    assert model.backbone.training
    losses = model(**make_batch(model, True), mode='loss')
    sum(losses.values()).backward()
    assert model.backbone.conv1.weight.grad is not None


def test_load_detector_checkpoint(tmp_path):
    source = build_model('predcls')
    torch.manual_seed(1)
    for p in source.parameters():
        p.data.normal_()
    detector_state = {
        k: v
        for k, v in source.state_dict().items()
        if not k.startswith('relation_head.')
    }
    path = str(tmp_path / 'detector.pth')
    torch.save(dict(state_dict=detector_state), path)

    cfg = tiny_model_cfg('predcls', freeze_detector=True)
    cfg.detector_checkpoint = path
    model = MODELS.build(cfg)
    model.init_weights()
    assert torch.equal(model.backbone.conv1.weight,
                       source.backbone.conv1.weight)
    assert torch.equal(model.roi_head.bbox_head.fc_cls.weight,
                       source.roi_head.bbox_head.fc_cls.weight)
    # The object FCs (same shapes) start as copies of the box head's and
    # stay trainable; the union FCs (24-d) keep their own init.
    box_fcs = source.roi_head.bbox_head.shared_fcs
    obj_fcs = model.relation_head.obj_feat_extractor.fcs
    for src, dst in zip(box_fcs, obj_fcs):
        assert torch.equal(src.weight, dst.weight)
        assert dst.weight.requires_grad
    assert not model.backbone.conv1.weight.requires_grad


def test_load_detector_rejects_other_checkpoints(tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=dict(foo=torch.zeros(1))), path)
    cfg = tiny_model_cfg('predcls')
    cfg.detector_checkpoint = path
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match='two-stage detector'):
        model.init_weights()


def test_sgdet_relation_training_uses_assigned_labels(monkeypatch):
    model = build_model('sgdet')
    model.train()
    data = make_batch(model, True)
    gt0 = GT_BOXES[0] * SCALE[0]

    def fake_detect(x, batch_data_samples):
        # Image 0: det 0 on GT 0; det 1 on GT 1 but classified 3 (its
        # proposal's GT class is 4); det 2 overlaps GT 2 with IoU 440 / 526.
        # Image 1: background detections.
        dets = InstanceData(
            bboxes=torch.stack([gt0[0], gt0[1], gt0[2] + 1.]),
            labels=torch.tensor([1, 3, 2]),
            scores=torch.tensor([0.9, 0.8, 0.7]),
            logits=torch.randn(3, 151),
            assigned_labels=torch.tensor([1, 4, 2]))
        far = InstanceData(
            bboxes=torch.tensor([[0., 0., 2., 2.], [3., 3., 5., 5.]]),
            labels=torch.tensor([3, 5]),
            scores=torch.tensor([0.9, 0.8]),
            logits=torch.randn(2, 151),
            assigned_labels=torch.tensor([150, 150]))
        return [dets, far]

    monkeypatch.setattr(model, '_detect', fake_detect)
    head = model.relation_head
    sampled = {}
    original = head.sample_pairs

    def spy(objects, samples):
        pairs, labels = original(objects, samples)
        sampled.update(objects=objects, pairs=pairs, labels=labels)
        return pairs, labels

    monkeypatch.setattr(head, 'sample_pairs', spy)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_rel'])
    assert torch.isfinite(losses['loss_obj'])
    pairs, labels = sampled['pairs'], sampled['labels']
    # GT (0, 1, pred 2) and (2, 0, pred 4) are both found: the class the
    # detector gave det 1 plays no part, as in the benchmark.
    fg = {(s, o, lab)
          for (s, o), lab in zip(pairs[0].tolist(), labels[0].tolist())
          if lab > 0}
    assert fg == {(0, 1, 2), (2, 0, 4)}
    # Image 1 has only background detections: the placeholder pair.
    assert pairs[1].tolist() == [[0, 0]] and labels[1].tolist() == [0]
    assert sampled['objects'][0].gt_labels.tolist() == [1, 4, 2]
    assert sampled['objects'][1].gt_labels.tolist() == [150, 150]


def test_mode_checks():
    cfg = tiny_model_cfg('predcls')
    cfg.mode = 'detcls'
    with pytest.raises(ValueError, match='mode'):
        MODELS.build(cfg)
    cfg = tiny_model_cfg('sgcls')
    cfg.roi_head = None
    with pytest.raises(ValueError, match='roi_head'):
        MODELS.build(cfg)


@pytest.mark.parametrize('mode', ['sgcls', 'sgdet'])
@pytest.mark.parametrize('freeze_detector', [True, False])
def test_untrained_detector_is_refused(mode, freeze_detector):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(mode, freeze_detector))
    model.init_weights()
    model.train()
    with pytest.raises(DetectorNotLoadedError) as info:
        model(**make_batch(model, True), mode='loss')
    message = str(info.value)
    assert f"mode='{mode}'" in message
    assert 'model.detector_checkpoint=PATH' in message
    assert 'tools/model_converters/sgb_to_mmdet.py' in message
    assert 'faster-rcnn_x101-32x8d_fpn_vg150_sgb.py' in message
    assert 'model.train_detector=True' in message


def test_detector_weights_from_any_checkpoint_count(tmp_path):
    source = build_model('sgdet')
    path = str(tmp_path / 'sgdet.pth')
    torch.save(dict(state_dict=source.state_dict()), path)
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg('sgdet'))
    model.init_weights()
    # What a runner's load_from / resume does.
    load_checkpoint(model, path, map_location='cpu')
    model.train()
    losses = model(**make_batch(model, True), mode='loss')
    assert set(losses) == {'loss_rel', 'loss_obj'}


def test_predcls_trains_without_detector_weights():
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg('predcls', freeze_detector=True))
    model.init_weights()
    model.train()
    losses = model(**make_batch(model, True), mode='loss')
    assert losses['loss_rel'] > 0


@pytest.mark.parametrize('mode', ['sgcls', 'sgdet'])
def test_train_detector_trains_it_from_scratch(mode):
    cfg = tiny_model_cfg(mode)
    cfg.train_detector = True
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    losses = model(**make_batch(model, True), mode='loss')
    assert {
        'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_rel'
    } <= set(losses)
    loss, log_vars = model.parse_losses(losses)
    assert log_vars['loss_rpn_cls'] > 0 and log_vars['loss_cls'] > 0
    loss.backward()
    assert model.rpn_head.rpn_conv.weight.grad is not None
    assert model.roi_head.bbox_head.fc_cls.weight.grad is not None


def test_train_detector_needs_an_unfrozen_detector():
    cfg = tiny_model_cfg('sgdet', freeze_detector=True)
    cfg.train_detector = True
    with pytest.raises(ValueError, match='freeze_detector=False'):
        MODELS.build(cfg)


def test_missing_detector_checkpoint_says_where_it_comes_from(tmp_path):
    path = str(tmp_path / 'faster-rcnn_vg150.pth')
    cfg = tiny_model_cfg('sgdet')
    cfg.detector_checkpoint = path
    model = MODELS.build(cfg)
    with pytest.raises(DetectorCheckpointNotFoundError) as info:
        model.init_weights()
    message = str(info.value)
    assert f'"{path}" does not exist' in message
    assert 'tools/model_converters/sgb_to_mmdet.py' in message
    assert 'faster-rcnn_x101-32x8d_fpn_vg150_sgb.py' in message


REPO_ROOT = osp.join(osp.dirname(__file__), '..', '..', '..')
SYNTHVG_DETECTOR = 'configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py'


@pytest.mark.parametrize('config, synthvg', [
    ('configs/demo/motifs_demo_det_sgdet.py', True),
    ('configs/rde/vctree_rde_demo_det_sgcls.py', True),
    ('configs/motifs/motifs_x101_fpn_sgdet_vg150.py', False),
    ('configs/rde/imp_rde_sgcls.py', False),
])
def test_missing_detector_advice_fits_the_config(tmp_path, config, synthvg):
    detector_config = Config.fromfile(osp.join(
        REPO_ROOT, config)).model.get('detector_config')
    cfg = tiny_model_cfg('sgdet')
    cfg.detector_config = detector_config
    messages = []
    model = MODELS.build(cfg)
    with pytest.raises(DetectorCheckpointNotFoundError) as info:
        model.load_detector(str(tmp_path / 'detector.pth'))
    messages.append(str(info.value))
    model.init_weights()
    model.train()
    with pytest.raises(DetectorNotLoadedError) as info:
        model(**make_batch(model, True), mode='loss')
    messages.append(str(info.value))
    for message in messages:
        assert 'model.detector_checkpoint=PATH' in message
        if synthvg:
            assert osp.isfile(osp.join(REPO_ROOT, SYNTHVG_DETECTOR))
            assert (f'the detector of {SYNTHVG_DETECTOR}: train it with '
                    f'`python tools/train.py {SYNTHVG_DETECTOR}` (it saves '
                    'work_dirs/faster-rcnn_r18-w16_fpn_synthvg/'
                    'iter_<n>.pth)') in message
            assert 'VG-150' not in message
        else:
            assert 'a VG-150 detector' in message
            assert 'tools/model_converters/sgb_to_mmdet.py' in message
            assert 'synthvg' not in message


def test_sgdet_training_detections_carry_gt_labels():
    model = build_model('sgdet', freeze_detector=True)
    data = make_batch(model, True)
    samples = data['data_samples']
    model.train()
    x = model.extract_feat(data['inputs'])
    proposals = model._proposals(x, samples)
    for props, sample in zip(proposals, samples):
        # The GT boxes join the RPN proposals, last.
        gt = sample.gt_instances.bboxes
        assert torch.equal(props[-len(gt):], gt)
    dets = model._detect(x, samples)
    for det in dets:
        num_classes = model.roi_head.bbox_head.num_classes
        assert det.logits.shape == (len(det), num_classes + 1)
        assert det.bboxes_per_cls.shape == (len(det), num_classes, 4)
        assert torch.equal(
            det.bboxes, det.bboxes_per_cls[torch.arange(len(det)), det.labels])
        assert ((det.assigned_labels >= 0) &
                (det.assigned_labels <= num_classes)).all()
    model.eval()
    assert 'assigned_labels' not in model._detect(x, samples)[0]
    model.train()
    del model.train_cfg['sgdet']
    with pytest.raises(KeyError, match='train_cfg.sgdet'):
        model._detect(x, samples)
