import math

import pytest
import torch
from mmengine.structures import InstanceData

from mmsgg_rde.models.layers import (VCTreeContext, VCTreePairScorer,
                                     max_spanning_trees, overlap_info,
                                     relatedness_targets, tree_score_loss)


def test_overlap_info_by_hand():
    boxes = torch.tensor([[0., 0., 9., 9.], [5., 5., 14., 14.],
                          [100., 100., 101., 101.]])
    info = overlap_info(boxes, scale=10.0)
    # Box 0: itself (100 px) and box 1 (5 x 5 = 25 px, IoU 25 / 175).
    assert info[0].tolist() == pytest.approx(
        [2, 1.25, 1 + 25 / 175, 0.625, (1 + 25 / 175) / 2, 0.81], rel=1e-5)
    assert info[2, 0] == 1


def test_max_spanning_trees_by_hand():
    scores = torch.tensor([[0.0, 0.9, 0.1], [0.2, 0.0, 0.8], [0.3, 0.3, 0.0]])
    ties = torch.zeros(4, 4)
    (order, parent), (tie_order, tie_parent), (one, _) = max_spanning_trees(
        [scores, ties, torch.rand(1, 1)])
    # Root: highest row mean (0 and 1 tie: the first); then 0 -> 1 (0.9),
    # then 1 -> 2 (0.8 beats 0.1).
    assert order.tolist() == [0, 1, 2] and parent.tolist() == [-1, 0, 1]
    # All ties: the first tree node adopts the others in index order.
    assert tie_order.tolist() == [0, 1, 2, 3]
    assert tie_parent.tolist() == [-1, 0, 0, 0]
    assert one.tolist() == [0]


def test_max_spanning_trees_batch_equals_single():
    torch.manual_seed(0)
    scores = [torch.rand(n, n) for n in (7, 3, 5)]
    batch = max_spanning_trees(scores)
    for s, (order, parent) in zip(scores, batch):
        single_order, single_parent = max_spanning_trees([s])[0]
        assert (order == single_order).all()
        assert (parent == single_parent).all()


def test_pair_scorer_prior_from_statistics():
    scorer = VCTreePairScorer(
        feat_channels=4, embed_dim=3, hidden_channels=6, num_classes=2)
    pred_dist = torch.arange(2 * 2 * 3, dtype=torch.float).view(2, 2, 3)
    scorer.set_prior(pred_dist)
    scorer.init_weights()
    co = pred_dist.sum(-1)
    prior = scorer.pair_prior.detach()
    assert torch.equal(prior[:2, :2], co + co.t())
    # Pairs with background (last): log(1 + eps) + 2 log(eps), twice.
    expected = 2 * (math.log(1.001) + 2 * math.log(1e-3))
    assert prior[2, 2].item() == pytest.approx(expected)
    with pytest.raises(ValueError, match='num_classes'):
        scorer.set_prior(torch.zeros(3, 3, 3))


def test_pair_scorer_prior_given_again_leaves_a_trained_prior():
    scorer = VCTreePairScorer(
        feat_channels=4, embed_dim=3, hidden_channels=6, num_classes=2)
    pred_dist = torch.rand(2, 2, 3)
    scorer.set_prior(pred_dist)
    scorer.init_weights()
    with torch.no_grad():
        scorer.pair_prior.fill_(7.)
    scorer.set_prior(pred_dist)
    assert (scorer.pair_prior == 7).all()


def test_relatedness_targets_and_loss():
    pairs = torch.tensor([[0, 1], [2, 1]])
    target = relatedness_targets(3, pairs)
    assert target.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    # Detections 0 and 2 match GT box 0, detection 1 matches GT box 1.
    match = torch.tensor([[True, False, True], [False, True, False],
                          [False, False, False]])
    target = relatedness_targets(3, pairs, match)
    assert target.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    logits = [torch.zeros(3, 3), torch.zeros(2, 2)]
    loss = tree_score_loss(logits, [target, torch.ones(2, 2)])
    assert loss.item() == pytest.approx(math.log(2))


def _objects():
    torch.manual_seed(0)
    out = []
    for num in (4, 3):
        xy = torch.rand(num, 2) * 20
        out.append(
            InstanceData(
                bboxes=torch.cat([xy, xy + 5 + torch.rand(num, 2) * 10], 1),
                labels=torch.randint(0, 5, (num, )),
                logits=torch.randn(num, 6)))
    return out


def _context(mode: str) -> VCTreeContext:
    context = VCTreeContext(
        in_channels=8,
        rel_channels=8,
        num_classes=5,
        mode=mode,
        embed_dim=4,
        hidden_channels=6)
    torch.manual_seed(1)
    context.tree_scorer.set_prior(0.1 * torch.randn(5, 5, 3))
    context.init_weights()
    return context


def test_context_outputs_and_backward():
    objects = _objects()
    pairs = [torch.tensor([[0, 1], [3, 2]]), torch.tensor([[2, 0]])]
    metas = [dict(img_shape=(40, 40))] * 2
    context = _context('sgcls')
    context.train()
    feats = torch.randn(7, 8, requires_grad=True)
    out = context(feats, torch.randn(3, 8), objects, pairs, metas)
    assert out.rel_feats.shape == (3, 8) and out.pair_ctx.shape == (3, 12)
    assert out.obj_logits.shape == (7, 6) and out.edge_ctx.shape == (7, 6)
    assert [t.shape for t in out.tree_logits] == [(4, 4), (3, 3)]
    # The tree scorer sees detached features, as in the benchmark: its
    # loss trains the scorer only.
    tree_score_loss(out.tree_logits,
                    [torch.eye(4), torch.eye(3)]).backward(retain_graph=True)
    assert feats.grad is None
    assert context.tree_scorer.score_pre.weight.grad.abs().sum() > 0
    out.rel_feats.sum().backward()
    assert feats.grad is not None


def test_predcls_loads_checkpoint_with_decoder():
    state = _context('sgcls').state_dict()
    predcls = _context('predcls')
    assert predcls.decoder is None
    predcls.load_state_dict(state, strict=True)


def test_logits_must_have_background_column():
    objects = _objects()
    for obj in objects:
        obj.logits = obj.logits[:, :5]
    with pytest.raises(ValueError, match='background last'):
        _context('sgcls')(torch.randn(7, 8), torch.randn(1, 8), objects, [
            torch.tensor([[0, 1]]),
            torch.zeros(0, 2, dtype=torch.long)
        ], [dict(img_shape=(40, 40))] * 2)
