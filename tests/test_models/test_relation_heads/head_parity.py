"""Run our VCTree, Transformer and IMP heads on the benchmark's records.

The head (:class:`VCTreeHead`, :class:`TransformerHead`, :class:`IMPHead`)
gets the benchmark predictor's converted weights, runs its predictor
(:meth:`forward`) and its relation classifier on a record's inputs (RoI
and union features, boxes, detector logits, pairs), and is compared with
the record's object and relation logits. Used by
``test_context_heads_parity.py`` on the reduced-width fixtures and by
``tools/parity/check_contexts_full_size.py --heads`` at protocol sizes.
"""
from typing import Dict, Tuple

import torch
from context_parity import bg_last, convert, difference, make_inputs
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope
from torch import nn

from mmsgg_rde.models.layers import batch_pairs

HEADS = dict(vctree='VCTreeHead', transformer='TransformerHead', imp='IMPHead')


def head_config(name: str, sizes: dict, mode: str) -> dict:
    """Our head at a record's sizes (feature extractors unused here)."""
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


def build_head(name: str, data: dict, mode: str) -> nn.Module:
    """Our head with the benchmark predictor's converted weights."""
    init_default_scope('mmdet')
    head = MODELS.build(head_config(name, data['sizes'], mode))
    context, rest, _ = convert(name, data['weights'])
    state = dict(rest, **{f'context.{k}': v for k, v in context.items()})
    missing, unexpected = head.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    # Only the feature extractors, whose outputs the record holds.
    assert all(
        k.split('.')[0] in ('obj_feat_extractor', 'union_feat_extractor')
        for k in missing), missing
    return head.eval()


def head_differences(name: str, data: dict,
                     mode: str) -> Dict[str, Tuple[float, float]]:
    """(max abs, max rel) differences of the eval-mode relation logits
    and (outside PredCls) object logits of our head from a record."""
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
    return diffs
