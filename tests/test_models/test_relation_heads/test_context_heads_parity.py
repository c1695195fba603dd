"""VCTreeHead, TransformerHead and IMPHead against the benchmark's
predictors (``VCTreePredictor``, ``TransformerPredictor``,
``IMPPredictor``).

The fixtures ``tests/data/parity/{vctree,transformer,imp}.pth`` (from
``tools/parity/gen_<name>.py``) record each predictor's inputs (RoI and
union features, boxes, detector logits, pairs) and its object and relation
logits in eval mode, at reduced widths. Our head, with the converted
weights, runs its predictor (:meth:`forward`) and its relation classifier
on the same inputs; the logits agree to ``RTOL`` relative.
"""
import pytest
import torch
from context_parity import (assert_parity, bg_last, convert, difference,
                            load_fixture, make_inputs)
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

from mmsgg_rde.models.layers import batch_pairs
from mmsgg_rde.structures import MODES

HEADS = dict(vctree='VCTreeHead', transformer='TransformerHead', imp='IMPHead')


def head_config(name: str, sizes: dict, mode: str) -> dict:
    """Our head at the fixture's sizes (feature extractors unused here)."""
    roi = dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=4,
        featmap_strides=[4])
    context = dict(type=HEADS[name].replace('Head', 'Context'))
    context.update(hidden_channels=sizes['hidden_dim'])
    if name != 'imp':
        context.update(embed_dim=sizes['embed_dim'])
    if name == 'transformer':
        context.update(
            num_heads=sizes['num_heads'],
            key_dim=sizes['key_dim'],
            value_dim=sizes['value_dim'],
            feedforward_channels=sizes['inner_dim'])
    extractor = dict(roi_extractor=roi, fc_out_channels=sizes['feat_dim'])
    return dict(
        type=HEADS[name],
        mode=mode,
        num_classes=sizes['num_classes'],
        num_predicates=sizes['num_predicates'],
        obj_feat_extractor=dict(type='RoIFeatureExtractor', **extractor),
        union_feat_extractor=dict(type='UnionFeatureExtractor', **extractor),
        context=context)


def build_head(name: str, data: dict, mode: str):
    """Our head with the benchmark predictor's converted weights."""
    init_default_scope('mmdet')
    head = MODELS.build(head_config(name, data['sizes'], mode))
    context, rest, _ = convert(name, data['weights'])
    state = dict(rest, **{f'context.{k}': v for k, v in context.items()})
    missing, unexpected = head.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    # Only the feature extractors, whose outputs the fixture records.
    assert all(
        k.split('.')[0] in ('obj_feat_extractor', 'union_feat_extractor')
        for k in missing), missing
    return head.eval()


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(HEADS))
def test_eval_logits_match_benchmark(name, mode):
    data = load_fixture(name)
    head = build_head(name, data, mode)
    record = data[mode]
    obj_feats, union_feats, objects, pairs, metas = make_inputs(
        record['inputs'], mode, data['sizes']['num_classes'])
    with torch.no_grad():
        out = head(obj_feats, union_feats, objects, pairs, metas)
        rel_logits = head.relation_classifier(
            out, batch_pairs([len(o) for o in objects], pairs))(
                out.rel_feats)
    ref = record['outputs']
    diffs = dict(rel_logits=difference(rel_logits, ref['rel_logits']))
    if mode != 'predcls':
        diffs['obj_logits'] = difference(out.obj_logits,
                                         bg_last(ref['obj_logits']))
    assert_parity(diffs)


@pytest.mark.parametrize('name', sorted(HEADS))
def test_registered_and_f_k_width(name):
    sizes = load_fixture(name)['sizes']
    head = MODELS.build(head_config(name, sizes, 'predcls'))
    expected = sizes['hidden_dim'] if name == 'imp' else sizes['feat_dim']
    assert head.rel_feat_dim == expected
    assert (head.freq_bias is None) == (name == 'imp')
