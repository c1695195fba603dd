import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData
from torch import nn

from mmsgg_rde.models.relation_heads import BaseRelationHead, MotifsHead
from mmsgg_rde.structures import SceneGraphDataSample

NUM_CLASSES = 6
NUM_PREDICATES = 5
CHANNELS = 8
IMG = 64


@MODELS.register_module(name='SpyRDE', force=True)
class SpyRDE(nn.Module):
    """Records what the head passes through the RDE seam."""

    def __init__(self, in_channels, num_predicates, num_classes):
        super().__init__()
        self.in_channels = in_channels
        self.scale = nn.Parameter(torch.ones(1))
        self.calls = []

    def loss(self, rel_feats, rel_labels, sub_labels, obj_labels, classifier):
        logits = classifier(rel_feats)
        self.calls.append(
            dict(
                rel_feats=rel_feats,
                rel_labels=rel_labels,
                sub_labels=sub_labels,
                obj_labels=obj_labels,
                logits=logits))
        return dict(loss_spy=(self.scale * logits).mean())


def head_cfg(mode='predcls', **kwargs):
    roi = dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=CHANNELS,
        featmap_strides=[4, 8, 16, 32])
    cfg = dict(
        type='MotifsHead',
        mode=mode,
        num_classes=NUM_CLASSES,
        num_predicates=NUM_PREDICATES,
        obj_feat_extractor=dict(
            type='RoIFeatureExtractor', roi_extractor=roi, fc_out_channels=16),
        union_feat_extractor=dict(
            type='UnionFeatureExtractor',
            roi_extractor=roi,
            fc_out_channels=12),
        embed_dim=4,
        embed_init='random',
        pos_embed=dict(hidden_channels=4, out_channels=4),
        hidden_dim=8,
        train_cfg=dict(
            sampler=dict(type='RelationSampler', num=6, pos_fraction=0.5)))
    cfg.update(kwargs)
    return cfg


def feats(batch=2):
    return tuple(
        torch.rand(batch, CHANNELS, IMG // s, IMG // s)
        for s in (4, 8, 16, 32))


def samples_and_objects(mode='predcls'):
    boxes = [
        torch.tensor([[2., 2., 30., 30.], [20., 10., 60., 40.],
                      [5., 40., 25., 62.]]),
        torch.tensor([[0., 0., 40., 40.], [30., 30., 63., 63.]])
    ]
    labels = [torch.tensor([1, 4, 2]), torch.tensor([3, 5])]
    rels = [(torch.tensor([[0, 1], [2, 0]]), torch.tensor([2, 4])),
            (torch.tensor([[1, 0]]), torch.tensor([1]))]
    samples, objects = [], []
    for b, lab, (pairs, rel_labels) in zip(boxes, labels, rels):
        sample = SceneGraphDataSample(
            metainfo=dict(img_shape=(IMG, IMG), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=b, labels=lab)
        sample.gt_relations = InstanceData(pairs=pairs, labels=rel_labels)
        samples.append(sample)
        obj = InstanceData(bboxes=b, labels=lab, scores=torch.ones(len(b)))
        if mode != 'predcls':
            obj.logits = torch.randn(len(b), NUM_CLASSES + 1)
            obj.labels = obj.logits[:, :NUM_CLASSES].argmax(1)
            obj.scores = obj.logits.softmax(1).max(1)[0]
        objects.append(obj)
    return samples, objects


@pytest.mark.parametrize('mode', ['predcls', 'sgcls'])
def test_loss_and_predict(mode):
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(mode))
    assert isinstance(head, BaseRelationHead)
    head.init_weights()
    samples, objects = samples_and_objects(mode)
    losses = head.loss(feats(), objects, samples)
    assert set(losses) == ({'loss_rel'}
                           if mode == 'predcls' else {'loss_rel', 'loss_obj'})
    sum(losses.values()).backward()
    assert head.rel_classifier.weight.grad is not None

    head.eval()
    with torch.no_grad():
        obj_results, rel_results = head.predict(feats(), objects, samples)
    for obj, obj_res, rel_res in zip(objects, obj_results, rel_results):
        n = len(obj)
        assert rel_res.pairs.shape == (n * (n - 1), 2)
        assert rel_res.scores.shape == (n * (n - 1), NUM_PREDICATES)
        assert torch.allclose(rel_res.scores.sum(1), torch.ones(n * (n - 1)))
        assert torch.equal(rel_res.labels, rel_res.scores[:, 1:].argmax(1) + 1)
        triplet = rel_res.scores[:, 1:].max(1)[0] * obj_res.scores[
            rel_res.pairs[:, 0]] * obj_res.scores[rel_res.pairs[:, 1]]
        assert (triplet[:-1] >= triplet[1:]).all()
        assert ((obj_res.labels >= 0) & (obj_res.labels < NUM_CLASSES)).all()
        if mode == 'predcls':
            assert torch.equal(obj_res.labels, obj.labels)
            assert (obj_res.scores == 1).all()
        else:
            assert ((obj_res.scores > 0) & (obj_res.scores <= 1)).all()


def test_predict_uses_classify_relations_and_not_rde(monkeypatch):
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(rde=dict(type='SpyRDE')))
    head.eval()
    calls = []
    original = head.classify_relations

    def spy(rel_feats, sub_labels, obj_labels):
        calls.append(rel_feats.shape[0])
        return original(rel_feats, sub_labels, obj_labels)

    monkeypatch.setattr(head, 'classify_relations', spy)
    samples, objects = samples_and_objects()
    with torch.no_grad():
        head.predict(feats(), objects, samples)
    assert calls == [3 * 2 + 2 * 1]
    assert head.rde.calls == []


