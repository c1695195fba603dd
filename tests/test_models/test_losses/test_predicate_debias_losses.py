import math

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS

COUNTS = [0, 10, 1, 4]


def _build(type_name, **kwargs):
    return MODELS.build(
        dict(type=type_name, predicate_counts=COUNTS, **kwargs))


def test_reweighted_weights_by_hand():
    # n = 10, 1, 4: 1 / n sums to 3 over the 15 relations, so c = 15 / 3
    # and w = 5 / n; background keeps 1.
    loss = _build('ReweightedCrossEntropyLoss')
    weights = loss.class_weights(4)
    assert weights.tolist() == pytest.approx([1.0, 0.5, 5.0, 1.25])
    counts = torch.tensor(COUNTS[1:], dtype=torch.float)
    assert (weights[1:] * counts).sum().item() == pytest.approx(15)
    # power 0 is the plain cross-entropy.
    plain = _build('ReweightedCrossEntropyLoss', power=0.0)
    assert plain.class_weights(4).tolist() == pytest.approx([1.0] * 4)


def test_reweighted_loss_is_weighted_cross_entropy():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 2, 0])
    loss = _build('ReweightedCrossEntropyLoss', loss_weight=2.0)
    weights = torch.tensor([1.0, 0.5, 5.0, 1.25])
    per_sample = F.cross_entropy(logits, labels, reduction='none')
    expected = 2.0 * (per_sample * weights[labels]).mean()
    assert loss(logits, labels).item() == pytest.approx(expected.item())
    assert loss(
        logits, labels,
        avg_factor=3).item() == pytest.approx(2 * expected.item())


def test_logit_adjusted_loss_shifts_rare_logits_down():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 2, 0])
    loss = _build('LogitAdjustedCrossEntropyLoss', tau=0.5)
    shift = torch.tensor([0.0, 0.0, math.log(1 / 10), math.log(4 / 10)])
    expected = F.cross_entropy(logits + 0.5 * shift, labels)
    assert loss(logits, labels).item() == pytest.approx(expected.item())


@pytest.mark.parametrize(
    'type_name',
    ['ReweightedCrossEntropyLoss', 'LogitAdjustedCrossEntropyLoss'])
def test_debias_losses_need_counts(type_name):
    loss = MODELS.build(dict(type=type_name))
    with pytest.raises(RuntimeError, match='PredicateCountsHook'):
        loss(torch.randn(2, 4), torch.tensor([0, 1]))
    loss.set_predicate_counts(COUNTS)
    with pytest.raises(ValueError, match='3 predicate logits'):
        loss(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='no foreground'):
        loss.set_predicate_counts([5, 0, 0])
    # Counts are derived from data, not learned: no state-dict entries.
    assert loss.state_dict() == {}
