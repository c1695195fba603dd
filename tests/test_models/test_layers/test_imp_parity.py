"""IMPContext against the benchmark's IMPPredictor (recorded).

``tests/data/parity/imp.pth`` comes from ``tools/parity/gen_imp.py``.
"""
import pytest
from context_parity import (MODES, assert_parity, convert, differences,
                            load_fixture)


@pytest.fixture(scope='module')
def data():
    return load_fixture('imp')


def test_conversion_covers_every_tensor(data):
    _, head, notes = convert('imp', data['weights'])
    # IMP classifies f_k alone: no frequency bias.
    assert set(head) == {'rel_classifier.weight', 'rel_classifier.bias'}
    assert notes == []


@pytest.mark.parametrize('mode', MODES)
def test_eval_matches_benchmark(data, mode):
    diffs = differences('imp', data, data[mode], mode)
    expected = {'rel_logits', 'obj_logits', 'rel_feats'}
    if mode != 'predcls':
        expected.add('edge_ctx')
    assert expected <= set(diffs)
    assert_parity(diffs)
