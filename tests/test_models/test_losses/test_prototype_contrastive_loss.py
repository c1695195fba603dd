import math

import pytest
import torch
from mmdet.registry import MODELS

from mmsgg_rde.models.losses import (PrototypeContrastiveLoss,
                                     prototype_contrastive_loss)
from mmsgg_rde.models.rde import PrototypeBank

PROTO_DIST = [[0.0, 0.5, 2.0], [0.5, 0.0, 1.5], [2.0, 1.5, 0.0]]


def _push(dists, temperature=1.0):
    """Mean of exp(-d / T) over the off-diagonal entries (each pair twice)."""
    return sum(2 * math.exp(-d / temperature) for d in dists) / 6


def test_prototype_contrastive_loss_hand_computed():
    # pull = (1 + 3) / 2 = 2; push = mean over the 6 off-diagonal entries.
    pos = torch.tensor([1.0, 3.0])
    proto = torch.tensor(PROTO_DIST)
    loss = PrototypeContrastiveLoss(
        temperature=1.0, pull_weight=1.0, push_weight=3.0, loss_weight=2.0)
    expected = 2 * (2.0 + 3 * _push([0.5, 2.0, 1.5]))
    assert loss(pos, proto).item() == pytest.approx(expected)
    # avg_factor divides the summed pull: (1 + 3) / 8.
    loss = prototype_contrastive_loss(pos, proto, avg_factor=8)
    assert loss.item() == pytest.approx(0.5 + _push([0.5, 2.0, 1.5]))


def test_prototype_contrastive_loss_temperature_and_diagonal():
    pos = torch.tensor([0.0])
    proto = torch.tensor(PROTO_DIST)
    loss = prototype_contrastive_loss(pos, proto, temperature=0.5)
    assert loss.item() == pytest.approx(_push([0.5, 2.0, 1.5], 0.5))
    # The diagonal never counts, whatever it holds.
    proto.fill_diagonal_(-10.0)
    loss = prototype_contrastive_loss(pos, proto, temperature=0.5)
    assert loss.item() == pytest.approx(_push([0.5, 2.0, 1.5], 0.5))


def test_prototype_contrastive_loss_pushes_every_pair_closest_most():
    pos = torch.tensor([1.0, 3.0], requires_grad=True)
    proto = torch.tensor(PROTO_DIST, requires_grad=True)
    prototype_contrastive_loss(pos, proto).backward()
    assert torch.allclose(pos.grad, torch.tensor([0.5, 0.5]))
    # d push / d D = -exp(-D) / 6 off the diagonal: never zero, largest for
    # the closest pair.
    grad = proto.grad
    assert (grad[~torch.eye(3, dtype=torch.bool)] < 0).all()
    assert grad[0, 1] == pytest.approx(-math.exp(-0.5) / 6)
    assert grad[0, 1] < grad[1, 2] < grad[0, 2]
    assert (grad.diagonal() == 0).all()


def test_push_acts_on_prototypes_at_default_init_512d():
    # At the protocol's 512-d latent, default prototypes are far apart in
    # eq. 4's distance, yet the push still moves every one of them.
    torch.manual_seed(0)
    bank = PrototypeBank(50, 512)
    loss = PrototypeContrastiveLoss()(torch.zeros(0),
                                      bank.pairwise_distances())
    loss.backward()
    per_prototype = bank.prototypes.grad.norm(dim=1)
    assert (per_prototype > 1e-4).all()
    assert loss.item() > 0.01


def test_push_separates_collapsed_prototypes():
    # Ten prototypes start within 1e-4 of one another; a few SGD steps at
    # the protocol's learning rate spread them.
    torch.manual_seed(0)
    bank = PrototypeBank(10, 512)
    with torch.no_grad():
        bank.prototypes.copy_(bank.prototypes[:1] +
                              1e-4 * torch.randn(10, 512) / 512**0.5)
    loss_fn = PrototypeContrastiveLoss()
    optimizer = torch.optim.SGD(bank.parameters(), lr=0.12, momentum=0.9)

    def min_distance():
        dist = bank.pairwise_distances().detach()
        return dist[~torch.eye(10, dtype=torch.bool)].min().item()

    start = min_distance()
    for _ in range(10):
        optimizer.zero_grad()
        loss_fn(torch.zeros(0), bank.pairwise_distances()).backward()
        optimizer.step()
    assert start < 0.01
    assert min_distance() > 0.5


def test_prototype_contrastive_loss_empty_inputs():
    pos = torch.zeros(0, requires_grad=True)
    proto = torch.zeros(1, 1, requires_grad=True)
    loss = PrototypeContrastiveLoss()(pos, proto)
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert pos.grad.shape == (0, )


def test_prototype_contrastive_loss_bad_input():
    with pytest.raises(ValueError, match='pos_dist'):
        prototype_contrastive_loss(torch.zeros(2, 1), torch.zeros(3, 3))
    with pytest.raises(ValueError, match='proto_dist'):
        prototype_contrastive_loss(torch.zeros(2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match='temperature'):
        MODELS.build(dict(type='PrototypeContrastiveLoss', temperature=0.0))
