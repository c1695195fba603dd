import pytest
import torch
from head_inputs import (NUM_CLASSES, NUM_PREDICATES, base_head_cfg, feats,
                         samples_and_objects, sgdet_objects)
from mmdet.registry import MODELS
from torch import nn

from mmsgg_rde.models.layers import batch_pairs
from mmsgg_rde.models.relation_heads import BaseRelationHead, MotifsHead


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
    cfg = dict(
        type='MotifsHead',
        mode=mode,
        embed_dim=4,
        embed_init='random',
        pos_embed=dict(hidden_channels=4, out_channels=4),
        hidden_dim=8,
        **base_head_cfg())
    cfg.update(kwargs)
    return cfg


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
    pairs = batch_pairs([len(o) for o in objects], sampled[0][0])
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


def test_predcls_drops_decoder_weights_of_other_modes():
    sgcls = MODELS.build(head_cfg('sgcls'))
    predcls = MODELS.build(head_cfg('predcls'))
    state = sgcls.state_dict()
    assert any(k.startswith('decoder.') for k in state)
    predcls.load_state_dict(state, strict=True)
    assert torch.equal(predcls.post_cat.weight, sgcls.post_cat.weight)


def test_glove_is_the_default_and_must_be_configured(tmp_path):
    cfg = head_cfg('sgcls', embed_init='glove')
    with pytest.raises(ValueError, match='glove.6B.zip.*embed_init'):
        MODELS.build(cfg).init_weights()
    with pytest.raises(ValueError, match='embed_init'):
        MODELS.build(head_cfg(embed_init='word2vec'))

    words = ['start'] + [f'w{i}' for i in range(NUM_CLASSES)]
    (tmp_path /
     'glove.6B.4d.txt').write_text(''.join(f'{word} {i} {i} {i} {i}\n'
                                           for i, word in enumerate(words)))
    head = MODELS.build(dict(cfg, glove_dir=str(tmp_path)))
    for embed in (head.obj_embed, head.edge_embed, head.decoder.label_embed):
        embed.set_class_names([f'w{i}' for i in range(NUM_CLASSES)])
    head.init_weights()
    expected = torch.arange(1, NUM_CLASSES + 1.)[:, None].expand(-1, 4)
    for embed in (head.obj_embed, head.edge_embed, head.decoder.label_embed):
        assert torch.equal(embed.weight[:NUM_CLASSES], expected)
    # '__background__' is not a word: random; 'start' is.
    assert head.obj_embed.weight.shape == (NUM_CLASSES + 1, 4)
    assert torch.equal(head.decoder.label_embed.weight[NUM_CLASSES + 1],
                       torch.zeros(4))


def test_sgcls_needs_logits_with_background():
    head = MODELS.build(head_cfg('sgcls'))
    samples, objects = samples_and_objects('sgcls')
    for obj in objects:
        obj.logits = obj.logits[:, :NUM_CLASSES]
    with pytest.raises(ValueError, match='background'):
        head.loss(feats(), objects, samples)


def test_sgdet_loss_covers_background_detections(monkeypatch):
    torch.manual_seed(0)
    head = MODELS.build(head_cfg('sgdet'))
    head.init_weights()
    samples, _ = samples_and_objects('sgdet')
    objects = sgdet_objects(samples)
    seen = []
    forward = head.loss_obj.forward

    def spy(logits, targets, *args, **kwargs):
        seen.append((logits, targets))
        return forward(logits, targets, *args, **kwargs)

    monkeypatch.setattr(head.loss_obj, 'forward', spy)
    losses = head.loss(feats(), objects, samples)
    assert set(losses) == {'loss_rel', 'loss_obj'}
    (logits, targets), = seen
    # Every detection, the background ones (last of each image) included,
    # in the 151-way loss.
    assert targets.tolist() == [1, 4, 2, NUM_CLASSES, 3, 5, NUM_CLASSES]
    assert logits.shape == (7, NUM_CLASSES + 1)
    torch.testing.assert_close(
        losses['loss_obj'], torch.nn.functional.cross_entropy(logits, targets))


def test_sgdet_training_needs_assigned_labels():
    head = MODELS.build(head_cfg('sgdet'))
    samples, _ = samples_and_objects('sgdet')
    objects = sgdet_objects(samples)
    del objects[0].assigned_labels
    with pytest.raises(KeyError, match='assigned_labels'):
        head.loss(feats(), objects, samples)


def test_sgdet_predict_relabels_and_regresses_boxes():
    torch.manual_seed(0)
    head = MODELS.build(head_cfg('sgdet'))
    head.init_weights()
    head.eval()
    samples, _ = samples_and_objects('sgdet')
    objects = sgdet_objects(samples)
    x = feats()
    with torch.no_grad():
        obj_results, rel_results = head.predict(x, objects, samples)
        out, _ = head.forward_pairs(x, objects,
                                    [head.test_pairs(o) for o in objects],
                                    [s.metainfo for s in samples])
    labels = torch.cat([r.labels for r in obj_results])
    # The labels of the frequency bias and of the output agree.
    assert torch.equal(labels, out.obj_labels)
    probs = out.obj_logits.softmax(1)
    for obj, res, probs_i in zip(objects, obj_results,
                                 probs.split([len(o) for o in objects])):
        assert (res.labels < NUM_CLASSES).all()
        rows = torch.arange(len(obj))
        assert torch.equal(res.bboxes, obj.bboxes_per_cls[rows, res.labels])
        assert torch.allclose(res.scores, probs_i[rows, res.labels])


def test_single_object_gets_the_benchmarks_placeholder_pair():
    head = MODELS.build(head_cfg())
    head.eval()
    samples, objects = samples_and_objects()
    objects = [objects[0][:1], objects[1]]
    with torch.no_grad():
        _, rel_results = head.predict(feats(), objects, samples)
    assert rel_results[0].pairs.tolist() == [[0, 0]]
    assert rel_results[1].pairs.shape == (2, 2)


def test_rejects_unknown_mode():
    with pytest.raises(ValueError, match='mode'):
        MotifsHead(**{
            k: v
            for k, v in head_cfg('detcls').items() if k != 'type'
        })
