"""VCTreeContext against the benchmark's VCTreePredictor (recorded).

``tests/data/parity/vctree.pth`` comes from ``tools/parity/gen_vctree.py``.
"""
import numpy as np
import pytest
import torch
from context_parity import (MODES, assert_parity, convert, differences,
                            load_fixture)

from mmsgg_rde.models.layers import (binary_forest, max_spanning_trees,
                                     relatedness_targets)


@pytest.fixture(scope='module')
def data():
    return load_fixture('vctree')


def test_conversion_covers_every_tensor(data):
    context, head, notes = convert('vctree', data['weights'])
    assert set(head) == {
        'rel_classifier.weight', 'rel_classifier.bias',
        'freq_bias.obj_baseline.weight'
    }
    assert len(notes) == 6 and all('untreated' in n or 'same tensors' in n
                                   for n in notes)
    num = data['sizes']['num_classes'] + 1
    # Background moves last: the benchmark's row 0 is our row C.
    assert torch.equal(
        context['obj_embed.embedding.weight'][-1],
        data['weights']['predictor.context_layer.obj_embed1.weight'][0])
    assert context['tree_scorer.pair_prior'].shape == (num, num)


@pytest.mark.parametrize('mode', MODES)
def test_eval_matches_benchmark(data, mode):
    diffs = differences('vctree', data, data[mode], mode)
    assert {
        'rel_logits', 'obj_logits', 'tree_logits', 'rel_feats', 'edge_ctx',
        'obj_preds'
    } <= set(diffs)
    assert_parity(diffs)


def test_predcls_training_step_matches_benchmark(data):
    record = data['train']['predcls']
    diffs = differences('vctree', data, record, 'predcls', train=True)
    # The auxiliary tree-score loss, from targets of the GT relations.
    assert 'binary_loss' in diffs
    assert_parity(diffs)


def test_relatedness_targets_match_benchmark_sampler(data):
    inputs = data['train']['predcls']['inputs']
    counts = inputs['num_objs'].tolist()
    sizes = [n * n for n in counts]
    for rel, binary, n in zip(inputs['relations'].split(sizes),
                              inputs['rel_binarys'].split(sizes), counts):
        target = relatedness_targets(n, rel.view(n, n).nonzero())
        assert torch.equal(target, binary.view(n, n).float())


def test_sgdet_relatedness_matches_benchmark(data):
    record = data['train']['sgdet_binary']
    targets = relatedness_targets(record['is_match'].size(1),
                                  record['relations'].nonzero(),
                                  record['is_match'])
    assert torch.equal(targets, record['binary'].float())


def test_trees_match_benchmark(data):
    cases = data['train']['trees']
    trees = max_spanning_trees([c['scores'] for c in cases.values()])
    forest = binary_forest(trees, torch.device('cpu'))
    offset = 0
    for case in cases.values():
        num = case['scores'].size(0)
        for ours, ref in ((forest.left, case['left']), (forest.right,
                                                        case['right'])):
            local = ours[offset:offset + num] - offset
            local[ours[offset:offset + num] == forest.num_nodes] = -1
            assert torch.equal(local, ref)
        offset += num


def test_levels_schedule_children_before_parents(data):
    trees = max_spanning_trees(
        [c['scores'] for c in data['train']['trees'].values()])
    forest = binary_forest(trees, torch.device('cpu'))
    height = np.zeros(forest.num_nodes + 1, dtype=int) - 1
    for level, nodes in enumerate(forest.up_levels):
        kids = torch.cat([forest.left[nodes], forest.right[nodes]])
        assert (height[kids.numpy()] < level).all()
        height[nodes.numpy()] = level
    depth = np.zeros(forest.num_nodes + 1, dtype=int) - 1
    for level, nodes in enumerate(forest.down_levels):
        assert (depth[forest.parent[nodes].numpy()] == level - 1).all()
        depth[nodes.numpy()] = level
    assert (height[:-1] >= 0).all() and (depth[:-1] >= 0).all()
