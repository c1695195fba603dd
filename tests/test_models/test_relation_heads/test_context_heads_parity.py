"""VCTreeHead, TransformerHead and IMPHead against the benchmark's
predictors (``VCTreePredictor``, ``TransformerPredictor``,
``IMPPredictor``).

The fixtures ``tests/data/parity/{vctree,transformer,imp}.pth`` (from
``tools/parity/gen_<name>.py``) record each predictor's inputs (RoI and
union features, boxes, detector logits, pairs) and its object and relation
logits in eval mode, at reduced widths. Our head, with the converted
weights, runs its predictor (:meth:`forward`) and its relation classifier
on the same inputs (``head_parity.py``); the logits agree to ``RTOL``
relative.
"""
import pytest
from context_parity import assert_parity, load_fixture
from head_parity import HEADS, head_config, head_differences
from mmdet.registry import MODELS

from mmsgg_rde.structures import MODES


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(HEADS))
def test_eval_logits_match_benchmark(name, mode):
    assert_parity(head_differences(name, load_fixture(name), mode))


@pytest.mark.parametrize('name', sorted(HEADS))
def test_registered_and_f_k_width(name):
    sizes = load_fixture(name)['sizes']
    head = MODELS.build(head_config(name, sizes, 'predcls'))
    expected = sizes['hidden_dim'] if name == 'imp' else sizes['feat_dim']
    assert head.rel_feat_dim == expected
    assert (head.freq_bias is None) == (name == 'imp')