def test_rde_seam_in_loss(monkeypatch):
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(rde=dict(type='SpyRDE')))
    assert head.rde.in_channels == head.rel_feat_dim == 12
    sampled = []
    original = head.sample_pairs

    def spy(objects, samples):
        pairs, labels = original(objects, samples)
        sampled.append((pairs, labels))
        return pairs, labels

    monkeypatch.setattr(head, 'sample_pairs', spy)
    samples, objects = samples_and_objects()
    losses = head.loss(feats(), objects, samples)
    assert {'loss_spy', 'loss_rel'} <= set(losses)
    (call, ) = head.rde.calls
    # Image 0: 2 fg + 4 bg pairs (num=6); image 1: 1 fg + 1 bg.
    assert call['rel_feats'].shape == (8, 12)
    pairs = head.global_pairs(objects, sampled[0][0])
    assert torch.equal(call['rel_labels'], torch.cat(sampled[0][1]))
    assert call['rel_labels'].tolist().count(0) == 5
    # PredCls: the GT classes of subject and object.
    gt_labels = torch.tensor([1, 4, 2, 3, 5])
    assert torch.equal(call['sub_labels'], gt_labels[pairs[:, 0]])
    assert torch.equal(call['obj_labels'], gt_labels[pairs[:, 1]])
    expected = head.classify_relations(call['rel_feats'], call['sub_labels'],
                                       call['obj_labels'])
    assert torch.allclose(call['logits'], expected)


def test_rde_weights_dropped_when_loading_into_head_without_rde():
    torch.manual_seed(0)
    with_rde = MODELS.build(head_cfg(rde=dict(type='SpyRDE')))
    state = with_rde.state_dict()
    assert 'rde.scale' in state
    plain = MODELS.build(head_cfg())
    plain.load_state_dict(state)
    assert torch.equal(plain.rel_classifier.weight,
                       with_rde.rel_classifier.weight)
    # A head with RDE keeps its rde weights as ordinary parameters.
    state['rde.scale'] = torch.full((1, ), 3.)
    with_rde.load_state_dict(state)
    assert with_rde.rde.scale.item() == 3.


def test_predcls_has_no_decoder_and_sgcls_has_one():
    assert MODELS.build(head_cfg('predcls')).decoder is None
    assert MODELS.build(head_cfg('sgcls')).decoder is not None


def test_rejects_unknown_mode():
    with pytest.raises(ValueError, match='mode'):
        MotifsHead(**{
            k: v
            for k, v in head_cfg('detcls').items() if k != 'type'
        })
