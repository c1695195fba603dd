"""VCTreeHead, TransformerHead and IMPHead through the head API, tiny."""
import os.path as osp

import pytest
import torch
from head_inputs import (NUM_CLASSES, NUM_PREDICATES, base_head_cfg, feats,
                         mode_inputs, sgdet_objects)
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

from mmsgg_rde.models.layers import batch_pairs
from mmsgg_rde.structures import MODES

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONTEXTS = dict(
    VCTreeHead=dict(type='VCTreeContext', embed_dim=4, hidden_channels=8),
    TransformerHead=dict(
        type='TransformerContext',
        embed_dim=4,
        hidden_channels=8,
        num_heads=2,
        key_dim=4,
        value_dim=4,
        feedforward_channels=16),
    IMPHead=dict(type='IMPContext', hidden_channels=8))


@MODELS.register_module(name='ClassifierSpyRDE', force=True)
class ClassifierSpyRDE(nn.Module):
    """Records the head's classifier on f_k."""

    def __init__(self, in_channels, num_predicates, num_classes):
        super().__init__()
        self.in_channels = in_channels
        self.logits = []

    def loss(self, rel_feats, rel_labels, sub_labels, obj_labels, classifier):
        self.logits.append(classifier(rel_feats))
        return dict(loss_spy=self.logits[-1].sum() * 0)


def head_cfg(head, mode, **kwargs):
    return dict(
        type=head,
        mode=mode,
        context=CONTEXTS[head],
        **base_head_cfg(),
        **kwargs)


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('head_type', sorted(CONTEXTS))
def test_loss_and_predict(head_type, mode):
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(head_type, mode))
    head.init_weights()
    samples, objects = mode_inputs(mode)
    losses = head.loss(feats(), objects, samples)
    expected = {'loss_rel'}
    if mode != 'predcls':
        expected.add('loss_obj')
    if head_type == 'VCTreeHead':
        expected.add('loss_tree')
    assert set(losses) == expected
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert head.rel_classifier.weight.grad.abs().sum() > 0
    if head_type == 'VCTreeHead':
        assert head.context.tree_scorer.score_pre.weight.grad is not None

    head.eval()
    with torch.no_grad():
        obj_results, rel_results = head.predict(feats(), objects, samples)
    for obj, obj_res, rel_res in zip(objects, obj_results, rel_results):
        n = len(obj)
        assert rel_res.scores.shape == (n * (n - 1), NUM_PREDICATES)
        assert ((obj_res.labels >= 0) & (obj_res.labels < NUM_CLASSES)).all()


def test_transformer_rde_classifier_carries_the_context_logits():
    torch.manual_seed(0)
    head = MODELS.build(
        head_cfg(
            'TransformerHead', 'predcls', rde=dict(type='ClassifierSpyRDE')))
    samples, objects = mode_inputs('predcls')
    captured = []
    original = head.forward_pairs

    def spy(*args):
        out, rel_logits = original(*args)
        captured.append(rel_logits)
        return out, rel_logits

    head.forward_pairs = spy
    head.loss(feats(), objects, samples)
    # RDE's classifier on f_k gives the head's logits, ctx_classifier and
    # all.
    assert torch.equal(head.rde.logits[0], captured[0])


def test_vctree_tree_targets_in_sgdet_follow_the_matches():
    head = MODELS.build(head_cfg('VCTreeHead', 'sgdet'))
    samples, _ = mode_inputs('sgdet')
    objects = sgdet_objects(samples)
    for obj in objects:
        obj.gt_labels = obj.assigned_labels
        obj.bboxes = obj.bboxes.clone()
    targets = head._tree_targets(objects, samples)
    # Image 0: detections 0..2 are the GT boxes, 3 is background.
    assert targets[0].shape == (4, 4)
    expected = torch.zeros(4, 4)
    for s, o in [(0, 1), (2, 0)]:
        expected[s, o] = expected[o, s] = 1
    assert torch.equal(targets[0], expected)


def test_imp_has_no_frequency_bias_and_a_hidden_size_f_k():
    head = MODELS.build(head_cfg('IMPHead', 'predcls'))
    assert head.freq_bias is None
    assert head.rel_feat_dim == 8
    samples, objects = mode_inputs('predcls')
    pairs = [head.test_pairs(o) for o in objects]
    out, rel_logits = head.forward_pairs(feats(), objects, pairs,
                                         [s.metainfo for s in samples])
    assert out.rel_feats.shape == (8, 8)
    assert torch.equal(rel_logits, head.rel_classifier(out.rel_feats))
    assert batch_pairs([3, 2], pairs).shape == (8, 2)


@pytest.mark.parametrize('config,base_lr', [
    ('configs/imp/imp_x101_fpn_predcls_vg150.py', 0.12),
    ('configs/imp/imp_x101_fpn_sgcls_vg150.py', 0.012),
    ('configs/demo/imp_demo_det_predcls.py', 0.12),
])
def test_imp_recipe_slows_the_feature_extractors(config, base_lr):
    """The benchmark's IMP recipe: extractors at LR x0.1 (not the mask
    branch of the union extractor, nor the context), and a tenth of the LR
    in SGCls."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    init_default_scope('mmdet')
    with torch.device('meta'):
        head = MODELS.build(cfg.model.relation_head)
    model = nn.Module()
    model.relation_head = head
    groups = build_optim_wrapper(model, cfg.optim_wrapper).param_groups
    lrs = {}
    for group, (name, _) in zip(groups, model.named_parameters()):
        lrs[name] = group['lr'] / base_lr
    slow = ('relation_head.obj_feat_extractor.',
            'relation_head.union_feat_extractor.roi_extractor.',
            'relation_head.union_feat_extractor.fcs.')
    assert any(name.startswith(slow) for name in lrs)
    for name, ratio in lrs.items():
        expected = 0.1 if name.startswith(slow) else 1.0
        assert ratio == pytest.approx(expected), name
