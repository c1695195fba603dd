import math

import pytest
import torch

from mmsgg_rde.models.losses import ReconstructionLoss, reconstruction_loss
from mmsgg_rde.models.rde import RDE

PRED = [[1.0, 0.0], [0.0, 2.0]]
TARGET = [[1.0, 1.0], [0.0, 1.0]]


def test_reconstruction_loss_hand_computed():
    # Row 1: MSE (0 + 1) / 2 = 0.5, cos = 1 / sqrt(2).
    # Row 2: MSE (0 + 1) / 2 = 0.5, cos = 1.
    pred, target = torch.tensor(PRED), torch.tensor(TARGET)
    row1 = 0.5 + 2 * (1 - 1 / math.sqrt(2))
    row2 = 0.5 + 2 * 0.0
    expected = 0.5 * (row1 + row2) / 2
    loss = ReconstructionLoss(cosine_weight=2.0, loss_weight=0.5)
    assert loss(pred, target).item() == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.396447, abs=1e-6)


def test_reconstruction_loss_terms_and_avg_factor():
    pred, target = torch.tensor(PRED), torch.tensor(TARGET)
    mse_only = reconstruction_loss(pred, target, cosine_weight=0.0)
    assert mse_only.item() == pytest.approx(0.5)
    cos_only = reconstruction_loss(pred, target, mse_weight=0.0)
    assert cos_only.item() == pytest.approx((1 - 1 / math.sqrt(2)) / 2)
    summed = reconstruction_loss(pred, target, avg_factor=4)
    assert summed.item() == pytest.approx((1.0 + 1 - 1 / math.sqrt(2)) / 4)


@pytest.mark.parametrize('detach_target', [True, False])
def test_reconstruction_loss_detach_target(detach_target):
    pred = torch.tensor(PRED, requires_grad=True)
    target = torch.tensor(TARGET, requires_grad=True)
    ReconstructionLoss(detach_target=detach_target)(pred, target).backward()
    assert pred.grad is not None
    assert (target.grad is None) == detach_target


def test_reconstruction_loss_empty_stays_in_graph():
    pred = torch.zeros(0, 4, requires_grad=True)
    loss = ReconstructionLoss()(pred, torch.zeros(0, 4))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    assert pred.grad.shape == (0, 4)


def test_reconstruction_loss_bad_input():
    with pytest.raises(ValueError, match='same shape'):
        reconstruction_loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match='>= 0'):
        ReconstructionLoss(mse_weight=-1.0)


def test_reconstruction_target_is_detached_by_default():
    """L_re must not reach the relation head through its target f (which
    could shrink f to make it easy to reconstruct): by default, alone and as
    RDE builds it."""
    for loss in (ReconstructionLoss(), RDE(in_channels=8).loss_re):
        pred = torch.tensor(PRED, requires_grad=True)
        target = torch.tensor(TARGET, requires_grad=True)
        loss(pred, target).backward()
        assert pred.grad is not None
        assert target.grad is None
