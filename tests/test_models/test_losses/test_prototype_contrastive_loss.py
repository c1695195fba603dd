import pytest
import torch

from mmsgg_rde.models.losses import (PrototypeContrastiveLoss,
                                     prototype_contrastive_loss)

PROTO_DIST = [[0.0, 0.5, 2.0], [0.5, 0.0, 1.5], [2.0, 1.5, 0.0]]


def test_prototype_contrastive_loss_hand_computed():
    # pull = (1 + 3) / 2 = 2; push: only the pair at 0.5 is inside the
    # margin 1, twice among the 6 off-diagonal entries: 2 * 0.5 / 6 = 1 / 6.
    pos = torch.tensor([1.0, 3.0])
    proto = torch.tensor(PROTO_DIST)
    loss = PrototypeContrastiveLoss(
        margin=1.0, pull_weight=1.0, push_weight=3.0, loss_weight=2.0)
    assert loss(pos, proto).item() == pytest.approx(2 * (2.0 + 3 / 6))


def test_prototype_contrastive_loss_margin_and_diagonal():
    pos = torch.tensor([0.0])
    proto = torch.tensor(PROTO_DIST)
    # Margin 2: hinge 1.5, 0, 0.5 for the three pairs, each twice.
    loss = prototype_contrastive_loss(pos, proto, margin=2.0)
    assert loss.item() == pytest.approx(2 * (1.5 + 0.5) / 6)
    # The diagonal never counts, whatever it holds.
    proto.fill_diagonal_(-10.0)
    loss = prototype_contrastive_loss(pos, proto, margin=2.0)
    assert loss.item() == pytest.approx(2 * (1.5 + 0.5) / 6)


def test_prototype_contrastive_loss_gradients():
    pos = torch.tensor([1.0, 3.0], requires_grad=True)
    proto = torch.tensor(PROTO_DIST, requires_grad=True)
    prototype_contrastive_loss(pos, proto, margin=1.0).backward()
    assert torch.allclose(pos.grad, torch.tensor([0.5, 0.5]))
    # Only the close pair is pushed (d loss / d D = -1 / 6).
    expected = torch.zeros(3, 3)
    expected[0, 1] = expected[1, 0] = -1 / 6
    assert torch.allclose(proto.grad, expected)


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
    with pytest.raises(ValueError, match='margin'):
        PrototypeContrastiveLoss(margin=-1.0)
