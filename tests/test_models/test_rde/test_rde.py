import functools

import pytest
import torch
import torch.nn as nn
from mmdet.registry import MODELS

from mmsgg_rde.models.rde import RDE

IN_CHANNELS = 12
NUM_PREDICATES = 4
NUM_CLASSES = 5
ALL_KEYS = {'loss_proto', 'loss_re', 'loss_info', 'loss_rde_pred'}


class StandInHead(nn.Module):
    """A relation head's classifier: linear layer plus frequency bias."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(IN_CHANNELS, NUM_PREDICATES)
        self.freq_bias = nn.Embedding(NUM_CLASSES * NUM_CLASSES,
                                      NUM_PREDICATES)

    def classify_relations(self, rel_feats, sub_labels, obj_labels):
        if rel_feats.size(0) != sub_labels.size(0):
            raise AssertionError('the classifier got rows of other pairs')
        bias = self.freq_bias(sub_labels * NUM_CLASSES + obj_labels)
        return self.fc(rel_feats) + bias


def _build(**kwargs):
    cfg = dict(
        type='RDE',
        in_channels=IN_CHANNELS,
        num_predicates=NUM_PREDICATES,
        num_classes=NUM_CLASSES,
        encoder=dict(embed_dims=8, num_blocks=2, num_tokens=2),
        imm=dict(type='IMMHead', hidden_channels=6))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _batch(num=8, fg=(0, 2, 3, 5, 6)):
    rel_feats = torch.randn(num, IN_CHANNELS, requires_grad=True)
    rel_labels = torch.zeros(num, dtype=torch.long)
    for i in fg:
        if i < num:
            rel_labels[i] = 1 + i % (NUM_PREDICATES - 1)
    sub_labels = torch.arange(num) % NUM_CLASSES
    obj_labels = (torch.arange(num) + 2) % NUM_CLASSES
    return rel_feats, rel_labels, sub_labels, obj_labels


def _loss(rde, head, rel_feats, rel_labels, sub_labels, obj_labels):
    classifier = functools.partial(
        head.classify_relations, sub_labels=sub_labels, obj_labels=obj_labels)
    return rde.loss(rel_feats, rel_labels, sub_labels, obj_labels, classifier)


def _grads_everywhere(module):
    return all(param.grad is not None for param in module.parameters())


def test_rde_default_losses_and_gradients():
    torch.manual_seed(0)
    rde, head = _build(), StandInHead()
    assert isinstance(rde, RDE)
    batch = _batch()
    losses = _loss(rde, head, *batch)
    assert set(losses) == ALL_KEYS
    for value in losses.values():
        assert value.dim() == 0 and torch.isfinite(value)
    sum(losses.values()).backward()
    assert rde.prototype_bank.prototypes.grad.abs().sum() > 0
    for block in rde.fdvae.blocks:
        assert block.mu_update[0].weight.grad.abs().sum() > 0
        assert block.sigma_attn.query_proj.weight.grad.abs().sum() > 0
    for classifier in rde.imm.classifiers.values():
        assert classifier[0].weight.grad.abs().sum() > 0
    assert head.fc.weight.grad.abs().sum() > 0
    assert head.freq_bias.weight.grad.abs().sum() > 0
    fg = batch[1] > 0
    assert batch[0].grad[fg].abs().sum() > 0
    # fg_only: background rows take no part in any RDE loss.
    assert not batch[0].grad[~fg].any()
    assert _grads_everywhere(rde)


def test_rde_each_loss_has_its_weight():
    torch.manual_seed(0)
    rde, head = _build(), StandInHead()
    batch = _batch()
    torch.manual_seed(1)
    base = _loss(rde, head, *batch)
    for key, cfg_name in (('loss_proto', 'loss_proto'), ('loss_re', 'loss_re'),
                          ('loss_info', 'loss_info'), ('loss_rde_pred',
                                                       'loss_pred')):
        getattr(rde, cfg_name).loss_weight = 3.0
        torch.manual_seed(1)
        scaled = _loss(rde, head, *batch)
        getattr(rde, cfg_name).loss_weight = 1.0
        assert scaled[key].item() == pytest.approx(3 * base[key].item())


def test_rde_pred_loss_is_classifier_ce_on_reconstructions():
    torch.manual_seed(0)
    rde = _build(loss_proto=None, loss_re=None, loss_info=None)
    head = StandInHead()
    rel_feats, rel_labels, sub_labels, obj_labels = _batch()
    torch.manual_seed(3)
    loss = _loss(rde, head, rel_feats, rel_labels, sub_labels, obj_labels)
    fg = rel_labels > 0
    torch.manual_seed(3)
    out = rde.fdvae(rel_feats[fg], rde.prototype_bank(), shuffle=True)
    logits = torch.cat([
        head.classify_relations(recon, sub_labels[fg], obj_labels[fg])
        for recon in (out.recon, out.shuffled_recon)
    ])
    # Summed over f' and f'' of the foreground pairs, divided by the 2 x 8
    # sampled pairs (avg_over='sampled').
    expected = nn.functional.cross_entropy(
        logits, rel_labels[fg].repeat(2), reduction='sum') / (2 * 8)
    assert loss['loss_rde_pred'].item() == pytest.approx(expected.item())


def test_rde_proto_loss_uses_foreground_prototypes():
    torch.manual_seed(0)
    rde = _build(loss_re=None, loss_info=None, loss_pred=None)
    assert rde.prototype_bank.num_prototypes == NUM_PREDICATES - 1
    rel_feats, rel_labels, sub_labels, obj_labels = _batch()
    losses = _loss(rde, StandInHead(), rel_feats, rel_labels, sub_labels,
                   obj_labels)
    fg = rel_labels > 0
    bank = rde.prototype_bank
    mu = rde(rel_feats[fg]).mu
    pull = bank.distance_to(mu, rel_labels[fg] - 1).sum() / len(rel_labels)
    push = torch.exp(-bank.pairwise_distances())
    push = (push.sum() - push.diagonal().sum()) / (
        bank.num_prototypes * (bank.num_prototypes - 1))
    assert losses['loss_proto'].item() == pytest.approx(
        (pull + push).item(), rel=1e-5)


@pytest.mark.parametrize('bg_prototype', [False, True])
def test_rde_all_pairs(bg_prototype):
    torch.manual_seed(0)
    rde = _build(fg_only=False, bg_prototype=bg_prototype)
    expected_protos = NUM_PREDICATES - (0 if bg_prototype else 1)
    assert rde.prototype_bank.num_prototypes == expected_protos
    batch = _batch()
    losses = _loss(rde, StandInHead(), *batch)
    assert set(losses) == ALL_KEYS
    sum(losses.values()).backward()
    assert batch[0].grad.abs().sum(dim=1).gt(0).all()


@pytest.mark.parametrize('num', [0, 1])
@pytest.mark.parametrize('fg', [(), (0, )])
def test_rde_empty_and_single_batches(num, fg):
    torch.manual_seed(0)
    rde, head = _build(), StandInHead()
    batch = _batch(num=num, fg=fg)
    losses = _loss(rde, head, *batch)
    assert set(losses) == ALL_KEYS
    for value in losses.values():
        assert value.requires_grad and torch.isfinite(value)
    if not (batch[1] > 0).any():
        for key in ('loss_re', 'loss_info', 'loss_rde_pred'):
            assert losses[key].item() == 0.0
    sum(losses.values()).backward()
    # Every parameter is reached (with zeros at worst), as DDP needs.
    assert _grads_everywhere(rde)


@pytest.mark.parametrize('switch,removed_key,removed_modules', [
    (dict(loss_proto=None), 'loss_proto', ()),
    (dict(loss_re=None), 'loss_re', ()),
    (dict(loss_info=None), 'loss_info', ('imm.', )),
    (dict(loss_pred=None), 'loss_rde_pred', ()),
])
def test_rde_switch_off_one_loss(switch, removed_key, removed_modules):
    torch.manual_seed(0)
    rde = _build(**switch)
    batch = _batch()
    losses = _loss(rde, StandInHead(), *batch)
    assert set(losses) == ALL_KEYS - {removed_key}
    names = [name for name, _ in rde.named_parameters()]
    for prefix in removed_modules:
        assert not any(name.startswith(prefix) for name in names)
    sum(losses.values()).backward()
    assert _grads_everywhere(rde)


def test_rde_without_decoder_or_sigma():
    torch.manual_seed(0)
    no_decoder = _build(loss_re=None, loss_pred=None)
    assert not hasattr(no_decoder.fdvae, 'sigma_proj')
    assert not hasattr(no_decoder.fdvae, 'output_proj')
    proto_only = _build(loss_re=None, loss_pred=None, loss_info=None)
    names = [name for name, _ in proto_only.named_parameters()]
    assert not any('sigma' in name for name in names)
    for rde in (no_decoder, proto_only):
        losses = _loss(rde, StandInHead(), *_batch())
        sum(losses.values()).backward()
        assert _grads_everywhere(rde)
    assert set(losses) == {'loss_proto'}


def test_rde_shuffle_switch():
    torch.manual_seed(0)
    head = StandInHead()
    calls = []

    def counting_classifier(feats, sub_labels, obj_labels):
        calls.append(feats.shape)
        return head.classify_relations(feats, sub_labels, obj_labels)

    rel_feats, rel_labels, sub_labels, obj_labels = _batch()
    classifier = functools.partial(
        counting_classifier, sub_labels=sub_labels, obj_labels=obj_labels)
    for shuffle, expected_calls in ((True, 2), (False, 1)):
        calls.clear()
        rde = _build(shuffle=shuffle)
        rde.loss(rel_feats, rel_labels, sub_labels, obj_labels, classifier)
        assert calls == [(8, IN_CHANNELS)] * expected_calls


@pytest.mark.parametrize('target', ['subject_object', 'predicate', 'triplet'])
def test_rde_imm_targets(target):
    torch.manual_seed(0)
    rde = _build(imm=dict(type='IMMHead', target=target, hidden_channels=6))
    assert rde.imm.target == target
    losses = _loss(rde, StandInHead(), *_batch())
    sum(losses.values()).backward()
    assert _grads_everywhere(rde)


def test_rde_is_reproducible_under_a_seed():
    torch.manual_seed(0)
    rde, head = _build(), StandInHead()
    batch = _batch()
    results = []
    for _ in range(2):
        torch.manual_seed(42)
        results.append(_loss(rde, head, *batch)['loss_rde_pred'].item())
    assert results[0] == results[1]


def test_rde_bad_config_and_inputs():
    with pytest.raises(ValueError, match='at least one'):
        _build(loss_proto=None, loss_re=None, loss_info=None, loss_pred=None)
    with pytest.raises(ValueError, match='num_predicates'):
        _build(num_predicates=1)
    with pytest.raises(ValueError, match='avg_over'):
        _build(avg_over='fg')
    rde = _build()
    rel_feats, rel_labels, sub_labels, obj_labels = _batch()
    head = StandInHead()
    with pytest.raises(ValueError, match='in_channels'):
        _loss(rde, head, rel_feats[:, :4], rel_labels, sub_labels, obj_labels)
    with pytest.raises(ValueError, match='sub_labels'):
        _loss(rde, head, rel_feats, rel_labels, sub_labels[:3], obj_labels)


def _per_pair_losses(rde, num_bg):
    """RDE's losses on fixed foreground pairs plus ``num_bg`` background."""
    torch.manual_seed(5)
    fg_feats = torch.randn(4, IN_CHANNELS)
    feats = torch.cat([fg_feats, torch.randn(num_bg, IN_CHANNELS)])
    labels = torch.cat(
        [torch.tensor([1, 2, 3, 1]),
         torch.zeros(num_bg, dtype=torch.long)])
    classes = torch.arange(len(labels)) % NUM_CLASSES
    torch.manual_seed(6)
    return _loss(rde, StandInHead(), feats, labels, classes, classes)


