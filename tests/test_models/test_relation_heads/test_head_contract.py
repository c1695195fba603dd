"""The relation head contract, on a minimal head a new head can copy.

``MinimalHead`` is the least a relation head writes: ``forward`` (the
predictor) returning a :class:`RelationContextOutput`. Everything else
(pair sampling, feature extraction, losses, post-processing, the RDE seam)
comes from :class:`BaseRelationHead`.
"""
import pytest
import torch
from head_inputs import (NUM_CLASSES, NUM_PREDICATES, base_head_cfg, feats,
                         mode_inputs)
from mmdet.registry import MODELS
from torch import nn

from mmsgg_rde.models.layers import RelationContextOutput
from mmsgg_rde.models.relation_heads import BaseRelationHead
from mmsgg_rde.structures import MODES


@MODELS.register_module(name='MinimalHead', force=True)
class MinimalHead(BaseRelationHead):
    """f_k: the union feature; object logits (SGCls/SGDet): a linear layer
    on the RoI feature."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.obj_classifier = None
        if self.mode != 'predcls':
            self.obj_classifier = nn.Linear(
                self.obj_feat_extractor.out_channels, self.num_classes + 1)

    def forward(self, obj_feats, union_feats, objects, rel_pairs,
                batch_img_metas):
        obj_logits = None
        obj_labels = torch.cat([o.labels for o in objects]).long()
        if self.obj_classifier is not None:
            obj_logits = self.obj_classifier(obj_feats)
            obj_labels = obj_logits[:, :self.num_classes].argmax(1)
        return RelationContextOutput(obj_labels, obj_feats, union_feats,
                                     obj_logits)


def minimal_cfg(mode, **kwargs):
    return dict(type='MinimalHead', mode=mode, **base_head_cfg(), **kwargs)


@pytest.mark.parametrize('mode', MODES)
def test_loss_keys_and_gradients(mode):
    torch.manual_seed(0)
    head = MODELS.build(minimal_cfg(mode))
    samples, objects = mode_inputs(mode)
    losses = head.loss(feats(), objects, samples)
    expected = {'loss_rel'} if mode == 'predcls' else {'loss_rel', 'loss_obj'}
    assert set(losses) == expected
    sum(losses.values()).backward()
    assert head.rel_classifier.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('mode', MODES)
def test_predict_results(mode):
    torch.manual_seed(0)
    head = MODELS.build(minimal_cfg(mode)).eval()
    samples, objects = mode_inputs(mode)
    with torch.no_grad():
        obj_results, rel_results = head.predict(feats(), objects, samples)
    for obj, obj_res, rel_res in zip(objects, obj_results, rel_results):
        n = len(obj)
        assert obj_res.bboxes.shape == (n, 4)
        assert ((obj_res.labels >= 0) & (obj_res.labels < NUM_CLASSES)).all()
        assert rel_res.scores.shape == (n * (n - 1), NUM_PREDICATES)
        assert (rel_res.labels > 0).all()


def test_forward_pairs_is_loss_and_predict_shared_step():
    torch.manual_seed(0)
    head = MODELS.build(minimal_cfg('predcls')).eval()
    samples, objects = mode_inputs('predcls')
    pairs = [head.test_pairs(o) for o in objects]
    with torch.no_grad():
        out, rel_logits = head.forward_pairs(feats(), objects, pairs,
                                             [s.metainfo for s in samples])
        expected = head.classify_relations(
            out.rel_feats, torch.tensor([1, 1, 4, 4, 2, 2, 3, 5]),
            torch.tensor([4, 2, 1, 2, 1, 4, 5, 3]))
    assert torch.equal(rel_logits, expected)


def test_empty_targets_give_a_zero_loss_with_a_graph():
    head = MODELS.build(minimal_cfg('predcls'))
    logits = torch.zeros(0, NUM_PREDICATES, requires_grad=True)
    out = RelationContextOutput(
        torch.zeros(0, dtype=torch.long), torch.zeros(0, 16), logits)
    losses = head.loss_by_feat(out, logits, [], [], torch.zeros(0).long(), [])
    assert losses['loss_rel'].item() == 0
    losses['loss_rel'].backward()


def test_rejects_unknown_mode():
    with pytest.raises(ValueError, match='predcls'):
        MODELS.build(minimal_cfg('detcls'))
