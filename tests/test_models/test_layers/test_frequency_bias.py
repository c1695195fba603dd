import math

import numpy as np
import pytest
import torch

from mmsgg_rde.models.layers import FrequencyBias


def test_lookup_by_class_pair():
    bias = FrequencyBias(num_classes=3, num_predicates=4)
    prior = np.arange(3 * 3 * 4, dtype=np.float32).reshape(3, 3, 4)
    bias.set_prior(prior)
    bias.init_weights()
    out = bias(torch.tensor([1, 2]), torch.tensor([2, 0]))
    assert torch.equal(out, torch.from_numpy(prior[[1, 2], [2, 0]]))


def test_background_pairs_have_no_counts():
    """Label num_classes is background: log(1 + eps) for predicate 0 and
    log(eps) for the others, as the benchmark's statistics give them."""
    bias = FrequencyBias(num_classes=3, num_predicates=4, eps=1e-3)
    assert bias.obj_baseline.weight.shape == (16, 4)
    bias.set_prior(np.zeros((3, 3, 4), dtype=np.float32))
    bias.init_weights()
    out = bias(torch.tensor([3, 0, 3]), torch.tensor([1, 3, 3]))
    expected = torch.tensor([math.log(1.001)] + [math.log(1e-3)] * 3)
    assert torch.allclose(out, expected.expand(3, 4))


def test_starts_at_zero_and_rejects_wrong_shape():
    bias = FrequencyBias(num_classes=3, num_predicates=4)
    assert bias.obj_baseline.weight.abs().sum() == 0
    with pytest.raises(ValueError, match='pred_dist'):
        bias.set_prior(np.zeros((3, 3, 5)))


def test_init_weights_reapplies_prior():
    bias = FrequencyBias(num_classes=2, num_predicates=3)
    prior = torch.rand(2, 2, 3)
    bias.set_prior(prior)
    torch.nn.init.normal_(bias.obj_baseline.weight)
    bias.init_weights()
    labels = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1])
    assert torch.allclose(bias(*labels), prior.view(4, 3))


def test_prior_given_again_leaves_a_trained_table():
    """A prior is an initialisation: giving it again (as the
    DatasetPriorHook does in the ``before_run`` of ``Runner.test()`` after
    ``Runner.train()``) must not reset what the table learnt."""
    bias = FrequencyBias(num_classes=2, num_predicates=3)
    prior = torch.rand(2, 2, 3)
    bias.set_prior(prior)
    assert bias.obj_baseline.weight.abs().sum() == 0
    bias.init_weights()
    trained = torch.full_like(bias.obj_baseline.weight, 7.)
    with torch.no_grad():
        bias.obj_baseline.weight.copy_(trained)
    bias.set_prior(prior)
    assert torch.equal(bias.obj_baseline.weight, trained)