def test_rde_losses_are_per_sampled_pair():
    # avg_over='sampled': per-pair losses are divided by the head's sampled
    # pairs, so background pairs (outside RDE) dilute them as they dilute
    # the head's own loss; 'covered' averages over the covered pairs only.
    torch.manual_seed(0)
    rde = _build()
    few, many = _per_pair_losses(rde, 4), _per_pair_losses(rde, 12)
    for key in ('loss_re', 'loss_info', 'loss_rde_pred'):
        assert many[key].item() == pytest.approx(few[key].item() / 2)
    rde.avg_over = 'covered'
    few, many = _per_pair_losses(rde, 4), _per_pair_losses(rde, 12)
    for key in ALL_KEYS:
        assert many[key].item() == pytest.approx(few[key].item())


def test_rde_info_loss_is_the_mean_over_tasks():
    torch.manual_seed(0)
    rde = _build(
        loss_proto=None,
        loss_re=None,
        loss_pred=None,
        imm=dict(target='triplet'),
        avg_over='covered')
    rel_feats, rel_labels, sub_labels, obj_labels = _batch()
    loss = _loss(rde, StandInHead(), rel_feats, rel_labels, sub_labels,
                 obj_labels)['loss_info']
    fg = rel_labels > 0
    out = rde(rel_feats[fg])
    logits = rde.imm(out.sigma_s, out.sigma_o)
    targets = dict(
        subject=sub_labels[fg],
        object=obj_labels[fg],
        predicate=rel_labels[fg])
    expected = sum(
        nn.functional.cross_entropy(logits[task], targets[task])
        for task in ('subject', 'object', 'predicate')) / 3
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_rde_pred_pairs_all_covers_the_head_pairs():
    # The control of the extra foreground cross-entropy: with
    # pred_pairs='all' the reconstructions of every sampled pair, background
    # included, are classified; the other losses keep foreground pairs.
    head = StandInHead()
    rel_feats, rel_labels, sub_labels, obj_labels = _batch()
    seen = []

    def recording_classifier(feats, sub_labels, obj_labels):
        logits = head.classify_relations(feats, sub_labels, obj_labels)
        seen.append(feats)
        return logits

    classifier = functools.partial(
        recording_classifier, sub_labels=sub_labels, obj_labels=obj_labels)
    torch.manual_seed(0)
    control = _build(pred_pairs='all')
    torch.manual_seed(0)
    default = _build()
    fg = rel_labels > 0
    for rde, rows_from_rde in ((default, fg), (control, torch.ones_like(fg))):
        seen.clear()
        feats = rel_feats.detach().clone().requires_grad_()
        losses = rde.loss(feats, rel_labels, sub_labels, obj_labels,
                          classifier)
        # Rows not reconstructed are the detached original features.
        assert all(
            torch.equal(f[~rows_from_rde], rel_feats[~rows_from_rde])
            for f in seen)
        assert all(not torch.equal(f[rows_from_rde], rel_feats[rows_from_rde])
                   for f in seen)
        losses['loss_proto'].backward()
        assert not feats.grad[~fg].any()
    with pytest.raises(ValueError, match='pred_pairs'):
        _build(pred_pairs='foreground')


def test_rde_loss_configs_default_to_the_paper_types():
    rde = _build(
        loss_proto=dict(loss_weight=0.5), loss_info=dict(loss_weight=2.0))
    assert type(rde.loss_proto).__name__ == 'PrototypeContrastiveLoss'
    assert rde.loss_proto.loss_weight == 0.5
    assert type(rde.loss_info).__name__ == 'CrossEntropyLoss'
    assert rde.loss_info.loss_weight == 2.0


def test_rde_forward_is_analysis_only():
    rde = _build()
    out = rde(torch.randn(3, IN_CHANNELS))
    assert out.mu.shape == (3, 8) and out.recon.shape == (3, IN_CHANNELS)
    assert out.shuffled_recon is None
