"""TransformerContext against the benchmark's TransformerPredictor.

``tests/data/parity/transformer.pth`` comes from
``tools/parity/gen_transformer.py``.
"""
import pytest
import torch
from context_parity import (MODES, assert_parity, bg_last, convert,
                            differences, load_fixture, to_ours)

from mmsgg_rde.models.layers import greedy_label_nms


@pytest.fixture(scope='module')
def data():
    return load_fixture('transformer')


def test_conversion_covers_every_tensor(data):
    context, head, notes = convert('transformer', data['weights'])
    assert set(head) == {
        'rel_classifier.weight', 'rel_classifier.bias',
        'ctx_classifier.weight', 'ctx_classifier.bias',
        'freq_bias.obj_baseline.weight'
    }
    assert notes == []
    # The feed-forward 1x1 convolutions become linear weights.
    assert context['obj_context.layers.0.ffn.fc1.weight'].dim() == 2


@pytest.mark.parametrize('mode', MODES)
def test_eval_matches_benchmark(data, mode):
    diffs = differences('transformer', data, data[mode], mode)
    assert {
        'rel_logits', 'obj_logits', 'rel_feats', 'pair_ctx', 'edge_ctx',
        'obj_preds'
    } <= set(diffs)
    assert_parity(diffs)


@pytest.mark.parametrize('mode', ['sgcls', 'sgdet'])
def test_training_forward_matches_benchmark(data, mode):
    # The benchmark's training forward with its dropouts off, ours too.
    diffs = differences(
        'transformer',
        data,
        data['train'][mode],
        mode,
        train=True,
        dropout=0.0,
        box_dropout=0.0)
    assert_parity(diffs)


def test_sgdet_test_labels_come_from_the_label_nms(data):
    # The benchmark's SGDet test labels differ from the plain argmax here,
    # so the NMS is exercised.
    record = data['sgdet']['outputs']
    argmax = record['obj_logits'][:, 1:].argmax(1) + 1
    assert not torch.equal(argmax, record['obj_preds'])


def test_label_nms_matches_benchmark_corner_cases(data):
    cases = data['label_nms']
    for probs, boxes, labels in zip(cases['probs'], cases['boxes_per_cls'],
                                    cases['labels']):
        ours = greedy_label_nms(bg_last(probs), boxes[:, 1:], 0.5)
        assert torch.equal(ours, to_ours(labels, probs.size(1) - 1))
